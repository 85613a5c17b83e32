/**
 * Source routing over the channel graph: the cheapest route (by total amount sent, i.e. by fees: base +
 * proportional per forwarding node) from the payer to the payee within each channel's capacity. Searched backwards
 * from the payee, as the amount each hop must receive depends on what it forwards. Pure.
 */
import type { Hex } from '../core/types.ts'

/** A directed edge: `from` forwards to `to` over `channelId`, charging its own fee policy. */
export type RouteEdge = {
  channelId: Hex
  from: string
  to: string
  /** the most this edge can carry (own channels: the spendable balance; others: the channel total) */
  capacity: bigint
  feeBase: bigint
  /** parts per million of the forwarded amount */
  feeRate: bigint
}

/** One hop of a route: the HTLC sent over `channelId` to `to`, with its amount and expiry. */
export type RouteHop = { channelId: Hex; to: string; amount: bigint; expiry: bigint }

export const fee = (edge: Pick<RouteEdge, 'feeBase' | 'feeRate'>, amount: bigint): bigint =>
  edge.feeBase + (amount * edge.feeRate) / 1_000_000n

/**
 * The cheapest route delivering `amount` to `payee`, or null. `finalExpiry` is the HTLC expiry the payee gets;
 * each forwarding node adds `expiryDelta` before it. The payer's own (first) channel charges no fee.
 */
export function findRoute(p: {
  edges: readonly RouteEdge[]
  payer: string
  payee: string
  amount: bigint
  finalExpiry: bigint
  expiryDelta: bigint
  maxHops?: number
}): RouteHop[] | null {
  const maxHops = p.maxHops ?? 20
  // best[node] = the least amount `node` must receive (or send, for the payer) to deliver `amount` to the payee
  const best = new Map<string, { amount: bigint; hops: number; next: RouteEdge | null }>()
  best.set(p.payee, { amount: p.amount, hops: 0, next: null })
  const done = new Set<string>()
  const incoming = new Map<string, RouteEdge[]>()
  for (const e of p.edges) {
    const list = incoming.get(e.to)
    if (list === undefined) incoming.set(e.to, [e])
    else list.push(e)
  }
  for (;;) {
    let node: string | undefined
    let cur: { amount: bigint; hops: number; next: RouteEdge | null } | undefined
    for (const [n, b] of best) {
      if (done.has(n)) continue
      if (cur === undefined || b.amount < cur.amount) {
        node = n
        cur = b
      }
    }
    if (node === undefined || cur === undefined) return null
    if (node === p.payer) break
    done.add(node)
    if (cur.hops >= maxHops) continue
    for (const e of incoming.get(node) ?? []) {
      if (done.has(e.from) || cur.amount > e.capacity) continue
      const need = e.from === p.payer ? cur.amount : cur.amount + fee(e, cur.amount)
      const seen = best.get(e.from)
      if (seen === undefined || need < seen.amount)
        best.set(e.from, { amount: need, hops: cur.hops + 1, next: e })
    }
  }
  // walk forwards from the payer: each hop's HTLC carries what its receiver must get
  const hops: RouteHop[] = []
  let at = p.payer
  for (;;) {
    const b = best.get(at)
    if (b === undefined || b.next === null) break
    const e = b.next
    const recv = best.get(e.to)
    if (recv === undefined) return null
    hops.push({ channelId: e.channelId, to: e.to, amount: recv.amount, expiry: 0n })
    at = e.to
  }
  if (at !== p.payee) return null
  // expiries: the payee's is finalExpiry; each earlier hop leaves its receiver expiryDelta more
  let expiry = p.finalExpiry
  for (let i = hops.length - 1; i >= 0; i--) {
    ;(hops[i] as RouteHop).expiry = expiry
    expiry += p.expiryDelta
  }
  return hops
}
