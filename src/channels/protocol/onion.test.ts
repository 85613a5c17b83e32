import { x25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { equalBytes } from '../../core/bytes.ts'
import { isL2kitError } from '../../core/errors.ts'
import { ChannelErrorCode } from './errors.ts'
import {
  buildOnion,
  createFailure,
  decodeFailure,
  deriveOnionKey,
  FAILURE_PACKET_LENGTH,
  type FinalHopPayload,
  type ForwardHopPayload,
  type HopPayload,
  MAX_HOPS,
  ONION_PACKET_LENGTH,
  OnionFailureCode,
  type OnionHop,
  type PeeledOnion,
  peelOnion,
  ROUTING_INFO_LENGTH,
  wrapFailure,
} from './onion.ts'

/** Deterministic PRNG (mulberry32), so a failing fuzz case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const bytes = (label: string): Uint8Array => sha256(new TextEncoder().encode(label))

type Node = { nodeId: Uint8Array; onion: { privateKey: Uint8Array; publicKey: Uint8Array } }

function node(i: number): Node {
  const secret = bytes(`node ${i}`)
  return { nodeId: secp256k1.getPublicKey(secret, true), onion: deriveOnionKey(secret) }
}

const NODES: Node[] = Array.from({ length: MAX_HOPS + 1 }, (_, i) => node(i))
const PAYMENT_HASH = bytes('payment hash')
const PAYMENT_SECRET = bytes('payment secret')

/** A route over NODES[0..n): amounts and expiries shrink by a fee and a delta per hop, as a payer builds them. */
function route(n: number): { hops: OnionHop[]; nodes: Node[] } {
  const nodes = NODES.slice(0, n)
  const hops = nodes.map((hop, i): OnionHop => {
    const amount = 1_000_000_000_000_000_000n + BigInt(n - 1 - i) * 1000n
    const expiry = 1_700_000_000n + BigInt(n - 1 - i) * 3600n
    const payload: HopPayload =
      i === n - 1
        ? { nextNodeId: null, amount, expiry, paymentSecret: PAYMENT_SECRET, totalAmount: amount }
        : { nextNodeId: (nodes[i + 1] as Node).nodeId, amount, expiry }
    return { x25519PublicKey: hop.onion.publicKey, payload }
  })
  return { hops, nodes }
}

function expectBadOnion(fn: () => unknown, reason?: string): void {
  try {
    fn()
  } catch (error) {
    expect(isL2kitError(error, ChannelErrorCode.badOnion), String(error)).toBe(true)
    if (reason !== undefined) expect((error as { details: { reason: string } }).details.reason).toBe(reason)
    return
  }
  throw new Error('expected CHANNEL_BAD_ONION, nothing was thrown')
}

function zeroCount(data: Uint8Array): number {
  let zeros = 0
  for (const b of data) if (b === 0) zeros++
  return zeros
}

/** Every hop peels in order; returns what each one saw. */
function peelAll(packet: Uint8Array, nodes: Node[], associatedData = PAYMENT_HASH): PeeledOnion[] {
  const seen: PeeledOnion[] = []
  let current: Uint8Array | null = packet
  for (const hop of nodes) {
    expect(current).not.toBeNull()
    const peeled = peelOnion({
      packet: current as Uint8Array,
      x25519PrivateKey: hop.onion.privateKey,
      associatedData,
    })
    seen.push(peeled)
    current = peeled.nextPacket
  }
  expect(current).toBeNull()
  return seen
}

describe('onion keys', () => {
  it('derives a node’s X25519 key deterministically from its secp256k1 key', () => {
    const secret = bytes('some node')
    const a = deriveOnionKey(secret)
    expect(deriveOnionKey(secret)).toEqual(a)
    expect(a.publicKey).toEqual(x25519.getPublicKey(a.privateKey))
    expect(a.privateKey).toEqual(
      sha256(new Uint8Array([...new TextEncoder().encode('l2kit onion key'), ...secret])),
    )
    expect(deriveOnionKey(bytes('another node')).publicKey).not.toEqual(a.publicKey)
    expectBadOnion(() => deriveOnionKey(new Uint8Array(32)), 'input')
    expectBadOnion(() => deriveOnionKey(new Uint8Array(31).fill(1)), 'input')
  })
})

describe('onion packets', () => {
  for (const n of [1, 2, 5, 20]) {
    it(`round-trips a ${n}-hop route: each hop peels its own layer, sizes never change`, () => {
      const { hops, nodes } = route(n)
      const { packet, sharedSecrets } = buildOnion({ route: hops, associatedData: PAYMENT_HASH })
      expect(packet.length).toBe(ONION_PACKET_LENGTH)
      expect(sharedSecrets).toHaveLength(n)
      const seen = peelAll(packet, nodes)
      seen.forEach((peeled, i) => {
        expect(peeled.payload).toEqual((hops[i] as OnionHop).payload)
        expect(peeled.sharedSecret).toEqual(sharedSecrets[i])
        if (peeled.nextPacket !== null) {
          expect(peeled.nextPacket.length).toBe(ONION_PACKET_LENGTH)
          // Hop i's packet is not readable by any hop but i+1: it learns nothing of later layers.
          for (const other of nodes) {
            if (other === nodes[i + 1]) continue
            expectBadOnion(() =>
              peelOnion({
                packet: peeled.nextPacket as Uint8Array,
                x25519PrivateKey: other.onion.privateKey,
                associatedData: PAYMENT_HASH,
              }),
            )
          }
        }
      })
      const replayTags = new Set(seen.map((p) => Buffer.from(p.replayTag).toString('hex')))
      expect(replayTags.size).toBe(n)
    })
  }

  it('hides the position and route length: every routing info on the wire looks random', () => {
    for (const n of [1, 2, 20]) {
      const { hops, nodes } = route(n)
      const { packet } = buildOnion({ route: hops, associatedData: PAYMENT_HASH })
      const packets = [packet, ...peelAll(packet, nodes).flatMap((p) => (p.nextPacket ? [p.nextPacket] : []))]
      for (const p of packets) {
        // Random bytes: ≈ 13 zeros in 3,400 (σ ≈ 3.6); zero padding or missing filler would show hundreds.
        expect(zeroCount(p.subarray(33, 33 + ROUTING_INFO_LENGTH))).toBeLessThan(40)
      }
    }
  })

  it('is deterministic for a session key and different for another', () => {
    const { hops } = route(3)
    const sessionKey = bytes('session')
    const a = buildOnion({ route: hops, associatedData: PAYMENT_HASH, sessionKey })
    const b = buildOnion({ route: hops, associatedData: PAYMENT_HASH, sessionKey })
    const c = buildOnion({ route: hops, associatedData: PAYMENT_HASH })
    expect(a.packet).toEqual(b.packet)
    expect(a.packet).not.toEqual(c.packet)
  })

  it('fails at the next hop when any byte is changed', () => {
    const { hops, nodes } = route(2)
    const { packet } = buildOnion({ route: hops, associatedData: PAYMENT_HASH })
    const first = nodes[0] as Node
    const second = nodes[1] as Node
    const next = peelOnion({ packet, x25519PrivateKey: first.onion.privateKey, associatedData: PAYMENT_HASH })
      .nextPacket as Uint8Array
    // Every byte of the packet hop 1 receives, one bit each (the top bit of the key's last byte too).
    for (let i = 0; i < next.length; i++) {
      const tampered = next.slice()
      tampered[i] = (tampered[i] as number) ^ (1 << (i === 32 ? 7 : i % 8))
      expectBadOnion(() =>
        peelOnion({
          packet: tampered,
          x25519PrivateKey: second.onion.privateKey,
          associatedData: PAYMENT_HASH,
        }),
      )
    }
    // Every 5th byte of hop 0's packet, the top bit of the ephemeral key's last byte (X25519 ignores it) and the tag.
    const positions = [32, packet.length - 1]
    for (let i = 0; i < packet.length; i += 5) positions.push(i)
    for (const i of positions) {
      const tampered = packet.slice()
      tampered[i] = (tampered[i] as number) ^ (i === 32 ? 0x80 : 0x01)
      expectBadOnion(() =>
        peelOnion({
          packet: tampered,
          x25519PrivateKey: first.onion.privateKey,
          associatedData: PAYMENT_HASH,
        }),
      )
    }
  }, 120_000)

  it('refuses the wrong associated data (a packet moved to another HTLC), at any hop', () => {
    const { hops, nodes } = route(2)
    const { packet } = buildOnion({ route: hops, associatedData: PAYMENT_HASH })
    const other = bytes('another payment hash')
    const [first, second] = nodes as [Node, Node]
    expectBadOnion(
      () => peelOnion({ packet, x25519PrivateKey: first.onion.privateKey, associatedData: other }),
      'tag',
    )
    const next = peelOnion({ packet, x25519PrivateKey: first.onion.privateKey, associatedData: PAYMENT_HASH })
    expectBadOnion(
      () =>
        peelOnion({
          packet: next.nextPacket as Uint8Array,
          x25519PrivateKey: second.onion.privateKey,
          associatedData: other,
        }),
      'tag',
    )
  })

  it('refuses the wrong private key, a wrong version, a wrong length', () => {
    const { hops, nodes } = route(2)
    const { packet } = buildOnion({ route: hops, associatedData: PAYMENT_HASH })
    const first = nodes[0] as Node
    const stranger = NODES[MAX_HOPS] as Node
    expectBadOnion(
      () => peelOnion({ packet, x25519PrivateKey: stranger.onion.privateKey, associatedData: PAYMENT_HASH }),
      'tag',
    )
    const v1 = packet.slice()
    v1[0] = 1
    expectBadOnion(
      () => peelOnion({ packet: v1, x25519PrivateKey: first.onion.privateKey, associatedData: PAYMENT_HASH }),
      'version',
    )
    for (const p of [packet.subarray(1), new Uint8Array([...packet, 0]), new Uint8Array(0)]) {
      expectBadOnion(
        () =>
          peelOnion({ packet: p, x25519PrivateKey: first.onion.privateKey, associatedData: PAYMENT_HASH }),
        'length',
      )
    }
    // A low-order ephemeral key (u = 0) is refused before any MAC work.
    const lowOrder = packet.slice()
    lowOrder.fill(0, 1, 33)
    expectBadOnion(
      () =>
        peelOnion({
          packet: lowOrder,
          x25519PrivateKey: first.onion.privateKey,
          associatedData: PAYMENT_HASH,
        }),
      'key',
    )
  })

  it('returns the same replay tag for a replayed packet and a different one for another payment', () => {
    const { hops, nodes } = route(2)
    const first = nodes[0] as Node
    const peel = (packet: Uint8Array) =>
      peelOnion({ packet, x25519PrivateKey: first.onion.privateKey, associatedData: PAYMENT_HASH })
    const a = buildOnion({ route: hops, associatedData: PAYMENT_HASH })
    const b = buildOnion({ route: hops, associatedData: PAYMENT_HASH })
    expect(peel(a.packet).replayTag).toEqual(peel(a.packet.slice()).replayTag)
    expect(peel(a.packet).replayTag).not.toEqual(peel(b.packet).replayTag)
  })

  it('refuses routes it cannot build', () => {
    const build = (hops: OnionHop[], extra: { associatedData?: Uint8Array; sessionKey?: Uint8Array } = {}) =>
      buildOnion({
        route: hops,
        associatedData: extra.associatedData ?? PAYMENT_HASH,
        ...(extra.sessionKey ? { sessionKey: extra.sessionKey } : {}),
      })
    const { hops } = route(3)
    const [h0, h1, h2] = hops as [OnionHop, OnionHop, OnionHop]
    const forward = h0.payload as ForwardHopPayload
    const final = h2.payload as FinalHopPayload
    expectBadOnion(() => build([]), 'input')
    expectBadOnion(
      () => build(Array.from({ length: MAX_HOPS + 1 }, (_, i) => (i === MAX_HOPS ? h2 : h0))),
      'input',
    )
    expectBadOnion(() => build([h0, h1]), 'input') // last hop not final
    expectBadOnion(() => build([h2, h2]), 'input') // a final hop before the end
    expectBadOnion(() => build([{ ...h0, payload: { ...forward, amount: 0n } }, h2]), 'input')
    expectBadOnion(() => build([{ ...h0, payload: { ...forward, expiry: 1n << 64n } }, h2]), 'input')
    expectBadOnion(() => build([h0, { ...h2, payload: { ...final, amount: 1n << 256n } }]), 'input')
    expectBadOnion(() => build([h0, { ...h2, payload: { ...final, totalAmount: 1n } }]), 'input')
    expectBadOnion(
      () => build([{ ...h0, payload: { ...forward, nextNodeId: new Uint8Array(33) } }, h2]),
      'input',
    )
    expectBadOnion(() => build([{ ...h2, x25519PublicKey: new Uint8Array(32) }]), 'input') // low order
    expectBadOnion(() => build([h2], { associatedData: new Uint8Array(31) }), 'input')
    expectBadOnion(() => build([h2], { sessionKey: new Uint8Array(16) }), 'input')
  })
})

describe('failure onions', () => {
  it('tell the payer which hop failed, whichever it is', () => {
    const { hops, nodes } = route(5)
    const { packet, sharedSecrets } = buildOnion({ route: hops, associatedData: PAYMENT_HASH })
    const seen = peelAll(packet, nodes)
    for (let failing = 0; failing < nodes.length; failing++) {
      const data = new TextEncoder().encode(`hop ${failing} says no`)
      let failure = createFailure({
        sharedSecret: (seen[failing] as PeeledOnion).sharedSecret,
        code: OnionFailureCode.temporaryChannelFailure,
        data,
      })
      expect(failure.length).toBe(FAILURE_PACKET_LENGTH)
      for (let back = failing - 1; back >= 0; back--) {
        const wrapped = wrapFailure({ sharedSecret: (seen[back] as PeeledOnion).sharedSecret, failure })
        expect(wrapped).not.toEqual(failure)
        failure = wrapped
      }
      expect(decodeFailure({ failure, sharedSecrets })).toEqual({
        hopIndex: failing,
        code: OnionFailureCode.temporaryChannelFailure,
        data,
      })
    }
  })

  it('carries any uint16 code and up to 252 bytes of data', () => {
    const { hops, nodes } = route(2)
    const { packet, sharedSecrets } = buildOnion({ route: hops, associatedData: PAYMENT_HASH })
    const seen = peelAll(packet, nodes)
    const ss1 = (seen[1] as PeeledOnion).sharedSecret
    const ss0 = (seen[0] as PeeledOnion).sharedSecret
    const data = new Uint8Array(252).fill(0xab)
    const failure = wrapFailure({
      sharedSecret: ss0,
      failure: createFailure({ sharedSecret: ss1, code: 0xffff, data }),
    })
    expect(decodeFailure({ failure, sharedSecrets })).toEqual({ hopIndex: 1, code: 0xffff, data })
    expect(decodeFailure({ failure: createFailure({ sharedSecret: ss0, code: 0 }), sharedSecrets })).toEqual({
      hopIndex: 0,
      code: 0,
      data: new Uint8Array(0),
    })
    expectBadOnion(() => createFailure({ sharedSecret: ss1, code: 0x10000 }), 'input')
    expectBadOnion(() => createFailure({ sharedSecret: ss1, code: 1, data: new Uint8Array(253) }), 'input')
  })

  it('refuses a garbled or mis-sized failure', () => {
    const { hops, nodes } = route(3)
    const { packet, sharedSecrets } = buildOnion({ route: hops, associatedData: PAYMENT_HASH })
    const seen = peelAll(packet, nodes)
    const failure = createFailure({ sharedSecret: (seen[2] as PeeledOnion).sharedSecret, code: 7 })
    const random = prng(7)
    for (let k = 0; k < 1000; k++) {
      const garbled = failure.slice()
      const at = Math.floor(random() * garbled.length)
      garbled[at] = (garbled[at] as number) ^ (1 + Math.floor(random() * 255))
      expectBadOnion(() => decodeFailure({ failure: garbled, sharedSecrets }), 'failure')
    }
    expectBadOnion(() => decodeFailure({ failure: failure.subarray(1), sharedSecrets }), 'length')
    expectBadOnion(
      () => wrapFailure({ sharedSecret: sharedSecrets[0] as Uint8Array, failure: new Uint8Array(10) }),
      'length',
    )
    // Only the payer's secrets decode it: another route's secrets find no hop.
    const other = buildOnion({ route: hops, associatedData: PAYMENT_HASH })
    expectBadOnion(() => decodeFailure({ failure, sharedSecrets: other.sharedSecrets }), 'failure')
  })
})

describe('onion fuzzing', () => {
  it('refuses 5,000 mutated packets with CHANNEL_BAD_ONION and nothing else', () => {
    const { hops, nodes } = route(3)
    const { packet } = buildOnion({ route: hops, associatedData: PAYMENT_HASH })
    const key = (nodes[0] as Node).onion.privateKey
    const random = prng(42)
    const byte = () => Math.floor(random() * 256)
    let refused = 0
    for (let k = 0; k < 5000; k++) {
      let mutated = packet.slice()
      switch (k % 6) {
        case 0: // 1 to 4 bit flips anywhere
          for (let f = 1 + Math.floor(random() * 4); f > 0; f--) {
            const at = Math.floor(random() * mutated.length)
            mutated[at] = (mutated[at] as number) ^ (1 << Math.floor(random() * 8))
          }
          break
        case 1: // a random byte
          mutated[Math.floor(random() * mutated.length)] = byte()
          break
        case 2: // truncated or extended
          mutated =
            random() < 0.5
              ? mutated.slice(0, Math.floor(random() * mutated.length))
              : new Uint8Array([...mutated, ...Array.from({ length: 1 + Math.floor(random() * 40) }, byte)])
          break
        case 3: // a random run overwritten
          {
            const at = Math.floor(random() * mutated.length)
            const run = 1 + Math.floor(random() * 64)
            for (let i = at; i < Math.min(mutated.length, at + run); i++) mutated[i] = byte()
          }
          break
        case 4: // entirely random, with a valid version byte
          mutated = Uint8Array.from({ length: ONION_PACKET_LENGTH }, byte)
          mutated[0] = 0
          break
        default: {
          // a chunk moved elsewhere
          const from = Math.floor(random() * (mutated.length - 64))
          const to = Math.floor(random() * (mutated.length - 64))
          mutated.copyWithin(to, from, from + 1 + Math.floor(random() * 63))
        }
      }
      if (equalBytes(mutated, packet)) continue
      try {
        peelOnion({ packet: mutated, x25519PrivateKey: key, associatedData: PAYMENT_HASH })
        throw new Error(`mutation ${k} was accepted`)
      } catch (error) {
        if (!isL2kitError(error, ChannelErrorCode.badOnion)) throw error
        refused++
      }
    }
    expect(refused).toBeGreaterThan(4900)
  }, 120_000)
})

describe('onion bytes', () => {
  it('are exactly those of the pure-JS implementation (packet, peeled packet and failure pinned before the switch to native crypto)', () => {
    const keys = [0, 1, 2].map((i) => deriveOnionKey(bytes(`node ${i}`)))
    const nid = (i: number) => secp256k1.getPublicKey(bytes(`node ${i}`), true)
    const [k0, k1, k2] = keys as [Node['onion'], Node['onion'], Node['onion']]
    const hops: OnionHop[] = [
      { x25519PublicKey: k0.publicKey, payload: { nextNodeId: nid(1), amount: 1_001_000n, expiry: 1_800n } },
      { x25519PublicKey: k1.publicKey, payload: { nextNodeId: nid(2), amount: 1_000_000n, expiry: 1_200n } },
      {
        x25519PublicKey: k2.publicKey,
        payload: {
          nextNodeId: null,
          amount: 1_000_000n,
          expiry: 900n,
          paymentSecret: bytes('secret'),
          totalAmount: 1_000_000n,
        },
      },
    ]
    const ad = bytes('payment hash')
    const { packet, sharedSecrets } = buildOnion({
      route: hops,
      associatedData: ad,
      sessionKey: bytes('session'),
    })
    const peeled = peelOnion({ packet, x25519PrivateKey: k0.privateKey, associatedData: ad })
    const failure = wrapFailure({
      sharedSecret: sharedSecrets[1] as Uint8Array,
      failure: createFailure({ sharedSecret: sharedSecrets[2] as Uint8Array, code: 7 }),
    })
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
    expect(hex(k0.publicKey)).toBe('aff6156fe93c8bd65e24ee40d2f2c5d0cbbc43273e052bf2a1620d0ad220140b')
    expect(hex(sha256(packet))).toBe('ed157d28c1bf88b8950e52513c7011215eed64305c20d4f6bf0984b045b2f5bc')
    expect(hex(sha256(peeled.nextPacket as Uint8Array))).toBe(
      '4974ccc1484580c52bb326a03b8817c2ea18bd1f859330bda6b2d0c27155343b',
    )
    expect(hex(sha256(failure))).toBe('5d98123fd3e4c94ad17aa15ff12f4092117ef1e1342c081f287d744e7c77f258')
  })
})

describe('onion timing', () => {
  it('measures build and peel of a 2-hop onion', () => {
    const { hops, nodes } = route(2)
    const rounds = 100
    let packet: Uint8Array = new Uint8Array(0)
    for (let i = 0; i < 10; i++) packet = buildOnion({ route: hops, associatedData: PAYMENT_HASH }).packet // warm-up
    let started = performance.now()
    for (let i = 0; i < rounds; i++) packet = buildOnion({ route: hops, associatedData: PAYMENT_HASH }).packet
    const buildMs = (performance.now() - started) / rounds
    const key = (nodes[0] as Node).onion.privateKey
    for (let i = 0; i < 10; i++) peelOnion({ packet, x25519PrivateKey: key, associatedData: PAYMENT_HASH })
    started = performance.now()
    for (let i = 0; i < rounds; i++)
      peelOnion({ packet, x25519PrivateKey: key, associatedData: PAYMENT_HASH })
    const peelMs = (performance.now() - started) / rounds
    const hops20 = route(20).hops
    started = performance.now()
    for (let i = 0; i < 10; i++) buildOnion({ route: hops20, associatedData: PAYMENT_HASH })
    const build20Ms = (performance.now() - started) / 10
    console.log(
      `onion: 2-hop build ${buildMs.toFixed(2)} ms, peel ${peelMs.toFixed(2)} ms; 20-hop build ${build20Ms.toFixed(1)} ms; packet ${ONION_PACKET_LENGTH} bytes`,
    )
    expect(packet.length).toBe(ONION_PACKET_LENGTH)
  }, 60_000)
})
