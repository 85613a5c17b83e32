/**
 * The optimistic node's JSON-RPC surface: the standard `eth_*` methods wallets, viem, ethers and cast need,
 * answered from the sequencer's state and the chain store in the shapes geth and anvil use, and `l2kit_*`
 * methods for rollup status and withdrawals.
 *
 * Block tags: `latest`, `pending`, `safe` and `finalized` read the live state (every acknowledged transaction
 * is already executed: soft confirmation), a block number or hash reads the state at the end of that block
 * (from the chain store's account history), a block past the head or an unknown hash is `header not found`.
 */
import {
  decodeFunctionData,
  encodeAbiParameters,
  encodeFunctionResult,
  isAddress,
  keccak256,
  numberToHex,
  parseAbi,
  parseTransaction,
  toHex,
  type Hex as ViemHex,
} from 'viem'
import { GAS, L2_BRIDGE_ADDRESS, L2_FEE_VAULT_ADDRESS, SELECTORS } from '../core/constants.ts'
import { isL2kitError, L2kitError } from '../core/errors.ts'
import { tokenIndexFromL2Address } from '../core/state.ts'
import type { Address, Hex, TokenInfo } from '../core/types.ts'
import { type RpcConnection, RpcError } from '../node/rpcServer.ts'
import type { BlockTx, L2Block } from './block.ts'
import type { AccountRecord, ChainStore } from './chainStore.ts'
import type { ChainConfig } from './config.ts'
import { encodeReceipt, logsBloom, orBlooms, orderedTrieRoot, type TxLog, txLogs } from './rpcEncoding.ts'
import type { Sequencer } from './sequencer.ts'

/** `ctx.connection` is set for WebSocket requests (eth_subscribe needs it). */
export type RpcHandler = (
  params: unknown[],
  ctx?: { connection?: RpcConnection },
) => unknown | Promise<unknown>

/** What the node reports through `l2kit_status` and the withdrawal methods; implemented by OptimisticNode. */
export type RollupStatusSource = {
  status(): unknown
  withdrawalProof(withdrawalIndex: bigint): unknown
  /** L1 contract addresses and the L1 RPC the node uses, so tools need only the L2 URL. */
  contracts(): unknown
}

