/**
 * Fuzzing a live channel node over the real transport: 10,000 mutated peer messages (every message type, with the
 * channel's real id and real signatures to mutate) sent by its authenticated peer. The node must stay up, answer
 * with typed errors, keep its channel record exactly as it was, and carry on paying once the honest peer is back.
 */
import { type Hex, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { propose, reestablishMessage } from '../../../src/channels/protocol/channel.ts'
import { decodeMessage, encodeMessage, type WireMessage } from '../../../src/channels/protocol/wire.ts'
import { connectPeer } from '../../../src/node/p2p/index.ts'
import { type ChannelsL1, key, setUp } from './l1Fixture.ts'

let env: ChannelsL1
const node = (name: string, k: Hex) => env.node(name, k)

beforeAll(async () => {
  env = await setUp('fuzz')
}, 120_000)

afterAll(async () => {
  await env?.tearDown()
})

describe('channel node under fuzzing', () => {
  it('survives 10,000 mutated messages from its authenticated peer without any state change', async () => {
    const a = await node('fa', key(1))
    let b = await node('fb', key(2))
    const aAddress = await a.start()
    await b.start()
    await b.connect(aAddress)
    const id = await a.openChannel({ peer: b.nodeId, amount: parseEther('1') })
    for (let i = 0; i < 3; i++) await a.pay(id, parseEther('0.01'))
    await new Promise((r) => setTimeout(r, 100))
    const recordB = b.channel(id)
    if (recordB === undefined) throw new Error('no record at B')
    await b.stop()
    const before = structuredClone(a.channel(id))

    // valid messages of every kind, as B could send them, to mutate
    const update = propose(recordB, [{ kind: 'pay', amount: 1n }], key(2)).message
    const samples: WireMessage[] = [
      update,
      { type: 'ack', channelId: id, seq: 4n, sig: update.sig, revocation: update.sig },
      { type: 'revoke', channelId: id, seq: 3n, revocation: update.sig },
      reestablishMessage(recordB),
      { type: 'close_request', channelId: id, balanceA: 1n, balanceB: 2n, sig: update.sig },
      { type: 'close_accept', channelId: id, sig: update.sig },
      { type: 'channel_accepted', channelId: id },
      { type: 'ping', nonce: 1n },
      { type: 'error', channelId: id, code: 'CHANNEL_BAD_SIGNATURE', message: 'x' },
    ]
    const texts = samples.map((m) => new TextDecoder().decode(encodeMessage(m)))
    const conn = await connectPeer({ address: aAddress, staticPrivateKey: key(2) })
    let errors = 0
    conn.onMessage((bytes) => {
      try {
        if (decodeMessage(bytes).type === 'error') errors++
      } catch {
        // not ours to judge
      }
    })
    let seed = 0x9e3779b9
    const rnd = (n: number) => {
      seed ^= seed << 13
      seed ^= seed >>> 17
      seed ^= seed << 5
      return (seed >>> 0) % n
    }
    const same = (text: string, original: string) => {
      try {
        return (
          JSON.stringify(decodeMessage(text), (_k, v) => (typeof v === 'bigint' ? `${v}` : v)) ===
          JSON.stringify(decodeMessage(original), (_k, v) => (typeof v === 'bigint' ? `${v}` : v))
        )
      } catch {
        return false
      }
    }
    let sent = 0
    for (let i = 0; sent < 10_000; i++) {
      const original = texts[rnd(texts.length)] as string
      const chars = [...original]
      for (let j = 1 + rnd(3); j > 0; j--) {
        const at = rnd(chars.length)
        if (rnd(2) === 0) chars[at] = '0123456789abcdef"{}:,x'[rnd(22)] as string
        else chars.splice(at, 1 + rnd(4))
      }
      const text = chars.join('')
      // a mutation that changed nothing the node reads (e.g. a hex digit for itself) is a valid, signed message
      if (same(text, original)) continue
      sent++
      conn.send(new TextEncoder().encode(text))
      if (i % 500 === 499) await new Promise((r) => setTimeout(r, 5))
    }
    await new Promise((r) => setTimeout(r, 1_500))
    await conn.close()
    expect(errors).toBeGreaterThan(5_000) // refusals came back as typed error messages
    expect(a.channel(id)).toEqual(before)

    // the honest peer comes back: the channel works as before
    b = await node('fb', key(2))
    await b.start()
    await b.connect(aAddress)
    await a.pay(id, parseEther('0.01'))
    await new Promise((r) => setTimeout(r, 100))
    expect(b.channel(id)?.state).toEqual(a.channel(id)?.state)
    expect(a.channel(id)?.state.balanceB).toBe(parseEther('0.04'))
    await Promise.all([a.stop(), b.stop()])
  }, 180_000)
})
