/**
 * Censorship resistance: a sequencer that refuses a user (over RPC and from the L1 forced queue) cannot stop
 * the user from withdrawing. The user queues a signed L2 withdrawal on L1, waits out the inclusion window,
 * forces it into the canonical order, and finalizes the withdrawal on L1 against an honest proposal.
 */
import { encodeFunctionData, type Hex, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GAS, L2_BRIDGE_ADDRESS } from '../../../src/core/constants.ts'
import { isL2kitError } from '../../../src/core/errors.ts'
import { ANVIL_DEV_ACCOUNTS } from '../../../src/l1/anvil.ts'
import type { Devnet } from '../../../src/optimistic/devnet.ts'
import { depositEth } from '../../../src/sdk/optimistic/depositEth.ts'
import { type ForcedInclusion, forceInclusion } from '../../../src/sdk/optimistic/forceInclusion.ts'
import { forceTransaction } from '../../../src/sdk/optimistic/forceTransaction.ts'
import { l2BridgeAbi } from '../../../src/sdk/optimistic/initiateWithdrawal.ts'
import { proveAndFinalizeWithdrawal } from '../../../src/sdk/optimistic/proveAndFinalizeWithdrawal.ts'
import { clientsFor, testDevnet, until } from './helpers.ts'

const victimKey = ANVIL_DEV_ACCOUNTS[1]?.privateKey as Hex
const victimAddress = ANVIL_DEV_ACCOUNTS[1]?.address as Hex

/** Index of `sender`'s withdrawal once derivation (L1 data alone) has it. */
function derivedWithdrawalOf(devnet: Devnet, sender: Hex): Promise<bigint> {
  return until(
    () => {
      const k = devnet.node.derivation.state.withdrawals.findIndex(
        (w) => w.sender.toLowerCase() === sender.toLowerCase(),
      )
      return k >= 0 ? BigInt(k) : undefined
    },
    20_000,
    `a withdrawal of ${sender} in the derived state`,
  )
}

/** Waits for an honest proposal covering `batchIndex`, then moves L1 time past its window (an idle devnet mines no blocks). */
async function provenAndFinal(devnet: Devnet, batchIndex: bigint): Promise<void> {
  await until(
    () =>
      devnet.node.derivation.proposals.some(
        (p) => p && !p.deleted && p.agrees === true && p.batchIndex >= batchIndex,
      ),
    20_000,
    'an honest proposal covering the forced batch',
  )
  await devnet.l1.publicClient.request({ method: 'evm_increaseTime' as never, params: [5] as never })
  await devnet.l1.publicClient.request({ method: 'evm_mine' as never, params: [] as never })
}

