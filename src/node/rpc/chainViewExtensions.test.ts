/**
 * What an EVM family's ChainView adds to the generic eth methods: asynchronous state reads and calls, reverted
 * receipts (status 0), creation receipts with `contractAddress`, per-block coinbases, delegated access lists, peers,
 * the full call object, and geth's revert errors.
 */
import { encodeErrorResult, keccak256, parseAbi } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import type { Address, Hex } from '../../core/types.ts'
import { RpcError } from '../rpcServer.ts'
import type { CallRequest, ChainView, ViewBlock, ViewTx } from './chainView.ts'
import { executionReverted, revertReason } from './errors.ts'
import { createEthMethods } from './ethMethods.ts'
import { callRequest } from './params.ts'

const alice = privateKeyToAccount(`0x${'22'.repeat(32)}`)
const CREATED: Address = '0x00000000000000000000000000000000000c0de1'
const PROPOSER: Address = '0x0000000000000000000000000000000000000abc'

async function fixture() {
  const raw = (await alice.signTransaction({
    type: 'eip1559',
    chainId: 5,
    nonce: 0,
    gas: 100_000n,
    maxFeePerGas: 10n,
    maxPriorityFeePerGas: 1n,
    data: '0x6000',
    accessList: [{ address: CREATED, storageKeys: [`0x${'01'.repeat(32)}`] }],
  })) as Hex
  const reverted = (await alice.signTransaction({
    type: 'eip1559',
    chainId: 5,
    nonce: 1,
    to: CREATED,
    gas: 100_000n,
    maxFeePerGas: 10n,
    maxPriorityFeePerGas: 1n,
  })) as Hex
  const txs: ViewTx[] = [
    {
      hash: keccak256(raw),
      raw,
      from: alice.address.toLowerCase() as Address,
      gasUsed: 60_000n,
      effectiveGasPrice: 10n,
      logs: () => [],
      contractAddress: CREATED,
    },
    {
      hash: keccak256(reverted),
      raw: reverted,
      from: alice.address.toLowerCase() as Address,
      gasUsed: 23_000n,
      effectiveGasPrice: 10n,
      logs: () => [],
      status: 0,
    },
  ]
  const genesis: ViewBlock = {
    number: 0n,
    hash: `0x${'00'.repeat(31)}01`,
    parentHash: `0x${'00'.repeat(32)}`,
    timestamp: 1,
    stateRoot: `0x${'aa'.repeat(32)}`,
    txs: [],
  }
  const block1: ViewBlock = {
    number: 1n,
    hash: `0x${'00'.repeat(31)}02`,
    parentHash: genesis.hash,
    timestamp: 2,
    stateRoot: `0x${'bb'.repeat(32)}`,
    txs,
    coinbase: PROPOSER,
  }
  const blocks = [genesis, block1]
  const calls: CallRequest[] = []
  const view: ChainView = {
    chainId: 5n,
    baseFee: 9n,
    blockGasLimit: 30_000_000n,
    coinbase: '0x0000000000000000000000000000000000000000',
    blockTimeMs: 100,
    head: () => block1,
    block: (n) => blocks[Number(n)],
    blockByHash: (h) => blocks.find((b) => b.hash === h),
    pendingTxs: () => [],
    pendingStateRoot: () => block1.stateRoot,
    transaction: (hash) => {
      const index = txs.findIndex((t) => t.hash === hash)
      return index < 0 ? undefined : { tx: txs[index] as ViewTx, block: block1, index }
    },
    balance: async () => 77n,
    nonce: async () => 2n,
    code: async (): Promise<Hex> => '0x6000',
    storage: async () => `0x${'00'.repeat(31)}05`,
    call: async (request) => {
      calls.push(request)
      throw executionReverted(
        encodeErrorResult({ abi: parseAbi(['error Error(string)']), errorName: 'Error', args: ['nope'] }),
      )
    },
    estimateGas: async () => 50_000n,
    createAccessList: async () => ({
      accessList: [{ address: CREATED, storageKeys: [`0x${'00'.repeat(32)}`] }],
      gasUsed: 26_000n,
    }),
    peerCount: () => 3,
    sendRawTransaction: async () => '0x',
    onBlock: () => {},
  }
  const methods = createEthMethods(view, { clientVersion: 'test' })
  const call = (m: string, p: unknown[] = []) => (methods[m] as (p: unknown[]) => unknown)(p)
  return { call, calls, txs }
}

