/**
 * BOLT 8 Appendix A, every vector (lightning/bolts 08-transport.md): the initiator's and the responder's successful
 * handshakes and each failure case, then the message encryption test (messages 0, 1, 500, 501, 1000, 1001 of
 * "hello", across two key rotations). Run on every ECDH and AEAD implementation this process has.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { isL2kitError } from '../../core/errors.ts'
import {
  ACT_ONE_LENGTH,
  ACT_THREE_LENGTH,
  availableNoiseBackends,
  compressedPublicKey,
  type HandshakeFailure,
  MAX_MESSAGE_LENGTH,
  MAX_PACKET_LENGTH,
  NoiseInitiator,
  NoiseResponder,
  NoiseTransport,
  noiseBackends,
  randomPrivateKey,
  useNoiseBackends,
} from './noise.ts'

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/^0x/, ''), 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

// Initiator: ls.priv, rs.pub, e.priv
const INITIATOR_STATIC = hex('1111111111111111111111111111111111111111111111111111111111111111')
const INITIATOR_STATIC_PUB = '034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa'
const INITIATOR_EPHEMERAL = hex('1212121212121212121212121212121212121212121212121212121212121212')
// Responder: ls.priv, ls.pub, e.priv
const RESPONDER_STATIC = hex('2121212121212121212121212121212121212121212121212121212121212121')
const RESPONDER_STATIC_PUB = '028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7'
const RESPONDER_EPHEMERAL = hex('2222222222222222222222222222222222222222222222222222222222222222')

const ACT_ONE =
  '00036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f70df6086551151f58b8afe6c195782c6a'
const ACT_TWO =
  '0002466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f276e2470b93aac583c9ef6eafca3f730ae'
const ACT_THREE =
  '00b9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c466263b47fdf31e560e139ba'
const CK = '919219dbb2920afa8db80f9a51787a840bcf111ed8d588caf9ab4be716e42b01'
const SK = '969ab31b4d288cedf6218839b27a3e2140827047f2c0f01bf5c04435d43511a9'
const RK = 'bb9020b8965f4df047e07f955f3c4b88418984aadc5cdb35096b9ea8fa5c3442'

const MESSAGE_OUTPUTS: Record<number, string> = {
  0: 'cf2b30ddf0cf3f80e7c35a6e6730b59fe802473180f396d88a8fb0db8cbcf25d2f214cf9ea1d95',
  1: '72887022101f0b6753e0c7de21657d35a4cb2a1f5cde2650528bbc8f837d0f0d7ad833b1a256a1',
  500: '178cb9d7387190fa34db9c2d50027d21793c9bc2d40b1e14dcf30ebeeeb220f48364f7a4c68bf8',
  501: '1b186c57d44eb6de4c057c49940d79bb838a145cb528d6e8fd26dbe50a60ca2c104b56b60e45bd',
  1000: '4a2f3cc3b5e78ddb83dcb426d9863d9d9a723b0337c89dd0b005d89f8d3c05c52b76b29b740f09',
  1001: '2ecd8c8a5629d0d02ab457a0fdd0f7b90a192cd46be5ecb6ca570bfc5e268338b1a16cf4ef2d36',
}
const HELLO = new TextEncoder().encode('hello')

function vectorInitiator(): NoiseInitiator {
  return new NoiseInitiator({
    staticPrivateKey: INITIATOR_STATIC,
    remoteStaticKey: hex(RESPONDER_STATIC_PUB),
    ephemeralPrivateKey: INITIATOR_EPHEMERAL,
  })
}

function vectorResponder(): NoiseResponder {
  return new NoiseResponder({ staticPrivateKey: RESPONDER_STATIC, ephemeralPrivateKey: RESPONDER_EPHEMERAL })
}

function expectHandshakeFailure(run: () => unknown, reason: HandshakeFailure): void {
  try {
    run()
  } catch (error) {
    expect(isL2kitError(error, 'P2P_HANDSHAKE_FAILED')).toBe(true)
    expect((error as { details: { reason: string } }).details.reason).toBe(reason)
    return
  }
  throw new Error(`expected ${reason}, but nothing was thrown`)
}

const initial = noiseBackends()
afterAll(() => useNoiseBackends(initial))

const available = availableNoiseBackends()
const combos = available.ecdh.flatMap((ecdh) => available.aead.map((aead) => ({ ecdh, aead })))

describe.each(combos)('BOLT 8 vectors (ecdh $ecdh, aead $aead)', ({ ecdh, aead }) => {
  const use = (): void => useNoiseBackends({ ecdh, aead })

  it('derives the static public keys', () => {
    use()
    expect(toHex(compressedPublicKey(INITIATOR_STATIC))).toBe(INITIATOR_STATIC_PUB)
    expect(toHex(compressedPublicKey(RESPONDER_STATIC))).toBe(RESPONDER_STATIC_PUB)
  })

  it('initiator: successful handshake (acts one and three, sk and rk)', () => {
    use()
    const initiator = vectorInitiator()
    const actOne = initiator.writeActOne()
    expect(actOne.length).toBe(ACT_ONE_LENGTH)
    expect(toHex(actOne)).toBe(ACT_ONE)
    const { actThree, session } = initiator.readActTwo(hex(ACT_TWO))
    expect(actThree.length).toBe(ACT_THREE_LENGTH)
    expect(toHex(actThree)).toBe(ACT_THREE)
    expect(toHex(session.remoteStaticKey)).toBe(RESPONDER_STATIC_PUB)
    // sk: what the initiator sends is the vector's message 0 (encrypted under sk = 0x969a…).
    expect(toHex(session.transport.encrypt(HELLO))).toBe(MESSAGE_OUTPUTS[0])
    // rk: the initiator reads what a sender holding sk = rk of the vector (0xbb90…) writes.
    const peer = new NoiseTransport({ sendingKey: hex(RK), receivingKey: hex(SK), chainingKey: hex(CK) })
    expect(toHex(session.transport.decrypt(peer.encrypt(HELLO)))).toBe(toHex(HELLO))
  })

  it('responder: successful handshake (act two, rk and sk, the initiator static key)', () => {
    use()
    const responder = vectorResponder()
    expect(toHex(responder.readActOne(hex(ACT_ONE)))).toBe(ACT_TWO)
    const session = responder.readActThree(hex(ACT_THREE))
    expect(toHex(session.remoteStaticKey)).toBe(INITIATOR_STATIC_PUB)
    // rk = 0x969a…: the responder reads the vector's message 0.
    expect(toHex(session.transport.decrypt(hex(MESSAGE_OUTPUTS[0] as string)))).toBe(toHex(HELLO))
    // sk = 0xbb90…: a receiver holding the vector's rk reads it.
    const initiatorSide = new NoiseTransport({
      sendingKey: hex(SK),
      receivingKey: hex(RK),
      chainingKey: hex(CK),
    })
    expect(toHex(initiatorSide.decrypt(session.transport.encrypt(HELLO)))).toBe(toHex(HELLO))
  })

  it('both ends agree on the handshake hash', () => {
    use()
    const initiator = vectorInitiator()
    const responder = vectorResponder()
    const actTwo = responder.readActOne(initiator.writeActOne())
    const { actThree, session } = initiator.readActTwo(actTwo)
    expect(toHex(responder.readActThree(actThree).handshakeHash)).toBe(toHex(session.handshakeHash))
  })

  it.each([
    ['act2 short read', ACT_TWO.slice(0, -2), 'ACT2_READ_FAILED'],
    ['act2 bad version', `01${ACT_TWO.slice(2)}`, 'ACT2_BAD_VERSION'],
    ['act2 bad key serialization', `0004${ACT_TWO.slice(4)}`, 'ACT2_BAD_PUBKEY'],
    ['act2 bad MAC', `${ACT_TWO.slice(0, -2)}af`, 'ACT2_BAD_TAG'],
  ] as const)('initiator: %s', (_name, actTwo, reason) => {
    use()
    const initiator = vectorInitiator()
    expect(toHex(initiator.writeActOne())).toBe(ACT_ONE)
    expectHandshakeFailure(() => initiator.readActTwo(hex(actTwo)), reason)
    // A failed handshake stays failed.
    expectHandshakeFailure(() => initiator.readActTwo(hex(ACT_TWO)), 'OUT_OF_ORDER')
  })

  it.each([
    ['act1 short read', ACT_ONE.slice(0, -2), 'ACT1_READ_FAILED'],
    ['act1 bad version', `01${ACT_ONE.slice(2)}`, 'ACT1_BAD_VERSION'],
    ['act1 bad key serialization', `0004${ACT_ONE.slice(4)}`, 'ACT1_BAD_PUBKEY'],
    ['act1 bad MAC', `${ACT_ONE.slice(0, -2)}6b`, 'ACT1_BAD_TAG'],
  ] as const)('responder: %s', (_name, actOne, reason) => {
    use()
    expectHandshakeFailure(() => vectorResponder().readActOne(hex(actOne)), reason)
  })

  it.each([
    ['act3 bad version', `01${ACT_THREE.slice(2)}`, 'ACT3_BAD_VERSION'],
    ['act3 short read', ACT_THREE.slice(0, -2), 'ACT3_READ_FAILED'],
    ['act3 bad MAC for ciphertext', `00c9${ACT_THREE.slice(4)}`, 'ACT3_BAD_CIPHERTEXT'],
    [
      'act3 bad rs',
      '00bfe3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa2235536ad09a8ee351870c2bb7f78b754a26c6cef79a98d25139c856d7efd252c2ae73c',
      'ACT3_BAD_PUBKEY',
    ],
    ['act3 bad MAC', `${ACT_THREE.slice(0, -2)}bb`, 'ACT3_BAD_TAG'],
  ] as const)('responder: %s', (_name, actThree, reason) => {
    use()
    const responder = vectorResponder()
    expect(toHex(responder.readActOne(hex(ACT_ONE)))).toBe(ACT_TWO)
    expectHandshakeFailure(() => responder.readActThree(hex(actThree)), reason)
  })

  it('message encryption: outputs 0, 1, 500, 501, 1000, 1001 of "hello" (two key rotations)', () => {
    use()
    const sender = new NoiseTransport({ sendingKey: hex(SK), receivingKey: hex(RK), chainingKey: hex(CK) })
    const receiver = new NoiseTransport({ sendingKey: hex(RK), receivingKey: hex(SK), chainingKey: hex(CK) })
    for (let i = 0; i <= 1001; i++) {
      const packet = sender.encrypt(HELLO)
      const expected = MESSAGE_OUTPUTS[i]
      if (expected !== undefined) expect(toHex(packet), `output ${i}`).toBe(expected)
      expect(toHex(receiver.decrypt(packet))).toBe(toHex(HELLO))
    }
  })

  it('the stream form (length, then body) reads the same packets', () => {
    use()
    const receiver = new NoiseTransport({ sendingKey: hex(RK), receivingKey: hex(SK), chainingKey: hex(CK) })
    const packet = hex(MESSAGE_OUTPUTS[0] as string)
    expect(receiver.decryptLength(packet.subarray(0, 18))).toBe(5)
    expect(toHex(receiver.decryptBody(packet.subarray(18)))).toBe(toHex(HELLO))
  })
})

describe('transport rules', () => {
  const pair = (): [NoiseTransport, NoiseTransport] => {
    const a = randomPrivateKey()
    const b = randomPrivateKey()
    const initiator = new NoiseInitiator({ staticPrivateKey: a, remoteStaticKey: compressedPublicKey(b) })
    const responder = new NoiseResponder({ staticPrivateKey: b })
    const { actThree, session } = initiator.readActTwo(responder.readActOne(initiator.writeActOne()))
    const theirs = responder.readActThree(actThree)
    expect(toHex(theirs.remoteStaticKey)).toBe(toHex(compressedPublicKey(a)))
    return [session.transport, theirs.transport]
  }

  it('carries empty and 65,535-byte messages; refuses 65,536 bytes on send without changing state', () => {
    const [a, b] = pair()
    expect(b.decrypt(a.encrypt(new Uint8Array(0))).length).toBe(0)
    const big = new Uint8Array(MAX_MESSAGE_LENGTH).map((_, i) => i & 0xff)
    const packet = a.encrypt(big)
    expect(packet.length).toBe(MAX_PACKET_LENGTH)
    expect(toHex(b.decrypt(packet))).toBe(toHex(big))
    expect(() => a.encrypt(new Uint8Array(MAX_MESSAGE_LENGTH + 1))).toThrow(
      expect.objectContaining({ code: 'P2P_FRAME_TOO_LARGE' }),
    )
    expect(toHex(b.decrypt(a.encrypt(HELLO)))).toBe(toHex(HELLO))
  })

  it('a flipped bit, a replay, a reorder or a wrong length fails, and the receiver stays failed', () => {
    const cases: ((a: NoiseTransport, b: NoiseTransport) => void)[] = [
      (a, b) => {
        const p = a.encrypt(HELLO)
        p[p.length - 1] = (p[p.length - 1] as number) ^ 1
        b.decrypt(p)
      },
      (a, b) => {
        const p = a.encrypt(HELLO)
        p[3] = (p[3] as number) ^ 0x80
        b.decrypt(p)
      },
      (a, b) => {
        const p = a.encrypt(HELLO)
        b.decrypt(p)
        b.decrypt(p)
      },
      (a, b) => {
        const p1 = a.encrypt(HELLO)
        const p2 = a.encrypt(HELLO)
        b.decrypt(p2)
        b.decrypt(p1)
      },
      (a, b) => {
        const p = a.encrypt(HELLO)
        b.decrypt(p.subarray(0, p.length - 1))
      },
      (a, b) => {
        const p = a.encrypt(HELLO)
        b.decrypt(new Uint8Array([...p, 0]))
      },
      (_a, b) => b.decrypt(new Uint8Array(33)),
    ]
    for (const run of cases) {
      const [a, b] = pair()
      expect(() => run(a, b)).toThrow(expect.objectContaining({ code: 'P2P_BAD_FRAME' }))
      expect(() => b.decrypt(a.encrypt(HELLO))).toThrow(expect.objectContaining({ code: 'P2P_BAD_FRAME' }))
    }
  })

  it('a wrong responder key fails act one; an impostor responder fails act two', () => {
    const a = randomPrivateKey()
    const b = randomPrivateKey()
    const impostor = randomPrivateKey()
    const initiator = new NoiseInitiator({ staticPrivateKey: a, remoteStaticKey: compressedPublicKey(b) })
    const actOne = initiator.writeActOne()
    expectHandshakeFailure(
      () => new NoiseResponder({ staticPrivateKey: impostor }).readActOne(actOne),
      'ACT1_BAD_TAG',
    )
    // An impostor that skips the act one check and answers anyway cannot produce act two's MAC.
    const other = new NoiseInitiator({ staticPrivateKey: a, remoteStaticKey: compressedPublicKey(impostor) })
    const forged = new NoiseResponder({ staticPrivateKey: impostor }).readActOne(other.writeActOne())
    expectHandshakeFailure(() => initiator.readActTwo(forged), 'ACT2_BAD_TAG')
  })

  it('refuses invalid keys up front', () => {
    expect(() => new NoiseResponder({ staticPrivateKey: new Uint8Array(32) })).toThrow(
      expect.objectContaining({ code: 'INVALID_PRIVATE_KEY' }),
    )
    expect(
      () =>
        new NoiseInitiator({
          staticPrivateKey: randomPrivateKey(),
          remoteStaticKey: hex(`04${RESPONDER_STATIC_PUB.slice(2)}`),
        }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_PUBLIC_KEY' }))
  })
})