describe('force inclusion', () => {
  let devnet: Devnet

  beforeAll(async () => {
    devnet = await testDevnet({
      devAccounts: 1,
      inclusionWindowSeconds: 3n,
      sequencer: { blockTimeMs: 100, l1PollIntervalMs: 100, censor: [victimAddress] },
      batcher: { dataMode: 'blob', intervalMs: 200, maxBatchAgeMs: 300 },
    })
  })
  afterAll(async () => {
    await devnet?.stop()
  })

  it('a censoring sequencer cannot stop a user from withdrawing', async () => {
    const victim = clientsFor(devnet, victimKey)
    const l1 = devnet.l1.publicClient
    // The victim's funding deposit must be on L1 in a batch before the forced one: deposits enter L2 through the
    // sequencer's batches (deposit rows), and L1 order is the canonical order.
    await until(
      () => devnet.node.derivation.state.getBalance(victimAddress) >= parseEther('100'),
      20_000,
      'the funding deposit derived from L1',
    )
    const withdrawal = {
      to: L2_BRIDGE_ADDRESS,
      value: parseEther('2'),
      data: encodeFunctionData({ abi: l2BridgeAbi, functionName: 'withdrawETH', args: [victimAddress] }),
      nonce: 0,
      gas: GAS.withdrawEth,
      maxFeePerGas: devnet.chain.baseFee * 2n,
      maxPriorityFeePerGas: 0n,
      chainId: Number(devnet.chain.chainId),
      type: 'eip1559' as const,
    }
    // Over RPC the sequencer refuses.
    const refused = await victim.l2Wallet.sendTransaction(withdrawal).then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(String(refused)).toMatch(/refuses transactions/)

    // Through L1: queue the signed transaction, then force it after the window.
    const signed = await victim.account.signTransaction(withdrawal)
    const queued = await forceTransaction(
      { walletClient: victim.l1Wallet, publicClient: l1 },
      { rollup: devnet.contracts.rollup, signedTransaction: signed, l2ChainId: devnet.chain.chainId },
    )
    expect(queued.dueAt - queued.queuedAt).toBe(3)
    // Before the window nobody can force it.
    expect(
      await forceInclusion(
        { walletClient: victim.l1Wallet, publicClient: l1 },
        { rollup: devnet.contracts.rollup },
      ),
    ).toBeUndefined()
    const forced = await until(
      async () =>
        forceInclusion(
          { walletClient: victim.l1Wallet, publicClient: l1 },
          { rollup: devnet.contracts.rollup },
        ),
      20_000,
      'the inclusion window to pass',
    )
    expect(forced.included).toBe(1)

    // Derivation (and so the proposer and the verifier) apply it at the forced batch's place in L1 order.
    const index = await derivedWithdrawalOf(devnet, victimAddress)
    // The sequencer re-syncs onto L1's order (it had censored the withdrawal): over RPC the victim's balance and
    // nonce are what L1 implies, and the blocks it builds next are the ones L1 derives (same hashes).
    await until(
      async () =>
        (await victim.l2Public.getBalance({ address: victimAddress })) ===
          devnet.node.derivation.state.getBalance(victimAddress) &&
        (await victim.l2Public.getTransactionCount({ address: victimAddress })) === 1,
      20_000,
      'the sequencer re-synced onto the forced batch',
    )
    const forcedAfterBlock = devnet.node.derivation.batches[Number(forced.batchIndex)]?.l2BlockNumber ?? 0n
    // A new block after the forced batch (a deposit opens one), batched and derived from L1.
    const other = clientsFor(devnet, ANVIL_DEV_ACCOUNTS[2]?.privateKey as Hex)
    await depositEth(
      { walletClient: other.l1Wallet, publicClient: l1 },
      { portal: devnet.contracts.portal, amount: parseEther('1') },
    )
    await until(
      async () => {
        const v = (await devnet.node.status()).verifier
        return !!v && BigInt(v.safeHead) > forcedAfterBlock && v.sequencerAgreesWithL1 === true
      },
      20_000,
      'a block after the forced batch derived from L1 with the sequencer hash',
    )
    await until(
      () => devnet.node.verifier?.batches[Number(forced.batchIndex)]?.forced === true,
      20_000,
      'the verifier to derive the forced batch',
    )
    await provenAndFinal(devnet, forced.batchIndex)
    const before = await l1.getBalance({ address: victimAddress })
    const fin = await proveAndFinalizeWithdrawal(
      { l1WalletClient: victim.l1Wallet, l1PublicClient: l1, l2PublicClient: victim.l2Public },
      {
        portal: devnet.contracts.portal,
        withdrawalIndex: index,
        wait: true,
        pollIntervalMs: 200,
        timeoutMs: 30_000,
      },
    )
    expect(fin.amount).toBe(parseEther('2'))
    const after = await l1.getBalance({ address: victimAddress })
    expect(after - before + fin.l1FeeWei).toBe(parseEther('2'))
  }, 120_000)

  it('a forced row that does not decode is refused before it reaches L1', async () => {
    const victim = clientsFor(devnet, victimKey)
    const err = await forceTransaction(
      { walletClient: victim.l1Wallet, publicClient: devnet.l1.publicClient },
      { rollup: devnet.contracts.rollup, signedTransaction: '0xdeadbeef', l2ChainId: devnet.chain.chainId },
    ).catch((e: unknown) => e)
    expect(isL2kitError(err)).toBe(true)
  })
})

