import { rmSync } from 'node:fs'
import {
  decodeEventLog,
  decodeFunctionResult,
  encodeDeployData,
  encodeFunctionData,
  keccak256,
  type Hex as ViemHex,
} from 'viem'
import { afterEach, describe, expect, it } from 'vitest'
import { isL2kitError } from '../../core/errors.ts'
import type { Address, Hex } from '../../core/types.ts'
import { bridgedErc20Abi, devTokenAbi, devTokenBytecode, l2BridgeAbi } from '../../generated/contracts.ts'
import {
  blockHash,
  type Deposit,
  type SidechainBlock,
  txsRoot,
  validatorsHash,
  withdrawalLeaf,
  withdrawalsRoot,
  withdrawalsTree,
} from '../protocol/block.ts'
import { createChainView } from './chainView.ts'
import { L2_BRIDGE_ADDRESS, type SidechainExecution } from './execution.ts'
import {
  GWEI,
  openTestExecution,
  signTx,
  TEST_ACCOUNTS,
  TEST_ADDRESSES,
  TEST_CHAIN_ID,
  TEST_PROPOSER,
  testOptions,
} from './testing/chain.ts'

const [ALICE, BOB, CAROL] = TEST_ADDRESSES as [Address, Address, Address]
const ETH: Address = '0x0000000000000000000000000000000000000000'
const L1_TOKEN: Address = '0x00000000000000000000000000000000000070ce'

const opened: { execution: SidechainExecution; dir: string }[] = []
afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.execution.close().catch(() => undefined)
    rmSync(o.dir, { recursive: true, force: true })
  }
})

async function chain(dir?: string) {
  const o = await openTestExecution(dir)
  opened.push(o)
  return o.execution
}

async function expectCode(p: Promise<unknown>, code: string): Promise<Error> {
  try {
    await p
  } catch (err) {
    expect(isL2kitError(err) ? err.code : err).toBe(code)
    return err as Error
  }
  throw new Error(`expected ${code}`)
}

/** Builds (as proposer) and commits the next block from raw transactions and deposits. */
async function produce(execution: SidechainExecution, raws: Hex[], deposits: Deposit[] = []) {
  const candidates = await Promise.all(raws.map((r) => execution.checkTx(r)))
  const built = await execution.buildBlock({
    timestamp: execution.head().header.timestamp + 1,
    proposer: TEST_PROPOSER,
    deposits,
    candidates,
  })
  await execution.commitBlock(built.block, [])
  return built
}

function view(execution: SidechainExecution) {
  return createChainView({
    execution,
    pool: { pendingTxs: () => [], lookup: () => undefined, add: async () => '0x' },
    blockTimeMs: 1000,
  })
}

async function callToken(
  execution: SidechainExecution,
  token: Address,
  abi: typeof devTokenAbi,
  args: [Address],
) {
  const data = encodeFunctionData({ abi, functionName: 'balanceOf', args })
  const out = await view(execution).call({ to: token, data: data as Hex }, 'live')
  return decodeFunctionResult({ abi, functionName: 'balanceOf', data: out as ViemHex }) as bigint
}

