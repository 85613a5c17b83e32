/** Log criteria (eth_getLogs, eth_newFilter, eth_subscribe "logs") and polling filters, as geth keeps them. */
import { isAddress, toHex } from 'viem'
import type { Address, Hex } from '../../core/types.ts'
import { RpcError } from '../rpcServer.ts'
import { invalidParams } from './errors.ts'
import { isHash, param } from './params.ts'

/** geth drops a filter nobody polled for 5 minutes. */
export const FILTER_TIMEOUT_MS = 5 * 60_000
export const MAX_FILTERS = 1_000

/** A log as eth_getLogs and receipts show it. */
export type RpcLog = {
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

/** Addresses (any of) and topics by position (any of each; undefined = any), lowercase. */
export type LogCriteria = {
  addresses: Set<string> | undefined
  topics: (Set<string> | undefined)[]
}

export type Filter =
  | { kind: 'blocks'; next: bigint; touched: number }
  | { kind: 'logs'; next: bigint; criteria: LogCriteria; from?: bigint; to?: bigint; touched: number }
  | { kind: 'pendingTxs'; seen: Set<string>; touched: number }

function topicSet(v: unknown, what: string): Set<string> | undefined {
  if (v === null || v === undefined) return undefined
  const list = Array.isArray(v) ? v : [v]
  if (list.length === 0) return undefined
  for (const x of list) if (!isHash(x)) throw invalidParams(`${what} must be 32-byte hex topics or null`)
  return new Set(list.map((x) => (x as string).toLowerCase()))
}

/** The `address` and `topics` of a filter object. */
export function logCriteria(f: Record<string, unknown>): LogCriteria {
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

export function matches(log: { address: string; topics: readonly string[] }, c: LogCriteria): boolean {
  if (c.addresses && !c.addresses.has(log.address.toLowerCase())) return false
  for (let i = 0; i < c.topics.length; i++) {
    const want = c.topics[i]
    if (want === undefined) continue
    const got = log.topics[i]
    if (got === undefined || !want.has(got.toLowerCase())) return false
  }
  return true
}

/** Installed polling filters: ids `0x1`, `0x2`, …; a filter not polled for FILTER_TIMEOUT_MS is gone. */
export class Filters {
  readonly #filters = new Map<string, Filter>()
  #nextId = 1n
  readonly #now: () => number

  constructor(now: () => number) {
    this.#now = now
  }

  /** Installs `f` (expired filters are dropped first); -32005 past MAX_FILTERS. */
  add(f: Filter): Hex {
    const t = this.#now()
    for (const [id, old] of this.#filters) if (t - old.touched > FILTER_TIMEOUT_MS) this.#filters.delete(id)
    if (this.#filters.size >= MAX_FILTERS)
      throw new RpcError(-32005, `too many filters (${MAX_FILTERS}); uninstall some or let them expire`)
    const id = toHex(this.#nextId++)
    this.#filters.set(id, f)
    return id
  }

  /** The filter named by params[0], touched now; geth's "filter not found" when unknown or expired. */
  get(params: unknown[]): Filter {
    const id = filterId(param(params, 0, 'filter id'))
    const f = id === undefined ? undefined : this.#filters.get(id)
    if (id === undefined || f === undefined || this.#now() - f.touched > FILTER_TIMEOUT_MS) {
      if (id !== undefined) this.#filters.delete(id)
      throw new RpcError(-32000, 'filter not found')
    }
    f.touched = this.#now()
    return f
  }

  /** eth_uninstallFilter: whether a filter was removed. */
  remove(params: unknown[]): boolean {
    const id = filterId(param(params, 0, 'filter id'))
    return id !== undefined && this.#filters.delete(id)
  }
}

/** A filter id in canonical form (`0x01` and `0x1` name the same filter). */
function filterId(raw: unknown): string | undefined {
  return typeof raw === 'string' && /^0x[0-9a-fA-F]+$/.test(raw) ? toHex(BigInt(raw)) : undefined
}