describe('eth methods over an EVM ChainView', () => {
  it('awaits asynchronous state reads and counts peers', async () => {
    const { call } = await fixture()
    expect(await call('eth_getBalance', [CREATED, 'latest'])).toBe('0x4d')
    expect(await call('eth_getTransactionCount', [CREATED, 'latest'])).toBe('0x2')
    expect(await call('eth_getCode', [CREATED, '0x1'])).toBe('0x6000')
    expect(await call('eth_getStorageAt', [CREATED, '0x0', 'latest'])).toBe(`0x${'00'.repeat(31)}05`)
    expect(await call('eth_estimateGas', [{ to: CREATED }])).toBe('0xc350')
    expect(await call('net_peerCount')).toBe('0x3')
  })

  it('shows reverted receipts, created contracts, access lists and the block’s own coinbase', async () => {
    const { call, txs } = await fixture()
    expect(await call('eth_getTransactionReceipt', [txs[0]?.hash])).toMatchObject({
      status: '0x1',
      contractAddress: CREATED,
      to: null,
      cumulativeGasUsed: '0xea60',
    })
    expect(await call('eth_getTransactionReceipt', [txs[1]?.hash])).toMatchObject({
      status: '0x0',
      contractAddress: null,
      cumulativeGasUsed: `0x${(83_000).toString(16)}`,
    })
    expect(await call('eth_getTransactionByHash', [txs[0]?.hash])).toMatchObject({
      accessList: [{ address: CREATED, storageKeys: [`0x${'01'.repeat(32)}`] }],
    })
    expect(await call('eth_getBlockByNumber', ['0x1', false])).toMatchObject({ miner: PROPOSER })
    expect(await call('eth_createAccessList', [{ to: CREATED }, 'latest'])).toEqual({
      accessList: [{ address: CREATED, storageKeys: [`0x${'00'.repeat(32)}`] }],
      gasUsed: '0x6590',
    })
  })

  it('passes the whole call object and answers a revert as geth does', async () => {
    const { call, calls } = await fixture()
    const err = await Promise.resolve(
      call('eth_call', [
        {
          from: alice.address,
          to: CREATED,
          input: '0xabcd',
          value: '0x10',
          gas: 30_000,
          maxFeePerGas: '0x3',
          maxPriorityFeePerGas: '0x1',
          nonce: '0x7',
          type: '0x2',
          accessList: [{ address: CREATED, storageKeys: [] }],
        },
      ]),
    ).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RpcError)
    expect(err).toMatchObject({ code: 3, message: 'execution reverted: nope' })
    expect(calls[0]).toEqual({
      from: alice.address.toLowerCase(),
      to: CREATED,
      data: '0xabcd',
      value: 16n,
      gas: 30_000n,
      maxFeePerGas: 3n,
      maxPriorityFeePerGas: 1n,
      nonce: 7n,
      accessList: [{ address: CREATED, storageKeys: [] }],
    })
    expect(() => callRequest({ data: '0x01', input: '0x02' })).toThrow(/both "data" and "input"/)
    expect(() => callRequest({ gas: 'lots' })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS' }))
    expect(callRequest({ to: null, value: null })).toEqual({ data: '0x' })
  })

  it('names Error(string) and panic reasons, and leaves custom errors to the client', () => {
    expect(revertReason('0x4e487b710000000000000000000000000000000000000000000000000000000000000011')).toBe(
      'arithmetic underflow or overflow',
    )
    const custom = encodeErrorResult({
      abi: parseAbi(['error Nope(uint256)']),
      errorName: 'Nope',
      args: [1n],
    })
    expect(executionReverted(custom)).toMatchObject({ code: 3, message: 'execution reverted', data: custom })
    expect(revertReason('0x08c379a0ff')).toBeUndefined()
  })
})
