import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEther, toHex } from 'viem'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../node/logger.ts'
import { RpcError } from '../node/rpcServer.ts'
import { ChainStore } from './chainStore.ts'
import { loadAccounts, makeTransfers } from './loadgen.ts'
import type { RollupContractsInfo, RollupStatusInfo, WithdrawalProof } from './protocol/rpcSchema.ts'
import { createRpcMethods, optimisticRpcErrorCodes, type RollupStatusSource } from './rpcMethods.ts'
import { Sequencer } from './sequencer.ts'

/** These tests call no l2kit_status / withdrawal / contracts method. */
const unusedStatus: RollupStatusSource = {
  status: () => ({}) as RollupStatusInfo,
  withdrawalProof: () => ({}) as WithdrawalProof,
  contracts: () => ({}) as RollupContractsInfo,
}

const chain = { chainId: 42069n, baseFee: 1_000_000n, genesisTimestamp: 0 }
const dirs: string[] = []
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'l2kit-rpc-'))
  dirs.push(dir)
  const store = await ChainStore.open(dir)
  const seq = new Sequencer(
    { blockTimeMs: 60_000 },
    { chain, store, logger: silentLogger, recoveryThreads: 1 },
  )
  await seq.start()
  cleanups.push(async () => {
    await seq.stop()
    await store.close()
  })
  const users = loadAccounts(2, 'rpc-')
  await store.putDeposits(
    users.map((u, i) => ({
      index: BigInt(i),
      from: u.address,
      to: u.address,
      tokenIndex: 0,
      amount: parseEther('1'),
    })),
  )
  await seq.sealNow()
  for (const raw of makeTransfers({
    accounts: users,
    count: 2,
    chainId: chain.chainId,
    baseFee: chain.baseFee,
    tokenShare: 0,
  }))
    await seq.submitRawTransaction(raw)
  await seq.sealNow()
  const methods = createRpcMethods({
    chain,
    sequencer: seq,
    store,
    status: unusedStatus,
  })
  const call = async (method: string, params: unknown[]) =>
    (methods[method] as (p: unknown[]) => unknown)(params)
  return { store, seq, users, call }
}

describe('L2 RPC methods', () => {
  it('answers state at a block from the history, refuses blocks before it and after the head', async () => {
    const { store, users, call } = await setup()
    const a = users[0]?.address as string
    expect(await call('eth_getBalance', [a, '0x1'])).toBe(toHex(parseEther('1')))
    expect(await call('eth_getTransactionCount', [a, '0x1'])).toBe('0x0')
    expect(await call('eth_getTransactionCount', [a, '0x2'])).toBe('0x1')
    expect(await call('eth_getBalance', [a, 'earliest'])).toBe('0x0')
    await expect(call('eth_getBalance', [a, '0x3'])).rejects.toEqual(new RpcError(-32000, 'header not found'))
    // A store that started its history later (written before the history existed) refuses older blocks.
    await store.startHistory(2n, new Map())
    await expect(call('eth_getBalance', [a, '0x1'])).rejects.toMatchObject({
      code: 'HISTORICAL_STATE_UNAVAILABLE',
      message: expect.stringMatching(/^historical state not available/),
    })
  })

  it('checks hash and feeHistory parameters', async () => {
    const { call } = await setup()
    for (const bad of ['', [], '0x12', 7])
      await expect(call('eth_getTransactionByHash', [bad])).rejects.toMatchObject({ code: 'INVALID_PARAMS' })
    expect(await call('eth_getTransactionByHash', [`0x${'00'.repeat(32)}`])).toBeNull()
    const h = (await call('eth_feeHistory', ['0x5', 'latest', [25, 75]])) as Record<string, unknown[]>
    expect(h.oldestBlock).toBe('0x0')
    expect(h.gasUsedRatio).toHaveLength(3)
    expect(h.baseFeePerGas).toHaveLength(4)
    expect(h.reward).toEqual([['0x0', '0x0'], ['0x0', '0x0'], expect.any(Array)])
    await expect(call('eth_feeHistory', ['latest'])).rejects.toMatchObject({ code: 'INVALID_PARAMS' })
    await expect(call('eth_feeHistory', ['0x1', 'latest', [-1]])).rejects.toMatchObject({
      code: 'INVALID_PARAMS',
    })
    await expect(call('eth_feeHistory', ['0x1', '0x9'])).rejects.toBeInstanceOf(RpcError)
  })

  it('polls pending transactions and new blocks through filters', async () => {
    const { seq, users, call } = await setup()
    const pendingFilter = (await call('eth_newPendingTransactionFilter', [])) as string
    const blockFilter = (await call('eth_newBlockFilter', [])) as string
    const [raw] = makeTransfers({
      accounts: users,
      count: 1,
      chainId: chain.chainId,
      baseFee: chain.baseFee,
      tokenShare: 0,
      nonces: new Map(users.map((u) => [u.address, 1n])),
      seed: 7,
    })
    const hash = await seq.submitRawTransaction(raw as `0x${string}`)
    expect(await call('eth_getFilterChanges', [pendingFilter])).toEqual([hash])
    expect(await call('eth_getFilterChanges', [pendingFilter])).toEqual([])
    const pending = (await call('eth_getBlockByNumber', ['pending', false])) as Record<string, unknown>
    expect(pending).toMatchObject({ number: '0x3', hash: null, transactions: [hash] })
    expect(await call('eth_getFilterChanges', [blockFilter])).toEqual([])
    const sealed = await seq.sealNow()
    expect(await call('eth_getFilterChanges', [blockFilter])).toEqual([sealed?.hash])
    expect(await call('eth_uninstallFilter', [blockFilter])).toBe(true)
    expect(await call('eth_uninstallFilter', [blockFilter])).toBe(false)
    await expect(call('eth_getFilterChanges', ['0x999'])).rejects.toEqual(
      new RpcError(-32000, 'filter not found'),
    )
  })

  it('registers its own error codes (a censored sender: -32003) on the server it is given', async () => {
    const { store, seq } = await setup()
    const registered: Record<string, number>[] = []
    const methods = createRpcMethods({
      chain,
      sequencer: seq,
      store,
      status: unusedStatus,
      rpc: { registerErrorCodes: (codes) => registered.push({ ...codes }) },
    })
    expect(registered).toEqual([{ TX_CENSORED: -32003 }])
    expect(optimisticRpcErrorCodes).toEqual({ TX_CENSORED: -32003 })
    expect(await (methods.l2kit_family as () => unknown)()).toEqual({
      family: 'optimistic',
      chainId: '0xa455',
    })
  })
})