describe('force inclusion of deposits', () => {
  let devnet: Devnet
  const userKey = ANVIL_DEV_ACCOUNTS[4]?.privateKey as Hex
  const user = ANVIL_DEV_ACCOUNTS[4]?.address as Hex

  beforeAll(async () => {
    devnet = await testDevnet({
      devAccounts: 0,
      inclusionWindowSeconds: 3n,
      sequencer: { blockTimeMs: 100, l1PollIntervalMs: 100, withholdDeposits: true },
      batcher: { dataMode: 'blob', intervalMs: 200, maxBatchAgeMs: 300 },
    })
  })
  afterAll(async () => {
    await devnet?.stop()
  })

  it('a sequencer that withholds deposits cannot keep funds out of L2: deposit, then withdraw, both forced', async () => {
    const c = clientsFor(devnet, userKey)
    const l1 = devnet.l1.publicClient
    await depositEth(
      { walletClient: c.l1Wallet, publicClient: l1 },
      { portal: devnet.contracts.portal, amount: parseEther('3') },
    )
    const signed = await c.account.signTransaction({
      to: L2_BRIDGE_ADDRESS,
      value: parseEther('1'),
      data: encodeFunctionData({ abi: l2BridgeAbi, functionName: 'withdrawETH', args: [user] }),
      nonce: 0,
      gas: GAS.withdrawEth,
      maxFeePerGas: devnet.chain.baseFee * 2n,
      maxPriorityFeePerGas: 0n,
      chainId: Number(devnet.chain.chainId),
      type: 'eip1559',
    })
    await forceTransaction(
      { walletClient: c.l1Wallet, publicClient: l1 },
      { rollup: devnet.contracts.rollup, signedTransaction: signed, l2ChainId: devnet.chain.chainId },
    )
    // The sequencer never credits the deposit.
    expect(devnet.node.sequencer.state.getBalance(user)).toBe(0n)
    // The deposit was queued first, so its window can end first: it may be forced alone, the transaction in a
    // second forced batch (on a loaded machine the calls straddle the two deadlines).
    const batches: ForcedInclusion[] = []
    const total = (k: 'included' | 'depositRows') => batches.reduce((n, b) => n + b[k], 0)
    await until(
      async () => {
        const f = await forceInclusion(
          { walletClient: c.l1Wallet, publicClient: l1 },
          { rollup: devnet.contracts.rollup, portal: devnet.contracts.portal },
        )
        if (f) batches.push(f)
        return total('included') >= 1 && total('depositRows') >= 1
      },
      20_000,
      'the inclusion window to pass for the deposit and the transaction',
    )
    expect({ included: total('included'), depositRows: total('depositRows') }).toEqual({
      included: 1,
      depositRows: 1,
    })
    const forced = batches[batches.length - 1] as ForcedInclusion
    // Nothing is left to force: each deposit is forced at most once.
    expect(
      await forceInclusion(
        { walletClient: c.l1Wallet, publicClient: l1 },
        { rollup: devnet.contracts.rollup, portal: devnet.contracts.portal },
      ),
    ).toBeUndefined()
    const index = await derivedWithdrawalOf(devnet, user)
    expect(devnet.node.derivation.state.getBalance(user)).toBeLessThan(parseEther('2'))
    await provenAndFinal(devnet, forced.batchIndex)
    const fin = await proveAndFinalizeWithdrawal(
      { l1WalletClient: c.l1Wallet, l1PublicClient: l1, l2PublicClient: c.l2Public },
      {
        portal: devnet.contracts.portal,
        withdrawalIndex: index,
        wait: true,
        pollIntervalMs: 200,
        timeoutMs: 30_000,
      },
    )
    expect(fin.amount).toBe(parseEther('1'))
    expect(fin.recipient.toLowerCase()).toBe(user.toLowerCase())
  }, 120_000)
})
