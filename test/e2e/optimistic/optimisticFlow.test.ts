/**
 * The whole optimistic rollup on a real anvil: deposit ETH and an ERC-20 → L2 transfers from ordinary viem
 * wallets → a blob batch on L1 → an independent verifier derives the same root → a withdrawal finalized on L1.
 */
import { erc20Abi, type Hex, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Devnet } from '../../../src/optimistic/devnet.ts'
import { depositErc20 } from '../../../src/sdk/optimistic/depositErc20.ts'
import { depositEth } from '../../../src/sdk/optimistic/depositEth.ts'
import { getL2Balance } from '../../../src/sdk/optimistic/getL2Balance.ts'
import { getWithdrawalStatus } from '../../../src/sdk/optimistic/getWithdrawalStatus.ts'
import { initiateWithdrawal } from '../../../src/sdk/optimistic/initiateWithdrawal.ts'
import { proveAndFinalizeWithdrawal } from '../../../src/sdk/optimistic/proveAndFinalizeWithdrawal.ts'
import { clientsFor, testDevnet, until } from './helpers.ts'

const L2_DEV: Hex = '0x4200000000000000000000000000000000001001'
const FRESH_KEY: Hex = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a'

describe('optimistic rollup end to end (blob batches)', () => {
  let devnet: Devnet

  beforeAll(async () => {
    devnet = await testDevnet({
      devAccounts: 0,
      batcher: { dataMode: 'blob', intervalMs: 200, maxBatchAgeMs: 3_600_000, targetBatchBytes: 10_000_000 },
    })
  })
  afterAll(async () => {
    await devnet?.stop()
  })

  it('moves ETH and an ERC-20 L1 → L2 → L1 with every root checked by an independent verifier', async () => {
    const alice = clientsFor(devnet, FRESH_KEY)
    const bob = clientsFor(devnet, '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba')
    // Fund alice on L1 from a dev account, then deposit through the portal.
    const funder = clientsFor(devnet, '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
    await funder.l1Public.waitForTransactionReceipt({
      hash: await funder.l1Wallet.sendTransaction({ to: alice.account.address, value: parseEther('20') }),
    })
    await funder.l1Public.waitForTransactionReceipt({
      hash: await funder.l1Wallet.writeContract({
        address: devnet.contracts.devToken as Hex,
        abi: erc20Abi,
        functionName: 'transfer',
        args: [alice.account.address, parseEther('500')],
      }),
    })
    const l1 = { walletClient: alice.l1Wallet, publicClient: alice.l1Public }
    const ethDep = await depositEth(l1, { portal: devnet.contracts.portal, amount: parseEther('5') })
    const tokDep = await depositErc20(l1, {
      portal: devnet.contracts.portal,
      token: devnet.contracts.devToken as Hex,
      amount: parseEther('300'),
    })
    expect(tokDep.depositIndex).toBe(ethDep.depositIndex + 1n)
    await until(
      async () =>
        (await getL2Balance(alice.l2Public, { address: alice.account.address, l2Token: L2_DEV }).catch(
          () => 0n,
        )) === parseEther('300'),
      30_000,
      'deposits on L2',
    )
    expect(await getL2Balance(alice.l2Public, { address: alice.account.address })).toBe(parseEther('5'))
    expect(
      await alice.l2Public.readContract({ address: L2_DEV, abi: erc20Abi, functionName: 'symbol' }),
    ).toBe('DEV')
    expect(
      await alice.l2Public.readContract({ address: L2_DEV, abi: erc20Abi, functionName: 'decimals' }),
    ).toBe(18)

    // Plain wallet calls: ETH transfer and ERC-20 transfer(to, amount), unchanged.
    const h1 = await alice.l2Wallet.sendTransaction({ to: bob.account.address, value: parseEther('1.25') })
    const r1 = await alice.l2Public.waitForTransactionReceipt({ hash: h1, pollingInterval: 50 })
    expect(r1.status).toBe('success')
    const h2 = await alice.l2Wallet.writeContract({
      address: L2_DEV,
      abi: erc20Abi,
      functionName: 'transfer',
      args: [bob.account.address, parseEther('42')],
    })
    const r2 = await alice.l2Public.waitForTransactionReceipt({ hash: h2, pollingInterval: 50 })
    expect(r2.logs).toHaveLength(1)
    const h3 = await bob.l2Wallet.sendTransaction({ to: alice.account.address, value: parseEther('0.25') })
    await bob.l2Public.waitForTransactionReceipt({ hash: h3, pollingInterval: 50 })
    expect(await getL2Balance(bob.l2Public, { address: bob.account.address, l2Token: L2_DEV })).toBe(
      parseEther('42'),
    )
    const fee = r1.gasUsed * r1.effectiveGasPrice
    expect(await getL2Balance(alice.l2Public, { address: alice.account.address })).toBe(
      parseEther('5') - parseEther('1.25') - fee - r2.gasUsed * r2.effectiveGasPrice + parseEther('0.25'),
    )

    // Batch to L1 as a blob; the verifier rebuilds the same blocks from L1 alone.
    await devnet.node.sequencer.sealNow()
    const [batch] = await devnet.node.batcher.postPending(true)
    expect(batch?.isBlob).toBe(true)
    expect(batch?.blobHashes.length).toBeGreaterThan(0)
    expect(batch?.blobHashes[0]).toMatch(/^0x01/)
    const head = devnet.node.sequencer.head
    const verifier = devnet.node.verifier
    if (!verifier) throw new Error('no verifier')
    await until(
      async () => {
        await verifier.sync()
        return verifier.safeHead.number >= head.number
      },
      30_000,
      'verifier to derive the batch',
    )
    expect(verifier.derivedBlock(head.number)?.stateRoot).toBe(head.stateRoot)
    expect(verifier.derivedBlock(head.number)?.hash).toBe(head.hash)

    // Withdraw 2 ETH from L2 back to L1 after the challenge window.
    const w = await initiateWithdrawal(
      { walletClient: alice.l2Wallet, publicClient: alice.l2Public },
      { amount: parseEther('2') },
    )
    expect((await getWithdrawalStatus(alice.l2Public, w.withdrawalIndex)).status).toBe('waiting-for-proposal')
    await devnet.node.sequencer.sealNow()
    await devnet.node.batcher.postPending(true)
    const l1Before = await alice.l1Public.getBalance({ address: alice.account.address })
    const statuses = new Set<string>()
    const fin = await proveAndFinalizeWithdrawal(
      { l1WalletClient: alice.l1Wallet, l1PublicClient: alice.l1Public, l2PublicClient: alice.l2Public },
      {
        portal: devnet.contracts.portal,
        withdrawalIndex: w.withdrawalIndex,
        wait: true,
        pollIntervalMs: 200,
        timeoutMs: 60_000,
        onProgress: (s) => statuses.add(s.status),
      },
    )
    const l1After = await alice.l1Public.getBalance({ address: alice.account.address })
    expect(l1After).toBe(l1Before + parseEther('2') - fin.l1FeeWei)
    expect(statuses.has('in-challenge-window') || statuses.has('ready-to-finalize')).toBe(true)
    // Paying twice is impossible.
    await expect(
      proveAndFinalizeWithdrawal(
        { l1WalletClient: alice.l1Wallet, l1PublicClient: alice.l1Public, l2PublicClient: alice.l2Public },
        { portal: devnet.contracts.portal, withdrawalIndex: w.withdrawalIndex },
      ),
    ).rejects.toThrow()

    const status = (await devnet.node.status()) as {
      verifier: { agreesWithAllProposals: boolean; proposalsChecked: number }
    }
    expect(status.verifier.agreesWithAllProposals).toBe(true)
    expect(status.verifier.proposalsChecked).toBeGreaterThan(0)
  }, 180_000)
})
