/**
 * Two channel nodes on a real anvil, talking over the BOLT 8 transport: connect, open a channel on L1 (the peer
 * checks it there before accepting), many concurrent payments batched into signed updates, a payment over
 * capacity refused alone, a restart that keeps every acknowledged payment, and a cooperative close that pays
 * exactly the last balances.
 */
import { type Hex, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isL2kitError } from '../../../src/core/errors.ts'
import { createL1Clients } from '../../../src/l1/clients.ts'
import { type ChannelsL1, key, setUp } from './l1Fixture.ts'

let env: ChannelsL1
const node = (name: string, k: Hex) => env.node(name, k)

beforeAll(async () => {
  env = await setUp('node')
}, 120_000)

afterAll(async () => {
  await env?.tearDown()
})

describe('channel nodes', () => {
  it('open → batched concurrent payments → restart → cooperative close pays the last balances', async () => {
    let alice = await node('alice', key(6))
    let bob = await node('bob', key(7))
    await alice.start()
    const bobAddress = await bob.start()
    await alice.connect(bobAddress)
    const channelId = await alice.openChannel({ peer: bob.nodeId, amount: parseEther('1') })
    expect(bob.channel(channelId)?.side).toBe('B')

    const count = 2_000
    const amount = 1_000_000_000n // 1 gwei each
    const started = performance.now()
    await Promise.all(Array.from({ length: count }, () => alice.pay(channelId, amount)))
    const seconds = (performance.now() - started) / 1000
    console.log(
      `channels: ${count} persisted payments in ${seconds.toFixed(2)} s = ${(count / seconds).toFixed(0)}/s`,
    )
    const a = alice.channel(channelId)
    expect(a?.state.balanceB).toBe(BigInt(count) * amount)
    expect(a?.state.seq).toBeLessThan(count) // batched: fewer signed states than payments
    // a payment the channel cannot carry fails alone and changes nothing
    let refused: unknown
    await alice.pay(channelId, parseEther('2')).catch((e: unknown) => {
      refused = e
    })
    expect(isL2kitError(refused, 'CHANNEL_OVER_CAPACITY')).toBe(true)

    // both restart from their stores: every acknowledged payment is still there, on both sides
    await Promise.all([alice.stop(), bob.stop()])
    alice = await node('alice', key(6))
    bob = await node('bob', key(7))
    await alice.start()
    const again = await bob.start()
    await alice.connect(again)
    const b = bob.channel(channelId)
    expect(b?.state).toEqual(alice.channel(channelId)?.state)
    expect(b?.state.balanceB).toBe(BigInt(count) * amount)

    const c = await createL1Clients({ rpcUrl: env.anvil.rpcUrl })
    const bobBefore = await c.publicClient.getBalance({ address: bob.address })
    await alice.closeCooperatively(channelId)
    expect((await c.publicClient.getBalance({ address: bob.address })) - bobBefore).toBe(
      BigInt(count) * amount,
    )
    await Promise.all([alice.stop(), bob.stop()])
  }, 180_000)

  it('loses nothing when the connection drops mid-payment: reestablish completes every payment on both sides', async () => {
    const alice = await node('alice2', key(8))
    const bob = await node('bob2', key(9))
    await alice.start()
    const bobAddress = await bob.start()
    await alice.connect(bobAddress)
    const channelId = await alice.openChannel({ peer: bob.nodeId, amount: parseEther('1') })
    for (let round = 0; round < 5; round++) {
      const payments = Array.from({ length: 200 }, () => alice.pay(channelId, 1_000_000_000n))
      // cut the link while updates are in flight, at a different point each round
      await new Promise((r) => setTimeout(r, 2 + round * 3))
      await alice.disconnect(bob.nodeId)
      await new Promise((r) => setTimeout(r, 20))
      await alice.connect(bobAddress)
      await Promise.all(payments)
    }
    await new Promise((r) => setTimeout(r, 100))
    console.log(`channels: after 5 cut links, alice re-sent ${alice.resent} and bob ${bob.resent} messages`)
    expect(alice.resent + bob.resent).toBeGreaterThan(0)
    const a = alice.channel(channelId)
    const b = bob.channel(channelId)
    expect(a?.state).toEqual(b?.state)
    expect(a?.state.balanceB).toBe(1_000n * 1_000_000_000n)
    expect(a?.proposed).toBeNull()
    expect(b?.proposed).toBeNull()
    expect(b?.theirRevokedSeq).toBe((b?.state.seq ?? 0n) - 1n)
    await Promise.all([alice.stop(), bob.stop()])
  }, 120_000)

  it('routes an invoice payment A → B → C with onion HTLCs; B earns its fee; a failure names the failing hop', async () => {
    const [a, b, c] = [await node('ha', key(1)), await node('hb', key(2)), await node('hc', key(3))]
    await a.start()
    const bAddress = await b.start()
    const cAddress = await c.start()
    await a.connect(bAddress)
    await b.connect(cAddress)
    const ab = await a.openChannel({ peer: b.nodeId, amount: parseEther('2') })
    const bc = await b.openChannel({ peer: c.nodeId, amount: parseEther('1') })
    for (let i = 0; i < 100 && a.graphEdges().length < 4; i++) await new Promise((r) => setTimeout(r, 20))
    expect(a.graphEdges()).toHaveLength(4) // both channels, both directions, learned by gossip

    const amount = parseEther('0.1')
    const invoice = await c.createInvoice({ amount, description: 'coffee' })
    const paid = await a.payInvoice(invoice)
    const feeB = 1_000n + (amount * 100n) / 1_000_000n
    expect(paid.hops).toBe(2)
    expect(paid.fee).toBe(feeB)
    await new Promise((r) => setTimeout(r, 100))
    expect(c.channel(bc)?.state.balanceB).toBe(amount)
    expect(b.channel(ab)?.state.balanceB).toBe(amount + feeB)
    expect(b.channel(bc)?.state.balanceA).toBe(parseEther('1') - amount)
    expect(a.channel(ab)?.state.htlcs).toHaveLength(0)

    // C's invoice for more than B can forward: B fails it back, A learns it was hop 1 (B)
    const big = await c.createInvoice({ amount: parseEther('0.95') })
    let failure: unknown
    await a.payInvoice(big).catch((e: unknown) => {
      failure = e
    })
    expect(isL2kitError(failure, 'CHANNEL_PAYMENT_FAILED')).toBe(true)
    expect((failure as Error).message).toMatch(/hop 1 of 2 failed it: temporaryChannelFailure/)
    await new Promise((r) => setTimeout(r, 100))
    expect(a.channel(ab)?.state.htlcs).toHaveLength(0)
    expect(a.channel(ab)?.state.balanceA).toBe(parseEther('2') - amount - feeB)
    await Promise.all([a.stop(), b.stop(), c.stop()])
  }, 120_000)
})