describe('sidechain execution', () => {
  it('writes genesis with the alloc and the L2 bridge predeploy, and refuses a store of another chain', async () => {
    const execution = await chain()
    const head = execution.head()
    expect(head.number).toBe(0n)
    expect(head.header.parentHash).toBe(`0x${'00'.repeat(32)}`)
    expect(blockHash(head.header)).toBe(head.hash)
    const v = view(execution)
    expect(await v.balance(ALICE, 'live')).toBe(1_000n * 10n ** 18n)
    const code = await v.code(L2_BRIDGE_ADDRESS, 'live')
    expect(code.length).toBeGreaterThan(1000)
    const dir = opened[0]?.dir as string
    await execution.close()
    opened.length = 0
    const { openStore } = await import('../../node/store.ts')
    const { createSidechainExecution } = await import('./execution.ts')
    const store = await openStore({ path: dir })
    const logger = (await import('../../core/logger.ts')).silentLogger
    await expectCode(
      createSidechainExecution(
        { chainId: TEST_CHAIN_ID, genesis: { timestamp: 1, alloc: {} } },
        { store, logger },
      ),
      'SIDECHAIN_INVALID_OPTIONS',
    )
    // The same genesis under another chain id is another chain too.
    await expectCode(
      createSidechainExecution({ ...testOptions(), chainId: TEST_CHAIN_ID + 1n }, { store, logger }),
      'SIDECHAIN_INVALID_OPTIONS',
    )
    // The same options reopen it.
    expect((await createSidechainExecution(testOptions(), { store, logger })).head().hash).toBe(head.hash)
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('transfers ETH: the sender pays value and gas, the base fee is burnt, the tip goes to the proposer', async () => {
    const execution = await chain()
    const raw = await signTx(0, { nonce: 0, to: BOB, value: 12345n })
    const { block, dropped } = await produce(execution, [raw])
    expect(dropped).toEqual([])
    expect(block.header.gasUsed).toBe(21_000n)
    const v = view(execution)
    // maxFee 2 gwei, tip 1 gwei, base fee 1 gwei: effective price 2 gwei.
    expect(await v.balance(ALICE, 'live')).toBe(1_000n * 10n ** 18n - 12345n - 21_000n * 2n * GWEI)
    expect(await v.balance(BOB, 'live')).toBe(1_000n * 10n ** 18n + 12345n)
    expect(await v.balance(TEST_PROPOSER, 'live')).toBe(21_000n * GWEI)
    expect(await v.nonce(ALICE, 'live')).toBe(1n)
    // The state at genesis is still readable.
    expect(await v.balance(ALICE, 0n)).toBe(1_000n * 10n ** 18n)
    const found = execution.transaction(keccak256(raw) as Hex)
    expect(found?.tx).toMatchObject({
      status: 1,
      gasUsed: 21_000n,
      effectiveGasPrice: 2n * GWEI,
      from: ALICE,
    })
  })

  it('deploys a contract, calls it, keeps its logs, and includes a reverted call with status 0 and gas charged', async () => {
    const execution = await chain()
    const deploy = await signTx(0, {
      nonce: 0,
      gas: 3_000_000n,
      data: encodeDeployData({
        abi: devTokenAbi,
        bytecode: devTokenBytecode,
        args: ['Dev', 'DEV', 18, [ALICE], 1_000n],
      }) as ViemHex,
    })
    await produce(execution, [deploy])
    const created = execution.transaction(keccak256(deploy) as Hex)?.tx
    expect(created?.status).toBe(1)
    const token = created?.contractAddress as Address
    expect(token).toMatch(/^0x[0-9a-f]{40}$/)
    const transfer = (to: Address, amount: bigint) =>
      encodeFunctionData({ abi: devTokenAbi, functionName: 'transfer', args: [to, amount] }) as ViemHex
    const ok = await signTx(0, { nonce: 1, to: token, gas: 100_000n, data: transfer(BOB, 400n) })
    const tooMuch = await signTx(0, { nonce: 2, to: token, gas: 100_000n, data: transfer(BOB, 10_000n) })
    const { block } = await produce(execution, [ok, tooMuch])
    const [t1, t2] = execution.head().txs
    expect(t1?.status).toBe(1)
    expect(t1?.logs).toHaveLength(1)
    const event = decodeEventLog({
      abi: devTokenAbi,
      data: t1?.logs[0]?.data as ViemHex,
      topics: t1?.logs[0]?.topics as [ViemHex],
    })
    expect(event).toMatchObject({
      eventName: 'Transfer',
      args: { from: TEST_ACCOUNTS[0]?.address, value: 400n },
    })
    expect(t2?.status).toBe(0)
    expect(t2?.logs).toEqual([])
    expect(t2?.gasUsed).toBeGreaterThan(21_000n)
    expect(block.header.gasUsed).toBe((t1?.gasUsed ?? 0n) + (t2?.gasUsed ?? 0n))
    expect(await callToken(execution, token, devTokenAbi, [BOB])).toBe(400n)
    expect(await callToken(execution, token, devTokenAbi, [ALICE])).toBe(600n)
    expect(await view(execution).nonce(ALICE, 'live')).toBe(3n)
    // The revert data carries the custom error, as an eth_call shows it.
    const err = await Promise.resolve(
      view(execution).call({ from: ALICE, to: token, data: transfer(BOB, 10_000n) as Hex }, 'live'),
    ).catch((e: unknown) => e as { code: number; data: Hex })
    expect(err).toMatchObject({ code: 3 })
    expect((err as { data: Hex }).data.slice(0, 10)).toBe('0xe450d38c') // ERC20InsufficientBalance
  })

  it('applies ETH and ERC-20 deposits (through the bridge predeploy) and extracts withdrawals with their leaves', async () => {
    const execution = await chain()
    const deposits: Deposit[] = [
      { id: 0n, from: CAROL, to: BOB, token: ETH, amount: 5n * 10n ** 18n },
      { id: 1n, from: CAROL, to: BOB, token: L1_TOKEN, amount: 777n },
    ]
    const { block } = await produce(execution, [], deposits)
    expect(block.header.gasUsed).toBe(0n)
    expect(execution.nextDepositId()).toBe(2n)
    const v = view(execution)
    expect(await v.balance(BOB, 'live')).toBe(1_005n * 10n ** 18n)
    const l2TokenOut = await v.call(
      {
        to: L2_BRIDGE_ADDRESS,
        data: encodeFunctionData({ abi: l2BridgeAbi, functionName: 'l2TokenOf', args: [L1_TOKEN] }) as Hex,
      },
      'live',
    )
    const l2Token = (
      decodeFunctionResult({
        abi: l2BridgeAbi,
        functionName: 'l2TokenOf',
        data: l2TokenOut as ViemHex,
      }) as string
    ).toLowerCase() as Address
    expect(await callToken(execution, l2Token, bridgedErc20Abi as unknown as typeof devTokenAbi, [BOB])).toBe(
      777n,
    )
    // A deposit out of order is refused.
    await expectCode(
      execution.buildBlock({
        timestamp: execution.head().header.timestamp + 1,
        proposer: TEST_PROPOSER,
        deposits: [{ ...deposits[0], id: 5n } as Deposit],
        candidates: [],
      }),
      'SIDECHAIN_INVALID_BLOCK',
    )
    // Withdrawals: ETH and the bridged token.
    const withdrawEth = await signTx(1, {
      nonce: 0,
      to: L2_BRIDGE_ADDRESS,
      value: 10n ** 18n,
      gas: 200_000n,
      data: encodeFunctionData({ abi: l2BridgeAbi, functionName: 'withdraw', args: [CAROL] }) as ViemHex,
    })
    const withdrawToken = await signTx(1, {
      nonce: 1,
      to: L2_BRIDGE_ADDRESS,
      gas: 200_000n,
      data: encodeFunctionData({
        abi: l2BridgeAbi,
        functionName: 'withdrawToken',
        args: [l2Token, CAROL, 700n],
      }) as ViemHex,
    })
    const { block: b2 } = await produce(execution, [withdrawEth, withdrawToken])
    expect(execution.head().txs.map((t) => t.status)).toEqual([1, 1])
    const expected = [
      { id: 0n, from: BOB, to: CAROL, token: ETH, amount: 10n ** 18n },
      { id: 1n, from: BOB, to: CAROL, token: L1_TOKEN, amount: 700n },
    ]
    expect(execution.head().withdrawals).toEqual(expected)
    expect(b2.header.withdrawalCount).toBe(2)
    expect(b2.header.withdrawalsRoot).toBe(withdrawalsRoot(expected))
    expect(execution.withdrawals(0n, 10n)).toEqual(
      expected.map((w, index) => ({ ...w, blockNumber: 2n, index })),
    )
    expect(withdrawalsTree(expected).proof(1)).toHaveLength(2 + 2 * 16 * 32)
    expect(withdrawalLeaf(expected[0] as (typeof expected)[0])).toHaveLength(32)
    expect(await callToken(execution, l2Token, bridgedErc20Abi as unknown as typeof devTokenAbi, [BOB])).toBe(
      77n,
    )
  })

  it('prices the pairing precompiles at the chain’s factor (10× Ethereum’s by default)', async () => {
    const execution = await chain()
    const pairing: Address = '0x0000000000000000000000000000000000000008'
    const v = view(execution)
    // Zero pairs: a valid check (answers 1), charged the base price only: 45,000 × 10.
    expect(await v.call({ to: pairing, data: '0x' }, 'live')).toBe(`0x${'00'.repeat(31)}01`)
    const list = await v.createAccessList?.({ to: pairing, data: '0x' }, 'live')
    expect(list?.gasUsed).toBe(21_000n + 450_000n)
  })

  it('checks transactions for the mempool with the codes wallets understand', async () => {
    const execution = await chain()
    await produce(execution, [await signTx(0, { nonce: 0, to: BOB })])
    await expectCode(execution.checkTx(await signTx(0, { nonce: 0, to: BOB })), 'NONCE_TOO_LOW')
    expect((await execution.checkTx(await signTx(0, { nonce: 5, to: BOB }))).nonce).toBe(5n)
    await expectCode(
      execution.checkTx(await signTx(0, { nonce: 1, to: BOB, value: 10n ** 24n })),
      'INSUFFICIENT_BALANCE',
    )
    await expectCode(
      execution.checkTx(await signTx(0, { nonce: 1, to: BOB, gas: 20_000n })),
      'GAS_LIMIT_TOO_LOW',
    )
    await expectCode(
      execution.checkTx(await signTx(0, { nonce: 1, to: BOB, gas: 40_000_000n })),
      'SIDECHAIN_INVALID_TX',
    )
    await expectCode(
      execution.checkTx(
        await signTx(0, { nonce: 1, to: BOB, maxFeePerGas: GWEI / 2n, maxPriorityFeePerGas: 0n }),
      ),
      'FEE_CAP_TOO_LOW',
    )
    const account = TEST_ACCOUNTS[0]
    if (!account) throw new Error('no account')
    await expectCode(
      execution.checkTx(
        (await account.signTransaction({
          type: 'eip1559',
          chainId: 1,
          nonce: 1,
          to: BOB,
          gas: 21_000n,
          maxFeePerGas: 2n * GWEI,
          maxPriorityFeePerGas: 0n,
        })) as Hex,
      ),
      'WRONG_CHAIN_ID',
    )
    await expectCode(
      execution.checkTx(
        (await account.signTransaction({
          type: 'eip2930',
          chainId: Number(TEST_CHAIN_ID),
          nonce: 1,
          to: BOB,
          gas: 21_000n,
          gasPrice: 2n * GWEI,
        })) as Hex,
      ),
      'UNSUPPORTED_TX_TYPE',
    )
    await expectCode(execution.checkTx('0x03f8'), 'UNSUPPORTED_TX_TYPE')
    await expectCode(execution.checkTx(`0x02${'00'.repeat(130 * 1024)}`), 'TX_TOO_LARGE')
    await expectCode(execution.checkTx('0x02c0'), 'MALFORMED_TRANSACTION')
    // A legacy transaction with EIP-155 works; without it, it is refused.
    const legacy = (await account.signTransaction({
      type: 'legacy',
      chainId: Number(TEST_CHAIN_ID),
      nonce: 1,
      to: BOB,
      gas: 21_000n,
      gasPrice: 3n * GWEI,
    })) as Hex
    expect((await execution.checkTx(legacy)).from).toBe(ALICE)
    const unprotected = (await account.signTransaction({
      type: 'legacy',
      nonce: 1,
      to: BOB,
      gas: 21_000n,
      gasPrice: 3n * GWEI,
    })) as Hex
    await expectCode(execution.checkTx(unprotected), 'UNPROTECTED_TX')
    const { block } = await produce(execution, [legacy])
    expect(block.header.gasUsed).toBe(21_000n)
    // Legacy pays its gas price: base fee burnt, the rest to the proposer.
    expect(execution.head().txs[0]?.effectiveGasPrice).toBe(3n * GWEI)
  })

  it('leaves out candidates it cannot execute now and says why', async () => {
    const execution = await chain()
    const gap = await execution.checkTx(await signTx(0, { nonce: 3, to: BOB }))
    const fine = await execution.checkTx(await signTx(1, { nonce: 0, to: BOB }))
    const big = await execution.checkTx(await signTx(2, { nonce: 0, to: BOB, gas: 29_990_000n }))
    const built = await execution.buildBlock({
      timestamp: execution.head().header.timestamp,
      proposer: TEST_PROPOSER,
      deposits: [],
      candidates: [gap, fine, big],
    })
    expect(built.block.txs).toEqual([fine.raw])
    expect(built.dropped.map((d) => d.hash)).toEqual([gap.hash, big.hash])
    expect(built.dropped[0]?.reason).toMatch(/nonce/)
    expect(built.dropped[1]?.reason).toMatch(/block gas limit/)
    expect(built.dropped.map((d) => d.code)).toEqual(['NONCE_TOO_HIGH', 'SIDECHAIN_INVALID_TX'])
  })

  it('re-executes a proposed block on another validator and refuses tampered headers, bodies and invalid transactions', async () => {
    const proposer = await chain()
    const validator = await chain()
    const raws = [
      await signTx(0, { nonce: 0, to: BOB, value: 1n }),
      await signTx(1, { nonce: 0, to: CAROL, value: 2n }),
    ]
    const candidates = await Promise.all(raws.map((r) => proposer.checkTx(r)))
    const { block, hash } = await proposer.buildBlock({
      timestamp: proposer.head().header.timestamp + 5,
      proposer: TEST_PROPOSER,
      deposits: [{ id: 0n, from: CAROL, to: BOB, token: ETH, amount: 9n }],
      candidates,
    })
    const before = { head: validator.head().hash, balance: await view(validator).balance(BOB, 'live') }
    const tamper = async (b: SidechainBlock, code = 'SIDECHAIN_INVALID_BLOCK') => {
      await expectCode(validator.executeBlock(b), code)
      expect(validator.head().hash).toBe(before.head)
      expect(await view(validator).balance(BOB, 'live')).toBe(before.balance)
    }
    const h = block.header
    await tamper({ ...block, header: { ...h, stateRoot: `0x${'00'.repeat(32)}` } })
    await tamper({ ...block, header: { ...h, gasUsed: h.gasUsed + 1n } })
    await tamper({ ...block, header: { ...h, receiptsRoot: `0x${'11'.repeat(32)}` } })
    await tamper({ ...block, header: { ...h, withdrawalCount: 1 } })
    await tamper({ ...block, header: { ...h, number: 5n } })
    await tamper({ ...block, header: { ...h, parentHash: `0x${'22'.repeat(32)}` } })
    await tamper({ ...block, header: { ...h, baseFee: 7n } })
    await tamper({ ...block, header: { ...h, timestamp: 1 } })
    await tamper({ ...block, txs: [...block.txs].reverse() })
    await tamper({ ...block, deposits: [] })
    await tamper({ ...block, header: { ...h, gasUsed: 31_000_000n } }, 'SIDECHAIN_MALFORMED_BLOCK')
    // Roots consistent with the body, but a transaction that is not valid here (its nonce was not reached).
    const badTx = await signTx(2, { nonce: 1, to: BOB })
    await tamper({
      ...block,
      txs: [...block.txs, badTx],
      header: { ...h, txsRoot: txsRoot([...block.txs, badTx]) },
    })
    // A transaction that is not even a transaction.
    await tamper({ ...block, txs: ['0x02c0'], header: { ...h, txsRoot: txsRoot(['0x02c0']) } })
    // The honest block passes, and the commit reuses the execution.
    expect(await validator.executeBlock(block)).toBe(hash)
    await validator.commitBlock(block, [])
    await proposer.commitBlock(block, [])
    expect(validator.head().hash).toBe(proposer.head().hash)
    expect(validator.head().header.stateRoot).toBe(proposer.head().header.stateRoot)
    // Bob received 1 and the deposit's 9, sent 2 to Carol and paid 21,000 gas at 2 gwei.
    expect(await view(validator).balance(BOB, 'live')).toBe(
      before.balance + 1n + 9n - 2n - 21_000n * 2n * GWEI,
    )
  })

  it('moves to a new validator set only forward, with the set in the body, and keeps it with the block', async () => {
    const proposer = await chain()
    const validator = await chain()
    const genesis = proposer.head().header
    const five = [ALICE, BOB, CAROL]
      .map((address) => ({ address: address.toLowerCase() as Address, power: 7n }))
      .sort((a, b) => (a.address < b.address ? -1 : 1))
    const { block, hash } = await proposer.buildBlock({
      timestamp: genesis.timestamp + 1,
      proposer: TEST_PROPOSER,
      deposits: [],
      candidates: [],
      validatorUpdate: { epoch: genesis.epoch + 3n, validators: five },
    })
    expect(block.validators).toEqual(five)
    expect(block.header.epoch).toBe(genesis.epoch + 3n)
    expect(block.header.nextValidatorsHash).toBe(validatorsHash(five))
    const h = block.header
    // Without the body's set, with another set, or a set change hidden in the header alone: refused.
    const { validators: _, ...bare } = block
    await expectCode(validator.executeBlock(bare), 'SIDECHAIN_INVALID_BLOCK')
    await expectCode(
      validator.executeBlock({ ...block, validators: five.slice(1) }),
      'SIDECHAIN_INVALID_BLOCK',
    )
    await expectCode(
      validator.executeBlock({ ...bare, header: { ...h, nextValidatorsHash: genesis.nextValidatorsHash } }),
      'SIDECHAIN_INVALID_BLOCK',
    )
    expect(await validator.executeBlock(block)).toBe(hash)
    await validator.commitBlock(block, [])
    await proposer.commitBlock(block, [])
    expect(validator.block(1n)?.validators).toEqual(five)
    // The next block repeats the epoch; one going back, or staying with a new set, is refused.
    for (const epoch of [genesis.epoch, h.epoch]) {
      await expectCode(
        proposer.buildBlock({
          timestamp: h.timestamp,
          proposer: TEST_PROPOSER,
          deposits: [],
          candidates: [],
          validatorUpdate: { epoch, validators: five },
        }),
        'SIDECHAIN_INVALID_BLOCK',
      )
    }
    const next = await proposer.buildBlock({
      timestamp: h.timestamp,
      proposer: TEST_PROPOSER,
      deposits: [],
      candidates: [],
    })
    expect(next.block.header.epoch).toBe(h.epoch)
    expect(next.block.header.nextValidatorsHash).toBe(h.nextValidatorsHash)
    expect(next.block.validators).toBeUndefined()
  })

  it('keeps committed blocks, receipts, commits and state across a reopen', async () => {
    const first = await chain()
    const dir = opened[0]?.dir as string
    const raw = await signTx(0, { nonce: 0, to: BOB, value: 3n })
    const { block } = await produce(first, [raw])
    const vote = {
      type: 'precommit' as const,
      height: 1n,
      round: 0,
      blockHash: blockHash(block.header),
      validator: TEST_PROPOSER,
      signature: `0x${'11'.repeat(65)}` as Hex,
    }
    const second = await produce(first, [await signTx(0, { nonce: 1, to: CAROL, value: 4n })])
    await first.close()
    opened.length = 0
    const again = await chain(dir)
    opened[0] = { execution: again, dir }
    expect(again.head().number).toBe(2n)
    expect(again.head().hash).toBe(second.hash)
    expect(again.transaction(keccak256(raw) as Hex)?.block.number).toBe(1n)
    expect(await view(again).balance(BOB, 'live')).toBe(1_000n * 10n ** 18n + 3n)
    expect(await view(again).balance(BOB, 0n)).toBe(1_000n * 10n ** 18n)
    expect(again.commitOf(1n)).toEqual([])
    expect(vote.blockHash).toBe(block.header && blockHash(block.header))
  })
})
