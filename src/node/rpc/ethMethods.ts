/**
 * The standard `eth_*`, `net_*` and `web3_*` methods wallets, viem, ethers and cast need, answered from a
 * family's ChainView in the shapes geth and anvil use.
 *
 * Block tags: `latest`, `pending`, `safe` and `finalized` read the live state (every acknowledged transaction
 * is already executed: soft confirmation), a block number or hash reads the state at the end of that block, a
 * block past the head or an unknown hash is `header not found`.
 */
import { keccak256, numberToHex, toHex, type Hex as ViemHex } from 'viem'
import { isL2kitError, L2kitError } from '../../core/errors.ts'
import type { Hex } from '../../core/types.ts'
import { type RpcConnection, RpcError } from '../rpcServer.ts'
import type { ChainView, StateAt, ViewBlock } from './chainView.ts'
import { gethStyleError, headerNotFound, invalidParams } from './errors.ts'
import { feeHistory } from './feeHistory.ts'
import { Filters, type LogCriteria, logCriteria, matches, type RpcLog } from './filters.ts'
import { addressParam, callRequest, hashParam, isHash, isHeadTag, param, quantity } from './params.ts'
import { createShapes } from './shapes.ts'

/** `ctx.connection` is set for WebSocket requests (eth_subscribe needs it). */
export type RpcMethod = (
  params: unknown[],
  ctx?: { connection?: RpcConnection },
) => unknown | Promise<unknown>

export type EthMethodsOptions = {
  /** web3_clientVersion's answer, e.g. `l2kit/0.1.0/optimistic`. */
  clientVersion: string
  /** Wall clock in ms (filters expire, the pending block's timestamp); injectable for tests. */
  now?: () => number
}

/** Like hosted providers: bounded work per eth_getLogs, answered with -32005 beyond it. */
export const MAX_LOG_BLOCK_RANGE = 10_000n
export const MAX_LOGS = 10_000
/** A receipt waits at most this long for the seal of an executed transaction. */
const MAX_SEAL_WAIT_MS = 5_000

