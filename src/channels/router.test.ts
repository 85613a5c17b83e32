import { describe, expect, it } from 'vitest'
import type { Hex } from '../core/types.ts'
import { fee, findRoute, type RouteEdge } from './router.ts'

const ch = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex
const edge = (
  id: number,
  from: string,
  to: string,
  capacity: bigint,
  feeBase = 10n,
  feeRate = 1_000n,
): RouteEdge => ({
  channelId: ch(id),
  from,
  to,
  capacity,
  feeBase,
  feeRate,
})

describe('findRoute', () => {
  it('takes the cheapest path, charges each forwarding node its fee and spaces the expiries', () => {
    const edges = [
      edge(1, 'a', 'b', 10_000n),
      edge(2, 'b', 'd', 10_000n, 100n), // expensive
      edge(3, 'a', 'c', 10_000n),
      edge(4, 'c', 'd', 10_000n, 1n, 0n), // cheap
    ]
    const route = findRoute({
      edges,
      payer: 'a',
      payee: 'd',
      amount: 1_000n,
      finalExpiry: 5_000n,
      expiryDelta: 100n,
    })
    expect(route?.map((h) => h.to)).toEqual(['c', 'd'])
    expect(route?.[1]).toMatchObject({ amount: 1_000n, expiry: 5_000n })
    // c forwards 1,000 and charges base 1 + 0 ppm; the payer's own channel charges nothing
    expect(route?.[0]).toMatchObject({ amount: 1_001n, expiry: 5_100n, channelId: ch(3) })
    expect(fee(edge(0, 'x', 'y', 0n, 10n, 1_000n), 1_000_000n)).toBe(1_010n)
  })

  it('avoids channels without the capacity and answers null when nothing fits', () => {
    const edges = [
      edge(1, 'a', 'b', 10_000n),
      edge(2, 'b', 'd', 500n),
      edge(3, 'a', 'c', 10_000n),
      edge(4, 'c', 'd', 5_000n, 500n),
    ]
    const route = findRoute({
      edges,
      payer: 'a',
      payee: 'd',
      amount: 1_000n,
      finalExpiry: 0n,
      expiryDelta: 1n,
    })
    expect(route?.map((h) => h.channelId)).toEqual([ch(3), ch(4)])
    expect(
      findRoute({ edges, payer: 'a', payee: 'd', amount: 6_000n, finalExpiry: 0n, expiryDelta: 1n }),
    ).toBeNull()
    expect(
      findRoute({ edges, payer: 'a', payee: 'z', amount: 1n, finalExpiry: 0n, expiryDelta: 1n }),
    ).toBeNull()
  })
})
