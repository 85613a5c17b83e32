import { keccak256, pad, parseTransaction, toHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { L2kitError } from '../../core/errors.ts'
import type { Address, Hex } from '../../core/types.ts'
import { type RpcConnection, RpcError } from '../rpcServer.ts'
import type { CallRequest, ChainView, StateAt, TxLog, ViewBlock, ViewTx } from './chainView.ts'
import { orderedTrieRoot } from './encoding.ts'
import { historicalStateUnavailable } from './errors.ts'
import { createEthMethods, MAX_LOG_BLOCK_RANGE, MAX_LOGS } from './ethMethods.ts'
import { FILTER_TIMEOUT_MS } from './filters.ts'

const CHAIN_ID = 901n
const BASE_FEE = 1_000n
const BOB: Address = '0x000000000000000000000000000000000000b0b0'
const TOKEN: Address = '0x00000000000000000000000000000000000070ce'
const TRANSFER_TOPIC = keccak256(new TextEncoder().encode('Transfer(address,address,uint256)'))
const alice = privateKeyToAccount(`0x${'11'.repeat(32)}`)
const ALICE = alice.address.toLowerCase() as Address

/** A token Transfer log from alice to bob. */
function transferLog(amount: bigint): TxLog {
  return { address: TOKEN, topics: [TRANSFER_TOPIC, pad(ALICE), pad(BOB)], data: pad(toHex(amount)) }
}

async function signed(nonce: number, kind: 'eip1559' | 'legacy'): Promise<Hex> {
  const common = { chainId: Number(CHAIN_ID), nonce, to: BOB, value: 5n, gas: 21_000n }
  return kind === 'eip1559'
    ? alice.signTransaction({
        ...common,
        type: 'eip1559',
        maxFeePerGas: 2n * BASE_FEE,
        maxPriorityFeePerGas: 7n,
      })
    : alice.signTransaction({ ...common, type: 'legacy', gasPrice: BASE_FEE + 3n })
}

function viewTx(raw: Hex, tip: bigint, logs: TxLog[] = []): ViewTx {
  return {
    hash: keccak256(raw),
    raw,
    from: ALICE,
    gasUsed: 21_000n,
    effectiveGasPrice: BASE_FEE + tip,
    logs: () => logs,
  }
}

/**
 * A chain in memory: genesis, block 1 with an EIP-1559 transfer (no logs), block 2 with a legacy transfer that
 * logs a token Transfer. Alice's balance is 100 at genesis and drops by 10 per block; blocks past the listed
 * ones up to `headNumber` are empty.
 */
async function fakeChain(o: { historyFrom?: bigint } = {}) {
  const raws = [await signed(0, 'eip1559'), await signed(1, 'legacy'), await signed(2, 'eip1559')]
  const blocks: ViewBlock[] = []
  const addBlock = (txs: ViewTx[]) => {
    const number = BigInt(blocks.length)
    const b: ViewBlock = {
      number,
      hash: keccak256(toHex(`block ${number} ${txs.map((t) => t.hash).join()}`)),
      parentHash: blocks.at(-1)?.hash ?? `0x${'00'.repeat(32)}`,
      timestamp: 1_000 + Number(number),
      stateRoot: pad(toHex(number + 1n)),
      txs,
    }
    blocks.push(b)
    for (const l of listeners) l(b)
    return b
  }
  const listeners: ((b: ViewBlock) => void)[] = []
  let pending: ViewTx[] = []
  const calls: { request: CallRequest; at: StateAt }[] = []
  const state = { headNumber: 2n }
  addBlock([])
  addBlock([viewTx(raws[0] as Hex, 7n)])
  addBlock([viewTx(raws[1] as Hex, 3n, [transferLog(42n)])])
  const emptyBlock = (n: bigint): ViewBlock => ({
    number: n,
    hash: keccak256(toHex(`empty ${n}`)),
    parentHash: `0x${'00'.repeat(32)}`,
    timestamp: 2_000,
    stateRoot: `0x${'00'.repeat(32)}`,
    txs: [],
  })
  const block = (n: bigint) => (n > state.headNumber ? undefined : (blocks[Number(n)] ?? emptyBlock(n)))
  const balanceAt = (at: StateAt) => {
    if (at !== 'live' && at < (o.historyFrom ?? 0n)) throw historicalStateUnavailable(at, o.historyFrom ?? 0n)
    return 100n - 10n * (at === 'live' ? state.headNumber + BigInt(pending.length) : at)
  }
  const view: ChainView = {
    chainId: CHAIN_ID,
    baseFee: BASE_FEE,
    blockGasLimit: 30_000_000n,
    coinbase: '0x000000000000000000000000000000000000fee0',
    blockTimeMs: 100,
    head: () => block(state.headNumber) as ViewBlock,
    block,
    blockByHash: (hash) => blocks.find((b) => b.hash === hash && b.number <= state.headNumber),
    pendingTxs: () => pending,
    pendingStateRoot: () => `0x${'ee'.repeat(32)}`,
    transaction: (hash) => {
      for (const b of blocks) {
        const index = b.txs.findIndex((t) => t.hash === hash)
        if (index >= 0) return { tx: b.txs[index] as ViewTx, block: b, index }
      }
      const p = pending.find((t) => t.hash === hash)
      return p && { tx: p }
    },
    balance: (address, at) => (address === ALICE ? balanceAt(at) : 0n),
    nonce: (address, at) => (address === ALICE ? (at === 'live' ? 2n : at) : 0n),
    code: (address) => (address === TOKEN ? '0x60806040' : '0x'),
    storage: (_address, slot) => pad(toHex(slot)),
    call: (request, at) => {
      calls.push({ request, at })
      return '0x01'
    },
    estimateGas: (request, at) => {
      calls.push({ request, at })
      return 21_000n
    },
    sendRawTransaction: async (raw) => {
      const hash = keccak256(raw)
      const nonce = BigInt(parseTransaction(raw).nonce ?? 0)
      const next = BigInt(blocks.reduce((s, b) => s + b.txs.length, 0) + pending.length)
      if (nonce < next)
        throw new L2kitError('NONCE_TOO_LOW', `nonce ${nonce} is below ${next}`, {
          details: { accountNonce: next.toString(), txNonce: nonce.toString() },
        })
      pending.push(viewTx(raw, 7n))
      return hash
    },
    onBlock: (listener) => listeners.push(listener),
  }
  let clock = 1_000_000
  const methods = createEthMethods(view, { clientVersion: 'l2kit/test', now: () => clock })
  const call = async (method: string, params: unknown[] = [], connection?: RpcConnection) =>
    (methods[method] as (p: unknown[], ctx?: { connection?: RpcConnection }) => unknown)(
      params,
      connection ? { connection } : {},
    )
  return {
    view,
    blocks,
    raws,
    calls,
    call,
    state,
    tick: (ms: number) => {
      clock += ms
    },
    /** Seals the pending transactions; with `logs`, each of them logs those. */
    seal: (logs?: TxLog[]) => {
      const b = addBlock(logs ? pending.map((t) => ({ ...t, logs: () => logs })) : pending)
      pending = []
      state.headNumber = b.number
      return b
    },
  }
}

describe('generic eth methods over a ChainView', () => {
  it('resolves block tags and numbers, null for a block past the head, and shows the pending block', async () => {
    const { call, blocks, raws } = await fakeChain()
    expect(await call('eth_chainId')).toBe('0x385')
    expect(await call('net_version')).toBe('901')
    expect(await call('web3_clientVersion')).toBe('l2kit/test')
    expect(await call('eth_blockNumber')).toBe('0x2')
    for (const tag of ['latest', 'safe', 'finalized', '0x2'])
      expect(await call('eth_getBlockByNumber', [tag, false])).toMatchObject({
        number: '0x2',
        hash: blocks[2]?.hash,
      })
    expect(await call('eth_getBlockByNumber', ['earliest', false])).toMatchObject({ number: '0x0' })
    expect(await call('eth_getBlockByNumber', ['0x3', false])).toBeNull()
    expect(await call('eth_getBlockByHash', [`0x${'ab'.repeat(32)}`, false])).toBeNull()
    await expect(call('eth_getBlockByNumber', ['next', false])).rejects.toMatchObject({
      code: 'INVALID_PARAMS',
    })

    const hash = await call('eth_sendRawTransaction', [raws[2]])
    expect(await call('eth_getBlockByNumber', ['pending', false])).toMatchObject({
      number: '0x3',
      hash: null,
      miner: null,
      parentHash: blocks[2]?.hash,
      stateRoot: `0x${'ee'.repeat(32)}`,
      transactions: [hash],
    })
    expect(await call('eth_getBlockTransactionCountByNumber', ['pending'])).toBe('0x1')
    expect(await call('eth_getTransactionByBlockNumberAndIndex', ['pending', '0x0'])).toMatchObject({
      hash,
      blockHash: null,
      transactionIndex: null,
    })
  })

  it('builds blocks, transactions and receipts as geth shows them', async () => {
    const { call, blocks, raws } = await fakeChain()
    const b2 = blocks[2] as ViewBlock
    const full = (await call('eth_getBlockByHash', [b2.hash, true])) as Record<string, unknown>
    expect(full).toMatchObject({
      number: '0x2',
      parentHash: blocks[1]?.hash,
      transactionsRoot: orderedTrieRoot([raws[1] as Hex]),
      gasUsed: toHex(21_000n),
      gasLimit: toHex(30_000_000n),
      baseFeePerGas: toHex(BASE_FEE),
      miner: '0x000000000000000000000000000000000000fee0',
    })
    expect(full.logsBloom).not.toBe(`0x${'00'.repeat(256)}`)
    expect(((await call('eth_getBlockByNumber', ['0x1', false])) as { logsBloom: Hex }).logsBloom).toBe(
      `0x${'00'.repeat(256)}`,
    )
    const legacy = (full.transactions as Record<string, unknown>[])[0]
    const yParity = parseTransaction(raws[1] as Hex).yParity ?? 0
    expect(legacy).toMatchObject({
      type: '0x0',
      from: ALICE,
      to: BOB,
      nonce: '0x1',
      gasPrice: toHex(BASE_FEE + 3n),
      v: toHex(CHAIN_ID * 2n + 35n + BigInt(yParity)),
      blockNumber: '0x2',
      transactionIndex: '0x0',
    })
    const tx1 = await call('eth_getTransactionByHash', [keccak256(raws[0] as Hex)])
    expect(tx1).toMatchObject({
      type: '0x2',
      maxPriorityFeePerGas: '0x7',
      accessList: [],
      v: toHex(yParityOf(raws[0])),
    })

    const receipt = (await call('eth_getTransactionReceipt', [keccak256(raws[1] as Hex)])) as Record<
      string,
      unknown
    >
    expect(receipt).toMatchObject({
      status: '0x1',
      type: '0x0',
      cumulativeGasUsed: toHex(21_000n),
      blockHash: b2.hash,
    })
    expect(receipt.logs).toEqual([
      {
        ...transferLog(42n),
        blockNumber: '0x2',
        blockHash: b2.hash,
        blockTimestamp: toHex(1_002),
        transactionHash: keccak256(raws[1] as Hex),
        transactionIndex: '0x0',
        logIndex: '0x0',
        removed: false,
      },
    ])
    expect(await call('eth_getBlockReceipts', [b2.hash])).toEqual([receipt])
    expect(await call('eth_getBlockReceipts', ['0x9'])).toBeNull()
  })

  it('reads state at a tag, a number, a hash or an EIP-1898 object; header not found past the head', async () => {
    const { call, blocks } = await fakeChain({ historyFrom: 1n })
    const at = (block: unknown) => call('eth_getBalance', [ALICE, block])
    expect(await at('latest')).toBe(toHex(80n))
    expect(await at('pending')).toBe(toHex(80n))
    expect(await at(undefined)).toBe(toHex(80n))
    expect(await at('0x1')).toBe(toHex(90n))
    expect(await at(blocks[1]?.hash)).toBe(toHex(90n))
    expect(await at({ blockHash: blocks[1]?.hash })).toBe(toHex(90n))
    expect(await at({ blockNumber: '0x2' })).toBe(toHex(80n))
    await expect(at('0x3')).rejects.toEqual(new RpcError(-32000, 'header not found'))
    await expect(at({ blockHash: `0x${'ab'.repeat(32)}` })).rejects.toEqual(
      new RpcError(-32000, 'header not found'),
    )
    await expect(at({ blockHash: '0x12' })).rejects.toMatchObject({ code: 'INVALID_PARAMS' })
    await expect(at({})).rejects.toMatchObject({ code: 'INVALID_PARAMS' })
    // The view's own limit comes through: block 0 is older than the state it keeps.
    await expect(at('earliest')).rejects.toMatchObject({ code: 'HISTORICAL_STATE_UNAVAILABLE' })
    await expect(call('eth_getBalance', ['0x1234', 'latest'])).rejects.toMatchObject({
      code: 'INVALID_PARAMS',
    })
    expect(await call('eth_getTransactionCount', [ALICE.toUpperCase().replace('0X', '0x'), '0x1'])).toBe(
      '0x1',
    )
    expect(await call('eth_getCode', [TOKEN, 'latest'])).toBe('0x60806040')
    expect(await call('eth_getStorageAt', [TOKEN, '0x5', 'latest'])).toBe(pad('0x5'))
    await expect(call('eth_getStorageAt', [TOKEN, 'x', 'latest'])).rejects.toMatchObject({
      code: 'INVALID_PARAMS',
    })
  })

  it('passes calls to the view with the block they name, reading data or input', async () => {
    const { call, calls } = await fakeChain()
    expect(
      await call('eth_call', [{ to: TOKEN.toUpperCase().replace('0X', '0x'), input: '0xabcd' }, '0x1']),
    ).toBe('0x01')
    expect(await call('eth_estimateGas', [{ from: ALICE, to: BOB, data: '0x' }])).toBe(toHex(21_000n))
    expect(await call('eth_createAccessList', [{ to: BOB }, 'latest'])).toEqual({
      accessList: [],
      gasUsed: toHex(21_000n),
    })
    expect(calls).toEqual([
      { request: { to: TOKEN, data: '0xabcd' }, at: 1n },
      { request: { from: ALICE, to: BOB, data: '0x' }, at: 'live' },
      { request: { to: BOB, data: '0x' }, at: 'live' },
    ])
    await expect(call('eth_call', [{ to: BOB }, '0x7'])).rejects.toEqual(
      new RpcError(-32000, 'header not found'),
    )
  })

  it('answers eth_getLogs by range, address and topics, within its limits', async () => {
    const { call, blocks, state } = await fakeChain()
    const all = (await call('eth_getLogs', [{ fromBlock: '0x0' }])) as { blockNumber: Hex }[]
    expect(all.map((l) => l.blockNumber)).toEqual(['0x2'])
    expect(await call('eth_getLogs', [{ fromBlock: '0x0', address: BOB }])).toEqual([])
    expect(
      await call('eth_getLogs', [{ fromBlock: 'earliest', topics: [TRANSFER_TOPIC, null, pad(BOB)] }]),
    ).toEqual(all)
    expect(await call('eth_getLogs', [{ fromBlock: '0x0', topics: [null, pad(BOB)] }])).toEqual([])
    expect(await call('eth_getLogs', [{ blockHash: blocks[2]?.hash }])).toEqual(all)
    // A range past the head is clamped to it; one that starts past the head is empty.
    expect(await call('eth_getLogs', [{ fromBlock: '0x1', toBlock: '0x99' }])).toEqual(all)
    expect(await call('eth_getLogs', [{ fromBlock: '0x5', toBlock: '0x9' }])).toEqual([])
    await expect(call('eth_getLogs', [{ fromBlock: '0x2', toBlock: '0x1' }])).rejects.toMatchObject({
      code: 'INVALID_PARAMS',
      message: 'invalid block range params: fromBlock is after toBlock',
    })
    await expect(
      call('eth_getLogs', [{ blockHash: blocks[2]?.hash, fromBlock: '0x0' }]),
    ).rejects.toMatchObject({
      code: 'INVALID_PARAMS',
    })
    await expect(call('eth_getLogs', [{ blockHash: `0x${'ab'.repeat(32)}` }])).rejects.toEqual(
      new RpcError(-32000, 'unknown block'),
    )
    await expect(call('eth_getLogs', [{ topics: [1, 2, 3, 4, 5] }])).rejects.toMatchObject({
      code: 'INVALID_PARAMS',
    })
    await expect(call('eth_getLogs', [{ address: 'nope' }])).rejects.toMatchObject({ code: 'INVALID_PARAMS' })

    state.headNumber = MAX_LOG_BLOCK_RANGE + 5n
    expect(await call('eth_getLogs', [{ fromBlock: toHex(6n) }])).toEqual([])
    await expect(call('eth_getLogs', [{ fromBlock: '0x0' }])).rejects.toEqual(
      new RpcError(-32005, `query exceeds the max block range of ${MAX_LOG_BLOCK_RANGE}`),
    )
  })

  it('refuses more than MAX_LOGS logs in one answer', async () => {
    const { call, seal, view, raws } = await fakeChain()
    await view.sendRawTransaction(raws[2] as Hex)
    const b = seal(Array.from({ length: MAX_LOGS + 1 }, (_, i) => transferLog(BigInt(i))))
    await expect(call('eth_getLogs', [{ blockHash: b.hash }])).rejects.toMatchObject({
      code: -32005,
      message: `query returned more than ${MAX_LOGS} results; narrow the block range`,
    })
  })

  it('reports what changed since the last poll through filters, which expire unpolled', async () => {
    const { call, seal, raws, tick } = await fakeChain()
    const logs = (await call('eth_newFilter', [{ address: TOKEN }])) as string
    const blocksFilter = (await call('eth_newBlockFilter')) as string
    const pendingFilter = (await call('eth_newPendingTransactionFilter')) as string
    expect(await call('eth_getFilterChanges', [logs])).toEqual([])
    const hash = await call('eth_sendRawTransaction', [raws[2]])
    expect(await call('eth_getFilterChanges', [pendingFilter])).toEqual([hash])
    expect(await call('eth_getFilterChanges', [pendingFilter])).toEqual([])
    const b = seal([transferLog(1n)])
    expect(await call('eth_getFilterChanges', [blocksFilter])).toEqual([b.hash])
    expect(await call('eth_getFilterChanges', [blocksFilter])).toEqual([])
    expect(await call('eth_getFilterChanges', [logs])).toMatchObject([
      { blockHash: b.hash, data: pad('0x1') },
    ])
    expect(await call('eth_getFilterChanges', [logs])).toEqual([])
    // A filter from genesis: eth_getFilterLogs answers its whole range (the log of block 2 and the new one).
    const fromGenesis = (await call('eth_newFilter', [{ fromBlock: '0x0', address: TOKEN }])) as string
    expect(await call('eth_getFilterLogs', [fromGenesis])).toMatchObject([
      { blockNumber: '0x2' },
      { blockNumber: '0x3' },
    ])
    await expect(call('eth_getFilterLogs', [blocksFilter])).rejects.toEqual(
      new RpcError(-32000, 'filter not found'),
    )
    // `0x01` and `0x1` name the same filter.
    expect(await call('eth_uninstallFilter', [`0x0${logs.slice(2)}`])).toBe(true)
    expect(await call('eth_uninstallFilter', [logs])).toBe(false)
    tick(FILTER_TIMEOUT_MS + 1)
    await expect(call('eth_getFilterChanges', [blocksFilter])).rejects.toEqual(
      new RpcError(-32000, 'filter not found'),
    )
  })

  it('answers eth_feeHistory with geth shape: one more base fee than blocks, tips by percentile', async () => {
    const { call } = await fakeChain()
    expect(await call('eth_feeHistory', ['0x5', 'latest', [10, 90]])).toEqual({
      oldestBlock: '0x0',
      baseFeePerGas: [toHex(BASE_FEE), toHex(BASE_FEE), toHex(BASE_FEE), toHex(BASE_FEE)],
      gasUsedRatio: [0, 21_000 / 30_000_000, 21_000 / 30_000_000],
      baseFeePerBlobGas: ['0x0', '0x0', '0x0', '0x0'],
      blobGasUsedRatio: [0, 0, 0],
      reward: [
        ['0x0', '0x0'],
        ['0x7', '0x7'],
        ['0x3', '0x3'],
      ],
    })
    expect(await call('eth_feeHistory', ['0x1', '0x1'])).toMatchObject({ oldestBlock: '0x1', reward: [] })
    expect(await call('eth_feeHistory', ['0x0', 'latest'])).toEqual({
      oldestBlock: '0x0',
      baseFeePerGas: [],
      gasUsedRatio: [],
      reward: [],
    })
    await expect(call('eth_feeHistory', ['0x1', '0x3'])).rejects.toEqual(
      new RpcError(-32000, 'request beyond head block: requested 3, head 2'),
    )
    await expect(call('eth_feeHistory', ['0x1', 'latest', [50, 10]])).rejects.toMatchObject({
      code: 'INVALID_PARAMS',
    })
    expect(await call('eth_gasPrice')).toBe(toHex(BASE_FEE))
  })

  it('words rejected transactions as geth does, and says "already known" for a pending duplicate', async () => {
    const { call, raws, seal } = await fakeChain()
    await expect(call('eth_sendRawTransaction', ['0x123'])).rejects.toMatchObject({
      code: 'MALFORMED_TRANSACTION',
    })
    await expect(call('eth_sendRawTransaction', [raws[0]])).rejects.toMatchObject({
      code: 'NONCE_TOO_LOW',
      message: 'nonce too low: next nonce 2, tx nonce 0',
      details: { reason: 'nonce 0 is below 2' },
    })
    const hash = await call('eth_sendRawTransaction', [raws[2]])
    await expect(call('eth_sendRawTransaction', [raws[2]])).rejects.toMatchObject({
      code: 'NONCE_TOO_LOW',
      message: 'already known',
      details: { hash },
    })
    seal()
    await expect(call('eth_sendRawTransaction', [raws[2]])).rejects.toMatchObject({
      message: 'nonce too low: next nonce 3, tx nonce 2',
    })
  })

  it('makes a receipt of an executed transaction wait for its seal', async () => {
    const { call, raws, seal } = await fakeChain()
    const hash = (await call('eth_sendRawTransaction', [raws[2]])) as Hex
    const receipt = call('eth_getTransactionReceipt', [hash])
    setTimeout(seal, 20)
    expect(await receipt).toMatchObject({ transactionHash: hash, blockNumber: '0x3' })
    expect(await call('eth_getTransactionReceipt', [`0x${'ab'.repeat(32)}`])).toBeNull()
  })

  it('pushes new heads and matching logs to WebSocket subscribers until they unsubscribe', async () => {
    const { call, raws, seal, view } = await fakeChain()
    const sent: { method: string; params: { subscription: string; result: Record<string, unknown> } }[] = []
    const closers: (() => void)[] = []
    const connection: RpcConnection = {
      notify: (method, params) => sent.push({ method, params: params as (typeof sent)[number]['params'] }),
      onClose: (l) => closers.push(l),
    }
    await expect(call('eth_subscribe', ['newHeads'])).rejects.toEqual(
      new RpcError(-32601, 'notifications not supported'),
    )
    await expect(call('eth_subscribe', ['pendingThings'], connection)).rejects.toMatchObject({
      code: 'INVALID_PARAMS',
    })
    const heads = (await call('eth_subscribe', ['newHeads'], connection)) as string
    const logs = (await call('eth_subscribe', ['logs', { address: TOKEN }], connection)) as string
    await view.sendRawTransaction(raws[2] as Hex)
    const b = seal([transferLog(9n)])
    expect(sent.map((n) => [n.method, n.params.subscription])).toEqual([
      ['eth_subscription', heads],
      ['eth_subscription', logs],
    ])
    expect(sent[0]?.params.result).toMatchObject({ number: '0x3', hash: b.hash, parentHash: b.parentHash })
    expect(sent[0]?.params.result).not.toHaveProperty('transactions')
    expect(sent[1]?.params.result).toMatchObject({ ...transferLog(9n), blockNumber: '0x3', logIndex: '0x0' })
    expect(await call('eth_unsubscribe', [heads])).toBe(true)
    expect(await call('eth_unsubscribe', [heads])).toBe(false)
    // The connection closing ends the other subscription.
    expect(closers).toHaveLength(2)
    for (const close of closers) close()
    expect(await call('eth_unsubscribe', [logs])).toBe(false)
  })
})

function yParityOf(raw: Hex | undefined): number {
  return parseTransaction(raw as Hex).yParity ?? 0
}