const EMPTY_UNCLES: Hex = '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347'
const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`
/** A placeholder code so wallets treat system addresses as contracts (they only check for non-empty code). */
const SYSTEM_CODE: Hex = '0x6080604052600080fd'
/** Like hosted providers: bounded work per eth_getLogs, answered with -32005 beyond it. */
const MAX_LOG_BLOCK_RANGE = 10_000n
const MAX_LOGS = 10_000
/** geth drops a filter nobody polled for 5 minutes. */
const FILTER_TIMEOUT_MS = 5 * 60_000
const MAX_FILTERS = 1_000

const erc20Abi = parseAbi([
  'function balanceOf(address) view returns (uint256)',
  'function decimals() view returns (uint8)',
  'function symbol() view returns (string)',
  'function name() view returns (string)',
  'function totalSupply() view returns (uint256)',
  'function allowance(address,address) view returns (uint256)',
  'function transfer(address,uint256) returns (bool)',
])

function invalidParams(message: string): L2kitError {
  return new L2kitError('INVALID_PARAMS', message)
}

/** geth's answer for a block it does not have (a future number, an unknown hash). */
function headerNotFound(): RpcError {
  return new RpcError(-32000, 'header not found')
}

function param<T = unknown>(params: unknown[], i: number, name: string): T {
  if (params.length <= i) throw invalidParams(`missing parameter ${i + 1} (${name})`)
  return params[i] as T
}

function addressParam(params: unknown[], i: number, name: string): Address {
  const v = param(params, i, name)
  if (typeof v !== 'string' || !isAddress(v, { strict: false }))
    throw invalidParams(`${name} must be a 0x-prefixed 20-byte address`)
  return v.toLowerCase() as Address
}

function isHash(v: unknown): v is Hex {
  return typeof v === 'string' && /^0x[0-9a-fA-F]{64}$/.test(v)
}

/** A 32-byte hash parameter; anything else (`""`, `[]`, short hex) is -32602 with a clear message. */
function hashParam(params: unknown[], i: number, name: string): Hex {
  const v = param(params, i, name)
  if (!isHash(v)) {
    throw invalidParams(
      `${name} must be a 0x-prefixed 32-byte hex string (66 characters), got ${JSON.stringify(v)?.slice(0, 80)}`,
    )
  }
  return v.toLowerCase() as Hex
}

function quantity(v: unknown, name: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v)
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]+$/.test(v))
    throw invalidParams(`${name} must be a hex quantity`)
  return BigInt(v)
}

/** A log as eth_getLogs and receipts show it. */
type RpcLog = {
  address: Address
  topics: Hex[]
  data: Hex
  blockNumber: Hex
  blockHash: Hex
  blockTimestamp: Hex
  transactionHash: Hex
  transactionIndex: Hex
  logIndex: Hex
  removed: false
}

/** Per-block derived data (logs, blooms, trie roots), cached: blocks never change once sealed. */
type BlockExtras = {
  logs: RpcLog[][]
  blooms: Uint8Array[]
  bloom: Hex
  transactionsRoot: Hex
  receiptsRoot: Hex
  cumulativeGas: bigint[]
}

type LogFilter = {
  addresses: Set<string> | undefined
  topics: (Set<string> | undefined)[]
}

type Filter =
  | { kind: 'blocks'; next: bigint; touched: number }
  | { kind: 'logs'; next: bigint; criteria: LogFilter; from?: bigint; to?: bigint; touched: number }
  | { kind: 'pendingTxs'; seen: Set<string>; touched: number }

function bytesHex(b: Uint8Array): Hex {
  return `0x${Buffer.from(b).toString('hex')}`
}

/**
 * geth's wording for rejected transactions, which ethers and other clients parse to classify them (ethers v6:
 * /nonce/ + /too low/ → NONCE_EXPIRED, /insufficient funds/ → INSUFFICIENT_FUNDS, "only replay-protected" →
 * UNSUPPORTED_OPERATION); the typed `data.code` and details stay, with l2kit's own explanation as
 * `details.reason`.
 */
function gethStyleError(err: L2kitError): L2kitError {
  const d = err.details as Record<string, string | undefined>
  let message: string | undefined
  switch (err.code) {
    case 'NONCE_TOO_LOW':
      message = `nonce too low: next nonce ${d.accountNonce}, tx nonce ${d.txNonce}`
      break
    case 'NONCE_TOO_HIGH':
      message = `nonce too high: next nonce ${d.accountNonce}, tx nonce ${d.txNonce}`
      break
    case 'INSUFFICIENT_BALANCE':
      message = `insufficient funds for gas * price + value: address ${d.sender} have ${d.balance} want ${d.required}`
      break
    case 'UNKNOWN_ACCOUNT':
      // The sender never received anything: on Ethereum that is an empty account, i.e. no funds.
      message = `insufficient funds for gas * price + value: address ${d.sender} have 0 (no account on this L2 yet)`
      break
    case 'GAS_LIMIT_TOO_LOW':
      message = `intrinsic gas too low: gas ${d.gasLimit}, minimum needed ${d.required}`
      break
    case 'UNPROTECTED_TX':
      message = 'only replay-protected (EIP-155) transactions allowed over RPC'
      break
    case 'WRONG_CHAIN_ID':
      message = 'invalid chain id for signer'
      break
    case 'FEE_CAP_TOO_LOW':
      message = `max fee per gas less than block base fee: ${err.message}`
      break
  }
  if (message === undefined) return err
  return new L2kitError(err.code, message, {
    kind: err.kind,
    details: { ...err.details, reason: err.message },
    cause: err,
  })
}

export function createRpcMethods(deps: {
  chain: ChainConfig
  sequencer: Sequencer
  store: ChainStore
  status: RollupStatusSource
  /** Wall clock in ms (filters expire); injectable for tests. */
  now?: () => number
}): Record<string, RpcHandler> {
  const { chain, sequencer, store } = deps
  const now = deps.now ?? Date.now
  const hexChainId = numberToHex(chain.chainId)

  // ---- blocks ----

  /** A block by tag or number for block queries: null (not an error) when it does not exist, like geth. */
  function resolveBlock(tag: unknown): L2Block | 'pending' | undefined {
    const head = sequencer.head
    if (tag === 'pending') return 'pending'
    if (tag === undefined || tag === 'latest' || tag === 'safe' || tag === 'finalized') return head
    if (tag === 'earliest') return store.getBlock(0n)
    const n = quantity(tag, 'block number')
    return n > head.number ? undefined : store.getBlock(n)
  }

  function sealedBlock(tag: unknown): L2Block | undefined {
    const b = resolveBlock(tag)
    return b === 'pending' ? undefined : b
  }

  /**
   * The state a state query reads (EIP-1898: a tag, a number, a hash, or `{blockNumber}` / `{blockHash}`):
   * 'live' or the end of a sealed block. Future blocks and unknown hashes are errors, never today's value.
   */
  function stateAt(tag: unknown): 'live' | bigint {
    if (tag === undefined || tag === 'latest' || tag === 'pending' || tag === 'safe' || tag === 'finalized')
      return 'live'
    if (tag === 'earliest') return 0n
    let hash: unknown
    let number: unknown
    if (typeof tag === 'object' && tag !== null && !Array.isArray(tag)) {
      const o = tag as Record<string, unknown>
      if (o.blockHash !== undefined) hash = o.blockHash
      else if (o.blockNumber !== undefined) return stateAt(o.blockNumber)
      else throw invalidParams('block must be a tag, a number, {blockNumber} or {blockHash}')
    } else if (typeof tag === 'string' && tag.length === 66) hash = tag
    else number = tag
    if (hash !== undefined) {
      if (!isHash(hash)) throw invalidParams('blockHash must be a 0x-prefixed 32-byte hex string')
      const b = store.getBlockByHash(hash)
      if (b === undefined || b.number > sequencer.head.number) throw headerNotFound()
      return b.number
    }
    const n = quantity(number, 'block number')
    if (n > sequencer.head.number) throw headerNotFound()
    return n
  }

  /** The account at the end of block `n` from the chain store's history. */
  function accountAt(address: Address, n: bigint): AccountRecord | undefined {
    const from = store.historyFrom() ?? 0n
    if (n < from) {
      throw new L2kitError(
        'HISTORICAL_STATE_UNAVAILABLE',
        `historical state not available: this node keeps account history from block ${from}, block ${n} was asked`,
        { details: { block: n.toString(), historyFrom: from.toString() } },
      )
    }
    return store.accountAt(address, n)
  }

  function balanceAt(address: Address, tokenIndex: number, at: 'live' | bigint): bigint {
    if (at === 'live') return sequencer.state.getBalance(address, tokenIndex)
    const rec = accountAt(address, at)
    return rec?.balances.find(([t]) => t === tokenIndex)?.[1] ?? 0n
  }

  function nonceAt(address: Address, at: 'live' | bigint): bigint {
    if (at === 'live') return sequencer.state.getNonce(address)
    return accountAt(address, at)?.nonce ?? 0n
  }

  function tokenAt(address: Address): TokenInfo | undefined {
    const index = tokenIndexFromL2Address(address)
    return index === undefined ? undefined : sequencer.state.tokens.find((t: TokenInfo) => t.index === index)
  }

  function tokenAddressOf(index: number): Address {
    const t = sequencer.state.tokens.find((x: TokenInfo) => x.index === index)
    return (t?.l2Address ?? L2_FEE_VAULT_ADDRESS).toLowerCase() as Address
  }

  const extrasCache = new Map<string, BlockExtras>()
  function extras(b: L2Block): BlockExtras {
    const cached = extrasCache.get(b.hash)
    if (cached) return cached
    const logs: RpcLog[][] = []
    const blooms: Uint8Array[] = []
    const receipts: Hex[] = []
    const cumulativeGas: bigint[] = []
    let logIndex = 0
    let cumulative = 0n
    b.txs.forEach((t, i) => {
      const raw: TxLog[] = txLogs(t, tokenAddressOf)
      const bloom = logsBloom(raw)
      cumulative += t.gasUsed
      cumulativeGas.push(cumulative)
      blooms.push(bloom)
      receipts.push(encodeReceipt(t.raw.startsWith('0x02') ? 'eip1559' : 'legacy', cumulative, bloom, raw))
      logs.push(
        raw.map((l) => ({
          address: l.address,
          topics: l.topics,
          data: l.data,
          blockNumber: toHex(b.number),
          blockHash: b.hash,
          blockTimestamp: toHex(b.timestamp),
          transactionHash: t.hash,
          transactionIndex: toHex(i),
          logIndex: toHex(logIndex++),
          removed: false as const,
        })),
      )
    })
    const e: BlockExtras = {
      logs,
      blooms,
      bloom: bytesHex(orBlooms(blooms)),
      transactionsRoot: orderedTrieRoot(b.txs.map((t) => t.raw)),
      receiptsRoot: orderedTrieRoot(receipts),
      cumulativeGas,
    }
    if (extrasCache.size >= 512) extrasCache.delete(extrasCache.keys().next().value as string)
    extrasCache.set(b.hash, e)
    return e
  }

  function formatTx(
    t: BlockTx,
    block: L2Block | undefined,
    index: number | undefined,
  ): Record<string, unknown> {
    const p = parseTransaction(t.raw as ViemHex)
    const yParity = t.tx.signature.yParity
    const v = p.type === 'legacy' ? chain.chainId * 2n + 35n + BigInt(yParity) : BigInt(yParity)
    return {
      hash: t.hash,
      type: p.type === 'legacy' ? '0x0' : '0x2',
      chainId: hexChainId,
      nonce: toHex(t.tx.nonce),
      blockHash: block?.hash ?? null,
      blockNumber: block ? toHex(block.number) : null,
      blockTimestamp: block ? toHex(block.timestamp) : null,
      transactionIndex: index === undefined ? null : toHex(index),
      from: t.sender,
      to: p.to ?? null,
      value: toHex(p.value ?? 0n),
      gas: toHex(t.tx.gasLimit),
      gasPrice: toHex(t.effectiveGasPrice),
      ...(p.type === 'eip1559'
        ? {
            maxFeePerGas: toHex(p.maxFeePerGas ?? 0n),
            maxPriorityFeePerGas: toHex(p.maxPriorityFeePerGas ?? 0n),
            accessList: [],
          }
        : {}),
      input: p.data ?? '0x',
      v: toHex(v),
      yParity: toHex(yParity),
      r: toHex(t.tx.signature.r),
      s: toHex(t.tx.signature.s),
    }
  }

  function formatReceipt(t: BlockTx, block: L2Block, index: number): Record<string, unknown> {
    const e = extras(block)
    const p = parseTransaction(t.raw as ViemHex)
    return {
      transactionHash: t.hash,
      transactionIndex: toHex(index),
      blockHash: block.hash,
      blockNumber: toHex(block.number),
      blockTimestamp: toHex(block.timestamp),
      from: t.sender,
      to: p.to ?? null,
      cumulativeGasUsed: toHex(e.cumulativeGas[index] as bigint),
      gasUsed: toHex(t.gasUsed),
      effectiveGasPrice: toHex(t.effectiveGasPrice),
      contractAddress: null,
      logs: e.logs[index],
      logsBloom: bytesHex(e.blooms[index] as Uint8Array),
      status: '0x1',
      type: p.type === 'legacy' ? '0x0' : '0x2',
    }
  }

  function formatBlock(b: L2Block, full: boolean): Record<string, unknown> {
    const gasUsed = b.txs.reduce((s, t) => s + t.gasUsed, 0n)
    const e = extras(b)
    return {
      number: toHex(b.number),
      hash: b.hash,
      parentHash: b.parentHash,
      nonce: '0x0000000000000000',
      sha3Uncles: EMPTY_UNCLES,
      logsBloom: e.bloom,
      // Ethereum's tries over the block's transactions and receipts; stateRoot is the L2 state commitment
      // (ARCHITECTURE.md "State and its root"), the root the proposer posts and a fraud proof checks.
      transactionsRoot: e.transactionsRoot,
      stateRoot: b.stateRoot,
      receiptsRoot: e.receiptsRoot,
      miner: L2_FEE_VAULT_ADDRESS,
      difficulty: '0x0',
      totalDifficulty: '0x0',
      extraData: '0x',
      size: toHex(500 + b.txs.reduce((s, t) => s + (t.raw.length - 2) / 2, 0)),
      gasLimit: toHex(sequencer.options.blockGasLimit),
      gasUsed: toHex(gasUsed),
      timestamp: toHex(b.timestamp),
      baseFeePerGas: toHex(chain.baseFee),
      mixHash: ZERO_HASH,
      blobGasUsed: '0x0',
      excessBlobGas: '0x0',
      uncles: [],
      transactions: full ? b.txs.map((t, i) => formatTx(t, b, i)) : b.txs.map((t) => t.hash),
    }
  }

  /**
   * The block being built, as geth shows its pending block: number head+1, the executed transactions not yet
   * sealed, the live state root, and no hash, nonce or miner (they do not exist yet).
   */
  function formatPendingBlock(full: boolean): Record<string, unknown> {
    const head = sequencer.head
    const txs = sequencer.unsealedTxs
    const pseudo: L2Block = {
      number: head.number + 1n,
      hash: ZERO_HASH,
      parentHash: head.hash,
      timestamp: Math.max(head.timestamp, Math.floor(now() / 1000)),
      depositCountAfter: head.depositCountAfter,
      deposits: [],
      accountCountBefore: 0,
      txs,
      stateRoot: sequencer.state.stateRoot(),
    }
    const out = formatBlock(pseudo, false)
    extrasCache.delete(ZERO_HASH)
    return {
      ...out,
      hash: null,
      nonce: null,
      miner: null,
      transactions: full ? txs.map((t) => formatTx(t, undefined, undefined)) : txs.map((t) => t.hash),
    }
  }

  function findTx(hash: Hex): { t: BlockTx; block?: L2Block; index?: number } | undefined {
    const loc = store.getTxLocation(hash)
    // A seal becomes readable in the store a moment before the sequencer moves its head: until then the tx is
    // still shown as pending, so no answer names a block beyond eth_blockNumber.
    if (loc && loc.blockNumber <= sequencer.head.number) {
      const block = store.getBlock(loc.blockNumber)
      const t = block?.txs[loc.index]
      if (block && t) return { t, block, index: loc.index }
    }
    const pending = sequencer.getPendingTx(hash)
    return pending ? { t: pending } : undefined
  }

  /**
   * Resolves once `hash` (executed, not sealed yet) is in a sealed block, or after about two block times.
   * A receipt asked for a soft-confirmed transaction waits for its seal instead of answering null: the L2 makes
   * no empty blocks, and ethers' `tx.wait()` only looks again when a new block appears, so a null answered just
   * before the last seal of a quiet chain would leave it waiting forever.
   */
  const sealWaiters = new Set<() => void>()
  /** WebSocket subscriptions fed by every sealed block (one sequencer listener for all of them). */
  const blockSubscribers = new Map<string, (b: L2Block) => void>()
  sequencer.on('block', (b) => {
    for (const wake of sealWaiters) wake()
    for (const [id, push] of blockSubscribers) {
      try {
        push(b)
      } catch {
        blockSubscribers.delete(id)
      }
    }
  })
  function sealOf(hash: Hex): Promise<void> {
    const limitMs = Math.min(2 * sequencer.options.blockTimeMs + 250, 5_000)
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        sealWaiters.delete(check)
        resolve()
      }
      const check = () => {
        if (!sequencer.getPendingTx(hash)) done()
      }
      const timer = setTimeout(done, limitMs)
      sealWaiters.add(check)
      check()
    })
  }

  /** A sealed block named by a hash parameter, or undefined (not in the store or not yet the head's past). */
  function blockByHash(hash: Hex): L2Block | undefined {
    const b = store.getBlockByHash(hash)
    return b && b.number <= sequencer.head.number ? b : undefined
  }

  // ---- logs ----

  function topicSet(v: unknown, what: string): Set<string> | undefined {
    if (v === null || v === undefined) return undefined
    const list = Array.isArray(v) ? v : [v]
    if (list.length === 0) return undefined
    for (const x of list) if (!isHash(x)) throw invalidParams(`${what} must be 32-byte hex topics or null`)
    return new Set(list.map((x) => (x as string).toLowerCase()))
  }

  function logCriteria(f: Record<string, unknown>): LogFilter {
    let addresses: Set<string> | undefined
    if (f.address !== undefined && f.address !== null) {
      const list = Array.isArray(f.address) ? f.address : [f.address]
      for (const a of list)
        if (typeof a !== 'string' || !isAddress(a, { strict: false }))
          throw invalidParams('filter address must be an address or a list of addresses')
      addresses = list.length === 0 ? undefined : new Set(list.map((a) => (a as string).toLowerCase()))
    }
    const topicsIn = f.topics ?? []
    if (!Array.isArray(topicsIn)) throw invalidParams('filter topics must be a list')
    if (topicsIn.length > 4) throw invalidParams('filter topics: at most 4 positions')
    return { addresses, topics: topicsIn.map((t, i) => topicSet(t, `topics[${i}]`)) }
  }

  function matches(log: RpcLog, c: LogFilter): boolean {
    if (c.addresses && !c.addresses.has(log.address.toLowerCase())) return false
    for (let i = 0; i < c.topics.length; i++) {
      const want = c.topics[i]
      if (want === undefined) continue
      const got = log.topics[i]
      if (got === undefined || !want.has(got.toLowerCase())) return false
    }
    return true
  }

  function blockLogs(b: L2Block, c: LogFilter, out: RpcLog[], limit = MAX_LOGS): void {
    // Empty blocks and blocks of plain ETH transfers have no logs: skip them without building anything.
    if (!b.txs.some((t) => t.tx.op.kind !== 'ethTransfer')) return
    for (const txLogsOf of extras(b).logs) {
      for (const log of txLogsOf) {
        if (!matches(log, c)) continue
        if (out.length >= limit)
          throw new RpcError(-32005, `query returned more than ${MAX_LOGS} results; narrow the block range`)
        out.push(log)
      }
    }
  }

  function logsInRange(from: bigint, to: bigint, c: LogFilter): RpcLog[] {
    const out: RpcLog[] = []
    for (let n = from; n <= to; n++) {
      const b = store.getBlock(n)
      if (b) blockLogs(b, c, out)
    }
    return out
  }

  /** A filter's block bound: tags and numbers, clamped to the head like geth ("latest" = head). */
  function boundOf(v: unknown, fallback: bigint): bigint {
    if (v === undefined || v === null) return fallback
    if (v === 'latest' || v === 'pending' || v === 'safe' || v === 'finalized') return sequencer.head.number
    if (v === 'earliest') return 0n
    return quantity(v, 'block number')
  }

  function getLogs(f: Record<string, unknown>): RpcLog[] {
    const criteria = logCriteria(f)
    if (f.blockHash !== undefined && f.blockHash !== null) {
      if (f.fromBlock !== undefined || f.toBlock !== undefined)
        throw invalidParams('cannot specify both blockHash and fromBlock/toBlock')
      if (!isHash(f.blockHash)) throw invalidParams('blockHash must be a 0x-prefixed 32-byte hex string')
      const b = blockByHash(f.blockHash)
      if (!b) throw new RpcError(-32000, 'unknown block')
      const out: RpcLog[] = []
      blockLogs(b, criteria, out)
      return out
    }
    const head = sequencer.head.number
    const from = boundOf(f.fromBlock, head)
    const to = boundOf(f.toBlock, head)
    if (from > to && to <= head) throw invalidParams('invalid block range params: fromBlock is after toBlock')
    let last = to
    if (last > head) last = head
    if (from > last) return []
    if (last - from + 1n > MAX_LOG_BLOCK_RANGE)
      throw new RpcError(-32005, `query exceeds the max block range of ${MAX_LOG_BLOCK_RANGE}`)
    return logsInRange(from, last, criteria)
  }

  // ---- filters (polling) ----

  const filters = new Map<string, Filter>()
  let nextFilterId = 1n
  function addFilter(f: Filter): Hex {
    const t = now()
    for (const [id, old] of filters) if (t - old.touched > FILTER_TIMEOUT_MS) filters.delete(id)
    if (filters.size >= MAX_FILTERS)
      throw new RpcError(-32005, `too many filters (${MAX_FILTERS}); uninstall some or let them expire`)
    const id = toHex(nextFilterId++)
    filters.set(id, f)
    return id
  }
  function filterOf(p: unknown[]): [string, Filter] {
    const raw = param(p, 0, 'filter id')
    const id = typeof raw === 'string' && /^0x[0-9a-fA-F]+$/.test(raw) ? toHex(BigInt(raw)) : undefined
    const f = id === undefined ? undefined : filters.get(id)
    if (id === undefined || f === undefined || now() - f.touched > FILTER_TIMEOUT_MS) {
      if (id !== undefined) filters.delete(id)
      throw new RpcError(-32000, 'filter not found')
    }
    f.touched = now()
    return [id, f]
  }

  // ---- fee history ----

  function feeHistory(p: unknown[]): Record<string, unknown> {
    const rawCount = param(p, 0, 'blockCount')
    const count = quantity(rawCount, 'blockCount')
    const newestTag = p[1] ?? 'latest'
    const head = sequencer.head.number
    let newest: bigint
    if (
      newestTag === 'latest' ||
      newestTag === 'pending' ||
      newestTag === 'safe' ||
      newestTag === 'finalized'
    )
      newest = head
    else if (newestTag === 'earliest') newest = 0n
    else {
      newest = quantity(newestTag, 'newestBlock')
      if (newest > head)
        throw new RpcError(-32000, `request beyond head block: requested ${newest}, head ${head}`)
    }
    const percentiles = p[2] ?? []
    if (!Array.isArray(percentiles)) throw invalidParams('rewardPercentiles must be a list of numbers')
    percentiles.forEach((x, i) => {
      if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 100)
        throw invalidParams(`invalid reward percentile: ${JSON.stringify(x)} (must be in [0, 100])`)
      if (i > 0 && x < (percentiles[i - 1] as number))
        throw invalidParams(`invalid reward percentile: #${i - 1}:${percentiles[i - 1]} > #${i}:${x}`)
    })
    const n = count > 1024n ? 1024n : count
    if (n === 0n) return { oldestBlock: '0x0', baseFeePerGas: [], gasUsedRatio: [], reward: [] }
    const oldest = newest - n + 1n < 0n ? 0n : newest - n + 1n
    const blocks: L2Block[] = []
    for (let i = oldest; i <= newest; i++) {
      const b = store.getBlock(i)
      if (b) blocks.push(b)
    }
    const limit = Number(sequencer.options.blockGasLimit)
    const gasUsedOf = (b: L2Block) => b.txs.reduce((s, t) => s + t.gasUsed, 0n)
    return {
      oldestBlock: toHex(oldest),
      baseFeePerGas: Array.from({ length: blocks.length + 1 }, () => toHex(chain.baseFee)),
      gasUsedRatio: blocks.map((b) => Number(gasUsedOf(b)) / limit),
      // No blob transactions on this L2 (like op-geth's answer on an L2 without blobs).
      baseFeePerBlobGas: Array.from({ length: blocks.length + 1 }, () => '0x0'),
      blobGasUsedRatio: blocks.map(() => 0),
      reward:
        percentiles.length === 0
          ? []
          : blocks.map((b) => rewardPercentiles(b, gasUsedOf(b), percentiles as number[])),
    }
  }

  /** geth's rule: tips sorted ascending, each percentile = the tip of the tx where cumulative gas reaches it. */
  function rewardPercentiles(b: L2Block, gasUsed: bigint, percentiles: number[]): Hex[] {
    if (b.txs.length === 0) return percentiles.map(() => '0x0')
    const tips = b.txs
      .map((t) => ({ tip: t.effectiveGasPrice - chain.baseFee, gas: t.gasUsed }))
      .sort((a, c) => (a.tip < c.tip ? -1 : a.tip > c.tip ? 1 : 0))
    return percentiles.map((pct) => {
      const threshold = (Number(gasUsed) * pct) / 100
      let sum = 0
      for (const t of tips) {
        sum += Number(t.gas)
        if (sum >= threshold) return toHex(t.tip < 0n ? 0n : t.tip)
      }
      const lastTip = (tips[tips.length - 1] as { tip: bigint }).tip
      return toHex(lastTip < 0n ? 0n : lastTip)
    })
  }

  // ---- calls ----

  function callData(callObj: Record<string, unknown>): ViemHex {
    return (
      typeof callObj.data === 'string'
        ? callObj.data
        : typeof callObj.input === 'string'
          ? callObj.input
          : '0x'
    ) as ViemHex
  }

  /** Gas a call would use; the L2 has fixed gas per supported operation. */
  function estimate(callObj: Record<string, unknown>): bigint {
    const to = typeof callObj.to === 'string' ? (callObj.to.toLowerCase() as Address) : undefined
    const data = callData(callObj)
    if (to === undefined) {
      throw new L2kitError(
        'CONTRACT_CREATION_UNSUPPORTED',
        'contract deployment is not supported on this L2 yet',
      )
    }
    if (tokenIndexFromL2Address(to) !== undefined) {
      if (data.startsWith(SELECTORS.erc20Transfer)) return GAS.tokenTransfer
      throw new L2kitError(
        'UNSUPPORTED_CALL',
        'bridged tokens on this L2 support transfer(address,uint256) only',
      )
    }
    if (to === L2_BRIDGE_ADDRESS.toLowerCase()) {
      if (data.startsWith(SELECTORS.withdrawEth)) return GAS.withdrawEth
      if (data.startsWith(SELECTORS.withdrawErc20)) return GAS.withdrawToken
      throw new L2kitError(
        'UNSUPPORTED_CALL',
        'the L2 bridge supports withdrawETH(address) and withdrawERC20(address,address,uint256) only',
      )
    }
    if (data !== '0x' && (data as string) !== '') {
      throw new L2kitError(
        'UNSUPPORTED_CALL',
        'calls to arbitrary contracts are not supported on this L2 yet; send plain ETH or call a bridged token',
      )
    }
    return GAS.ethTransfer
  }

  /** What a Solidity contract answers for a call it cannot handle: a revert with empty data. */
  function executionReverted(data: Hex = '0x'): RpcError {
    return new RpcError(3, 'execution reverted', data)
  }

  function totalSupply(tokenIndex: number, at: 'live' | bigint): bigint {
    const state = sequencer.state
    let sum = 0n
    // Every account that ever existed is in the live state (accounts are never removed).
    for (let i = 0; i < state.accountCount; i++) {
      const a = state.addressAt(i)
      if (a) sum += balanceAt(a, tokenIndex, at)
    }
    return sum
  }

  function call(callObj: Record<string, unknown>, at: 'live' | bigint): Hex {
    const to = typeof callObj.to === 'string' ? (callObj.to.toLowerCase() as Address) : undefined
    const data = callData(callObj)
    if (to === undefined)
      throw new L2kitError(
        'CONTRACT_CREATION_UNSUPPORTED',
        'contract deployment is not supported on this L2 yet',
      )
    const index = tokenIndexFromL2Address(to)
    if (index !== undefined) {
      const token = tokenAt(to)
      // Like a call to an address without code on Ethereum: success, empty return data.
      if (!token) return '0x'
      let decoded: ReturnType<typeof decodeFunctionData<typeof erc20Abi>>
      try {
        decoded = decodeFunctionData({ abi: erc20Abi, data })
      } catch {
        // An ERC-20 contract has no fallback: an unknown selector reverts.
        throw executionReverted()
      }
      switch (decoded.functionName) {
        case 'balanceOf':
          return encodeAbiParameters([{ type: 'uint256' }], [balanceAt(decoded.args[0], index, at)])
        case 'decimals':
          return encodeAbiParameters([{ type: 'uint8' }], [token.decimals])
        case 'symbol':
          return encodeAbiParameters([{ type: 'string' }], [token.symbol])
        case 'name':
          return encodeAbiParameters([{ type: 'string' }], [token.name])
        case 'totalSupply':
          return encodeAbiParameters([{ type: 'uint256' }], [totalSupply(index, at)])
        case 'allowance':
          return encodeAbiParameters([{ type: 'uint256' }], [0n])
        case 'transfer': {
          // A simulation (viem's simulateContract, ethers' staticCall): true if the sender holds the amount.
          const from = typeof callObj.from === 'string' ? (callObj.from.toLowerCase() as Address) : undefined
          const have = from === undefined ? 0n : balanceAt(from, index, at)
          if (have < decoded.args[1]) throw executionReverted()
          return encodeFunctionResult({ abi: erc20Abi, functionName: 'transfer', result: true })
        }
      }
    }
    if (data === '0x' && to !== L2_BRIDGE_ADDRESS.toLowerCase()) return '0x'
    throw new L2kitError(
      'UNSUPPORTED_CALL',
      `eth_call to ${to} is not supported: this L2 runs no arbitrary contracts yet`,
    )
  }

  /** geth's eth_subscribe: `newHeads` (block headers) and `logs` (with an address/topics filter), WebSocket only. */
  function subscribe(p: unknown[], connection: RpcConnection | undefined): Hex {
    // geth's answer over HTTP.
    if (!connection) throw new RpcError(-32601, 'notifications not supported')
    const kind = param(p, 0, 'subscription type')
    const id = toHex(crypto.getRandomValues(new Uint8Array(16)))
    const notify = (result: unknown) => connection.notify('eth_subscription', { subscription: id, result })
    if (kind === 'newHeads') {
      blockSubscribers.set(id, (b) => {
        const {
          transactions: _t,
          uncles: _u,
          size: _s,
          totalDifficulty: _d,
          ...header
        } = formatBlock(b, false)
        notify(header)
      })
    } else if (kind === 'logs') {
      const criteria = logCriteria((p[1] ?? {}) as Record<string, unknown>)
      blockSubscribers.set(id, (b) => {
        const out: RpcLog[] = []
        blockLogs(b, criteria, out, Number.POSITIVE_INFINITY)
        for (const log of out) notify(log)
      })
    } else {
      throw invalidParams(`unsupported subscription type ${JSON.stringify(kind)}: use newHeads or logs`)
    }
    connection.onClose(() => blockSubscribers.delete(id))
    return id
  }

  function txByBlockAndIndex(b: L2Block | 'pending' | undefined, rawIndex: unknown): unknown {
    const i = quantity(rawIndex, 'index')
    if (b === undefined) return null
    if (b === 'pending') {
      const t = sequencer.unsealedTxs[Number(i)]
      return t ? formatTx(t, undefined, undefined) : null
    }
    const t = i < BigInt(b.txs.length) ? b.txs[Number(i)] : undefined
    return t ? formatTx(t, b, Number(i)) : null
  }

  const methods: Record<string, RpcHandler> = {
    eth_chainId: () => hexChainId,
    net_version: () => chain.chainId.toString(),
    net_listening: () => true,
    // A sequencer has no peers: it is the only block producer.
    net_peerCount: () => '0x0',
    web3_clientVersion: () => 'l2kit/0.1.0/optimistic',
    eth_syncing: () => false,
    eth_accounts: () => [],
    eth_blockNumber: () => toHex(sequencer.head.number),
    eth_getBalance: (p) => {
      const address = addressParam(p, 0, 'address')
      return toHex(balanceAt(address, 0, stateAt(p[1])))
    },
    eth_getTransactionCount: (p) => {
      const address = addressParam(p, 0, 'address')
      return toHex(nonceAt(address, stateAt(p[1])))
    },
    eth_getCode: (p) => {
      const a = addressParam(p, 0, 'address')
      stateAt(p[1])
      return a === L2_BRIDGE_ADDRESS.toLowerCase() || tokenAt(a) ? SYSTEM_CODE : '0x'
    },
    eth_getStorageAt: (p) => {
      addressParam(p, 0, 'address')
      quantity(param(p, 1, 'slot'), 'slot')
      stateAt(p[2])
      // No contract on this L2 keeps EVM storage.
      return ZERO_HASH
    },
    eth_sendRawTransaction: async (p) => {
      const raw = param<unknown>(p, 0, 'signed transaction')
      if (typeof raw !== 'string' || !/^0x([0-9a-fA-F]{2})+$/.test(raw)) {
        throw new L2kitError('MALFORMED_TRANSACTION', 'the signed transaction must be 0x-prefixed hex bytes')
      }
      try {
        return await sequencer.submitRawTransaction(raw as Hex)
      } catch (err) {
        if (!isL2kitError(err)) throw err
        if (err.code === 'NONCE_TOO_LOW') {
          // The same transaction again while it is still pending: geth's "already known" (the typed code stays
          // NONCE_TOO_LOW, which it also is).
          const hash = parseTransactionHash(raw as Hex)
          if (hash && sequencer.getPendingTx(hash))
            throw new L2kitError('NONCE_TOO_LOW', 'already known', {
              details: { ...err.details, hash, reason: err.message },
              cause: err,
            })
        }
        throw gethStyleError(err)
      }
    },
    eth_getTransactionByHash: (p) => {
      const found = findTx(hashParam(p, 0, 'transaction hash'))
      return found ? formatTx(found.t, found.block, found.index) : null
    },
    eth_getTransactionReceipt: async (p) => {
      const hash = hashParam(p, 0, 'transaction hash')
      let found = findTx(hash)
      if (found && !found.block) {
        await sealOf(hash)
        found = findTx(hash)
      }
      if (!found?.block || found.index === undefined) return null
      return formatReceipt(found.t, found.block, found.index)
    },
    eth_getBlockByNumber: (p) => {
      const b = resolveBlock(param(p, 0, 'block'))
      if (b === 'pending') return formatPendingBlock(p[1] === true)
      return b ? formatBlock(b, p[1] === true) : null
    },
    eth_getBlockByHash: (p) => {
      const b = blockByHash(hashParam(p, 0, 'block hash'))
      return b ? formatBlock(b, p[1] === true) : null
    },
    eth_getBlockTransactionCountByNumber: (p) => {
      const b = resolveBlock(param(p, 0, 'block'))
      if (b === 'pending') return toHex(sequencer.unsealedTxs.length)
      return b ? toHex(b.txs.length) : null
    },
    eth_getBlockTransactionCountByHash: (p) => {
      const b = blockByHash(hashParam(p, 0, 'block hash'))
      return b ? toHex(b.txs.length) : null
    },
    eth_getUncleCountByBlockNumber: (p) => (resolveBlock(param(p, 0, 'block')) ? '0x0' : null),
    eth_getUncleCountByBlockHash: (p) => (blockByHash(hashParam(p, 0, 'block hash')) ? '0x0' : null),
    eth_getTransactionByBlockNumberAndIndex: (p) =>
      txByBlockAndIndex(resolveBlock(param(p, 0, 'block')), param(p, 1, 'index')),
    eth_getTransactionByBlockHashAndIndex: (p) =>
      txByBlockAndIndex(blockByHash(hashParam(p, 0, 'block hash')), param(p, 1, 'index')),
    eth_getBlockReceipts: (p) => {
      const tag = param(p, 0, 'block')
      const b = isHash(tag) ? blockByHash(tag) : sealedBlock(tag)
      return b ? b.txs.map((t, i) => formatReceipt(t, b, i)) : null
    },
    eth_getLogs: (p) => getLogs(param<Record<string, unknown>>(p, 0, 'filter') ?? {}),
    eth_newFilter: (p) => {
      const f = param<Record<string, unknown>>(p, 0, 'filter') ?? {}
      const criteria = logCriteria(f)
      const head = sequencer.head.number
      const from =
        f.fromBlock === undefined || f.fromBlock === 'latest' ? undefined : boundOf(f.fromBlock, head)
      const to = f.toBlock === undefined || f.toBlock === 'latest' ? undefined : boundOf(f.toBlock, head)
      return addFilter({
        kind: 'logs',
        next: from ?? head + 1n,
        criteria,
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        touched: now(),
      })
    },
    eth_newBlockFilter: () => addFilter({ kind: 'blocks', next: sequencer.head.number + 1n, touched: now() }),
    eth_newPendingTransactionFilter: () =>
      addFilter({
        kind: 'pendingTxs',
        seen: new Set(sequencer.unsealedTxs.map((t) => t.hash)),
        touched: now(),
      }),
    eth_getFilterChanges: (p) => {
      const [, f] = filterOf(p)
      const head = sequencer.head.number
      if (f.kind === 'pendingTxs') {
        const fresh = sequencer.unsealedTxs.map((t) => t.hash).filter((h) => !f.seen.has(h))
        for (const h of fresh) f.seen.add(h)
        // Forget hashes that are sealed now, so the set stays small.
        if (f.seen.size > 10_000) f.seen = new Set(sequencer.unsealedTxs.map((t) => t.hash))
        return fresh
      }
      if (f.kind === 'blocks') {
        const out: Hex[] = []
        for (let n = f.next; n <= head; n++) {
          const b = store.getBlock(n)
          if (b) out.push(b.hash)
        }
        f.next = head + 1n
        return out
      }
      const last = f.to !== undefined && f.to < head ? f.to : head
      const out = f.next <= last ? logsInRange(f.next, last, f.criteria) : []
      if (last + 1n > f.next) f.next = last + 1n
      return out
    },
    eth_getFilterLogs: (p) => {
      const [, f] = filterOf(p)
      if (f.kind !== 'logs') throw new RpcError(-32000, 'filter not found')
      const head = sequencer.head.number
      const from = f.from ?? head
      const to = f.to !== undefined && f.to < head ? f.to : head
      return from > to ? [] : logsInRange(from, to, f.criteria)
    },
    eth_uninstallFilter: (p) => {
      const raw = param(p, 0, 'filter id')
      const id = typeof raw === 'string' && /^0x[0-9a-fA-F]+$/.test(raw) ? toHex(BigInt(raw)) : undefined
      return id !== undefined && filters.delete(id)
    },
    eth_subscribe: (p, ctx) => subscribe(p, ctx?.connection),
    eth_unsubscribe: (p) => {
      const id = param(p, 0, 'subscription id')
      return typeof id === 'string' && blockSubscribers.delete(id.toLowerCase())
    },
    eth_gasPrice: () => toHex(chain.baseFee),
    eth_maxPriorityFeePerGas: () => '0x0',
    // No blob transactions on this L2.
    eth_blobBaseFee: () => '0x0',
    eth_feeHistory: (p) => feeHistory(p),
    eth_estimateGas: (p) => {
      const callObj = param<Record<string, unknown>>(p, 0, 'transaction') ?? {}
      stateAt(p[1])
      return toHex(estimate(callObj))
    },
    eth_createAccessList: (p) => {
      const callObj = param<Record<string, unknown>>(p, 0, 'transaction') ?? {}
      stateAt(p[1])
      // No EVM storage is read: the best access list is always empty.
      return { accessList: [], gasUsed: toHex(estimate(callObj)) }
    },
    eth_call: (p) => call(param<Record<string, unknown>>(p, 0, 'call') ?? {}, stateAt(p[1])),
    /** Which L2 family this node runs (every l2kit node answers it, so a client can tell them apart). */
    l2kit_family: () => ({ family: 'optimistic', chainId: toHex(chain.chainId) }),
    l2kit_status: () => deps.status.status(),
    l2kit_getWithdrawalProof: (p) =>
      deps.status.withdrawalProof(quantity(param(p, 0, 'withdrawal index'), 'withdrawal index')),
    l2kit_contracts: () => deps.status.contracts(),
    l2kit_tokens: () => sequencer.state.tokens,
    l2kit_batches: () => store.listBatches(),
  }
  return methods
}

function parseTransactionHash(raw: Hex): Hex | undefined {
  try {
    return keccak256(raw as ViemHex)
  } catch {
    return undefined
  }
}