export function createEthMethods(view: ChainView, options: EthMethodsOptions): Record<string, RpcMethod> {
  const now = options.now ?? Date.now
  const shapes = createShapes(view, now)
  const { formatTx, formatReceipt, formatBlock, formatPendingBlock } = shapes
  const filters = new Filters(now)

  // ---- blocks and state ----

  /** A block by tag or number for block queries: null (not an error) when it does not exist, like geth. */
  function resolveBlock(tag: unknown): ViewBlock | 'pending' | undefined {
    if (tag === 'pending') return 'pending'
    if (tag === undefined || isHeadTag(tag)) return view.head()
    if (tag === 'earliest') return view.block(0n)
    const n = quantity(tag, 'block number')
    return n > view.head().number ? undefined : view.block(n)
  }

  function sealedBlock(tag: unknown): ViewBlock | undefined {
    const b = resolveBlock(tag)
    return b === 'pending' ? undefined : b
  }

  /**
   * The state a state query reads (EIP-1898: a tag, a number, a hash, or `{blockNumber}` / `{blockHash}`):
   * 'live' or the end of a sealed block. Future blocks and unknown hashes are errors, never today's value.
   */
  function stateAt(tag: unknown): StateAt {
    if (tag === undefined || isHeadTag(tag)) return 'live'
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
      const b = view.blockByHash(hash)
      if (b === undefined) throw headerNotFound()
      return b.number
    }
    const n = quantity(number, 'block number')
    if (n > view.head().number) throw headerNotFound()
    return n
  }

  function txByBlockAndIndex(b: ViewBlock | 'pending' | undefined, rawIndex: unknown): unknown {
    const i = quantity(rawIndex, 'index')
    if (b === undefined) return null
    if (b === 'pending') {
      const t = view.pendingTxs()[Number(i)]
      return t ? formatTx(t, undefined, undefined) : null
    }
    const t = i < BigInt(b.txs.length) ? b.txs[Number(i)] : undefined
    return t ? formatTx(t, b, Number(i)) : null
  }

  function isPending(hash: Hex): boolean {
    const found = view.transaction(hash)
    return found !== undefined && found.block === undefined
  }

  // ---- new blocks: receipts waiting for a seal, subscriptions ----

  const sealWaiters = new Set<() => void>()
  /** WebSocket subscriptions fed by every sealed block (one view listener for all of them). */
  const blockSubscribers = new Map<string, (b: ViewBlock) => void>()
  view.onBlock((b) => {
    for (const wake of sealWaiters) wake()
    for (const [id, push] of blockSubscribers) {
      try {
        push(b)
      } catch {
        blockSubscribers.delete(id)
      }
    }
  })

  /**
   * Resolves once `hash` (executed, not sealed yet) is in a sealed block, or after about two block times.
   * A receipt asked for a soft-confirmed transaction waits for its seal instead of answering null: an L2 that
   * makes no empty blocks would otherwise strand ethers' `tx.wait()`, which only looks again when a new block
   * appears, when the null is answered just before the last seal of a quiet chain.
   */
  function sealOf(hash: Hex): Promise<void> {
    const limitMs = Math.min(2 * view.blockTimeMs + 250, MAX_SEAL_WAIT_MS)
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        sealWaiters.delete(check)
        resolve()
      }
      const check = () => {
        if (!isPending(hash)) done()
      }
      const timer = setTimeout(done, limitMs)
      sealWaiters.add(check)
      check()
    })
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

  // ---- logs ----

  function blockLogs(b: ViewBlock, c: LogCriteria, out: RpcLog[], limit = MAX_LOGS): void {
    for (const txLogsOf of shapes.logsOf(b)) {
      for (const log of txLogsOf) {
        if (!matches(log, c)) continue
        if (out.length >= limit)
          throw new RpcError(-32005, `query returned more than ${MAX_LOGS} results; narrow the block range`)
        out.push(log)
      }
    }
  }

  function logsInRange(from: bigint, to: bigint, c: LogCriteria): RpcLog[] {
    const out: RpcLog[] = []
    for (let n = from; n <= to; n++) {
      const b = view.block(n)
      if (b) blockLogs(b, c, out)
    }
    return out
  }

  /** A filter's block bound: tags and numbers, clamped to the head like geth ("latest" = head). */
  function boundOf(v: unknown, fallback: bigint): bigint {
    if (v === undefined || v === null) return fallback
    if (isHeadTag(v)) return view.head().number
    if (v === 'earliest') return 0n
    return quantity(v, 'block number')
  }

  function getLogs(f: Record<string, unknown>): RpcLog[] {
    const criteria = logCriteria(f)
    if (f.blockHash !== undefined && f.blockHash !== null) {
      if (f.fromBlock !== undefined || f.toBlock !== undefined)
        throw invalidParams('cannot specify both blockHash and fromBlock/toBlock')
      if (!isHash(f.blockHash)) throw invalidParams('blockHash must be a 0x-prefixed 32-byte hex string')
      const b = view.blockByHash(f.blockHash)
      if (!b) throw new RpcError(-32000, 'unknown block')
      const out: RpcLog[] = []
      blockLogs(b, criteria, out)
      return out
    }
    const head = view.head().number
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

  return {
    eth_chainId: () => numberToHex(view.chainId),
    net_version: () => view.chainId.toString(),
    net_listening: () => true,
    // A chain with one block producer has no peers; a validator chain counts its connected validators.
    net_peerCount: () => toHex(view.peerCount?.() ?? 0),
    web3_clientVersion: () => options.clientVersion,
    eth_syncing: () => false,
    eth_accounts: () => [],
    eth_blockNumber: () => toHex(view.head().number),
    eth_getBalance: async (p) => {
      const address = addressParam(p, 0, 'address')
      return toHex(await view.balance(address, stateAt(p[1])))
    },
    eth_getTransactionCount: async (p) => {
      const address = addressParam(p, 0, 'address')
      return toHex(await view.nonce(address, stateAt(p[1])))
    },
    eth_getCode: (p) => {
      const address = addressParam(p, 0, 'address')
      return view.code(address, stateAt(p[1]))
    },
    eth_getStorageAt: (p) => {
      const address = addressParam(p, 0, 'address')
      const slot = quantity(param(p, 1, 'slot'), 'slot')
      if (slot >= 1n << 256n) throw invalidParams('slot does not fit 32 bytes')
      return view.storage(address, slot, stateAt(p[2]))
    },
    eth_sendRawTransaction: async (p) => {
      const raw = param<unknown>(p, 0, 'signed transaction')
      if (typeof raw !== 'string' || !/^0x([0-9a-fA-F]{2})+$/.test(raw)) {
        throw new L2kitError('MALFORMED_TRANSACTION', 'the signed transaction must be 0x-prefixed hex bytes')
      }
      try {
        return await view.sendRawTransaction(raw as Hex)
      } catch (err) {
        if (!isL2kitError(err)) throw err
        if (err.code === 'NONCE_TOO_LOW') {
          // The same transaction again while it is still pending: geth's "already known" (the typed code stays
          // NONCE_TOO_LOW, which it also is).
          const hash = keccak256(raw as ViemHex)
          if (isPending(hash))
            throw new L2kitError('NONCE_TOO_LOW', 'already known', {
              details: { ...err.details, hash, reason: err.message },
              cause: err,
            })
        }
        throw gethStyleError(err)
      }
    },
    eth_getTransactionByHash: (p) => {
      const found = view.transaction(hashParam(p, 0, 'transaction hash'))
      return found ? formatTx(found.tx, found.block, found.index) : null
    },
    eth_getTransactionReceipt: async (p) => {
      const hash = hashParam(p, 0, 'transaction hash')
      let found = view.transaction(hash)
      if (found && !found.block) {
        await sealOf(hash)
        found = view.transaction(hash)
      }
      if (!found?.block || found.index === undefined) return null
      return formatReceipt(found.tx, found.block, found.index)
    },
    eth_getBlockByNumber: (p) => {
      const b = resolveBlock(param(p, 0, 'block'))
      if (b === 'pending') return formatPendingBlock(p[1] === true)
      return b ? formatBlock(b, p[1] === true) : null
    },
    eth_getBlockByHash: (p) => {
      const b = view.blockByHash(hashParam(p, 0, 'block hash'))
      return b ? formatBlock(b, p[1] === true) : null
    },
    eth_getBlockTransactionCountByNumber: (p) => {
      const b = resolveBlock(param(p, 0, 'block'))
      if (b === 'pending') return toHex(view.pendingTxs().length)
      return b ? toHex(b.txs.length) : null
    },
    eth_getBlockTransactionCountByHash: (p) => {
      const b = view.blockByHash(hashParam(p, 0, 'block hash'))
      return b ? toHex(b.txs.length) : null
    },
    eth_getUncleCountByBlockNumber: (p) => (resolveBlock(param(p, 0, 'block')) ? '0x0' : null),
    eth_getUncleCountByBlockHash: (p) => (view.blockByHash(hashParam(p, 0, 'block hash')) ? '0x0' : null),
    eth_getTransactionByBlockNumberAndIndex: (p) =>
      txByBlockAndIndex(resolveBlock(param(p, 0, 'block')), param(p, 1, 'index')),
    eth_getTransactionByBlockHashAndIndex: (p) =>
      txByBlockAndIndex(view.blockByHash(hashParam(p, 0, 'block hash')), param(p, 1, 'index')),
    eth_getBlockReceipts: (p) => {
      const tag = param(p, 0, 'block')
      const b = isHash(tag) ? view.blockByHash(tag) : sealedBlock(tag)
      return b ? b.txs.map((t, i) => formatReceipt(t, b, i)) : null
    },
    eth_getLogs: (p) => getLogs(param<Record<string, unknown>>(p, 0, 'filter') ?? {}),
    eth_newFilter: (p) => {
      const f = param<Record<string, unknown>>(p, 0, 'filter') ?? {}
      const criteria = logCriteria(f)
      const head = view.head().number
      const from =
        f.fromBlock === undefined || f.fromBlock === 'latest' ? undefined : boundOf(f.fromBlock, head)
      const to = f.toBlock === undefined || f.toBlock === 'latest' ? undefined : boundOf(f.toBlock, head)
      return filters.add({
        kind: 'logs',
        next: from ?? head + 1n,
        criteria,
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        touched: now(),
      })
    },
    eth_newBlockFilter: () => filters.add({ kind: 'blocks', next: view.head().number + 1n, touched: now() }),
    eth_newPendingTransactionFilter: () =>
      filters.add({
        kind: 'pendingTxs',
        seen: new Set(view.pendingTxs().map((t) => t.hash)),
        touched: now(),
      }),
    eth_getFilterChanges: (p) => {
      const f = filters.get(p)
      const head = view.head().number
      if (f.kind === 'pendingTxs') {
        const pending = view.pendingTxs()
        const fresh = pending.map((t) => t.hash).filter((h) => !f.seen.has(h))
        for (const h of fresh) f.seen.add(h)
        // Forget hashes that are sealed now, so the set stays small.
        if (f.seen.size > 10_000) f.seen = new Set(pending.map((t) => t.hash))
        return fresh
      }
      if (f.kind === 'blocks') {
        const out: Hex[] = []
        for (let n = f.next; n <= head; n++) {
          const b = view.block(n)
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
      const f = filters.get(p)
      if (f.kind !== 'logs') throw new RpcError(-32000, 'filter not found')
      const head = view.head().number
      const from = f.from ?? head
      const to = f.to !== undefined && f.to < head ? f.to : head
      return from > to ? [] : logsInRange(from, to, f.criteria)
    },
    eth_uninstallFilter: (p) => filters.remove(p),
    eth_subscribe: (p, ctx) => subscribe(p, ctx?.connection),
    eth_unsubscribe: (p) => {
      const id = param(p, 0, 'subscription id')
      return typeof id === 'string' && blockSubscribers.delete(id.toLowerCase())
    },
    eth_gasPrice: () => toHex(view.baseFee),
    eth_maxPriorityFeePerGas: () => '0x0',
    // No blob transactions on these L2s.
    eth_blobBaseFee: () => '0x0',
    eth_feeHistory: (p) => feeHistory(view, p),
    eth_estimateGas: async (p) => {
      const request = callRequest(param(p, 0, 'transaction'))
      return toHex(await view.estimateGas(request, stateAt(p[1])))
    },
    eth_createAccessList: async (p) => {
      const request = callRequest(param(p, 0, 'transaction'))
      const at = stateAt(p[1])
      if (view.createAccessList) {
        const r = await view.createAccessList(request, at)
        return {
          accessList: r.accessList,
          gasUsed: toHex(r.gasUsed),
          ...(r.error === undefined ? {} : { error: r.error }),
        }
      }
      // A family without contract storage: the best access list is always empty.
      return { accessList: [], gasUsed: toHex(await view.estimateGas(request, at)) }
    },
    eth_call: (p) => {
      const request = callRequest(param(p, 0, 'call'))
      return view.call(request, stateAt(p[1]))
    },
  }
}
