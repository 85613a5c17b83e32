import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bech32 } from '@scure/base'
import { describe, expect, it } from 'vitest'
import { bigintToBytes, concatBytes } from '../../core/bytes.ts'
import { isL2kitError } from '../../core/errors.ts'
import { ChannelErrorCode } from './errors.ts'
import {
  chainIdOfHrp,
  createInvoice,
  DEFAULT_EXPIRY_SECONDS,
  decodeInvoice,
  invoiceHrp,
  MAX_DESCRIPTION_BYTES,
  MAX_INVOICE_LENGTH,
} from './invoice.ts'

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

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
const bytes = (label: string): Uint8Array => sha256(utf8(label))
const PAYEE_KEY = bytes('payee')
const PAYEE_ID = secp256k1.getPublicKey(PAYEE_KEY, true)
const OTHER_KEY = bytes('someone else')
const PAYMENT_HASH = bytes('payment hash')
const PAYMENT_SECRET = bytes('payment secret')
const TOKEN = '0x00000000000000000000000000000000deadbeef'
const CREATED_AT = 1_700_000_000n
const NOW = CREATED_AT + 10n

const base = {
  payeePrivateKey: PAYEE_KEY,
  chainId: 31337,
  paymentHash: PAYMENT_HASH,
  paymentSecret: PAYMENT_SECRET,
  createdAt: CREATED_AT,
}

function expectBadInvoice(fn: () => unknown, reason?: string): void {
  try {
    fn()
  } catch (error) {
    expect(isL2kitError(error, ChannelErrorCode.badInvoice), String(error)).toBe(true)
    if (reason !== undefined) expect((error as { details: { reason: string } }).details.reason).toBe(reason)
    return
  }
  throw new Error('expected CHANNEL_BAD_INVOICE, nothing was thrown')
}

/** The data bytes of an invoice string (version ‖ fields ‖ signature). */
function dataOf(invoice: string): { hrp: string; data: Uint8Array } {
  const { prefix, words } = bech32.decode(invoice, false)
  return { hrp: prefix, data: bech32.fromWords(words) }
}

function encode(hrp: string, data: Uint8Array): string {
  return bech32.encode(hrp, bech32.toWords(data), false)
}

/** An independent signer for hand-built data (format per the module header), to reach checks past the signature. */
function signRaw(hrp: string, unsigned: Uint8Array, key = PAYEE_KEY): string {
  const sig = secp256k1.sign(sha256(concatBytes(utf8(hrp), unsigned)), key, {
    prehash: false,
    format: 'recovered',
  })
  return encode(hrp, concatBytes(unsigned, sig.subarray(1), sig.subarray(0, 1)))
}

function tlv(type: number, value: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(type, value.length >> 8, value.length & 0xff), value)
}

/** The required fields, in order, with the given overrides (null = omit). */
function fields(overrides: Record<number, Uint8Array | null> = {}): Uint8Array[] {
  const defaults: Record<number, Uint8Array> = {
    0: PAYMENT_HASH,
    2: PAYMENT_SECRET,
    4: PAYEE_ID,
    6: bigintToBytes(CREATED_AT, 8),
    8: bigintToBytes(3600n, 4),
    10: new Uint8Array(20),
  }
  const all = { ...defaults, ...overrides }
  return Object.keys(all)
    .map(Number)
    .sort((a, b) => a - b)
    .flatMap((type) => {
      const value = all[type]
      return value ? [tlv(type, value)] : []
    })
}

describe('invoice network tags', () => {
  it('maps chain ids to hrps and back', () => {
    const cases: [number, string][] = [
      [1, 'l2kceth'],
      [11155111, 'l2kcsep'],
      [31337, 'l2kcdev'],
      [10, 'l2kcx10'],
      [8453, 'l2kcx8453'],
    ]
    for (const [chainId, hrp] of cases) {
      expect(invoiceHrp(chainId)).toBe(hrp)
      expect(chainIdOfHrp(hrp)).toBe(chainId)
    }
    for (const hrp of [
      'l2kcx31337',
      'l2kcx1',
      'l2kcx0',
      'l2kcx010',
      'l2kc',
      'l2kcfoo',
      'l2kcx99999999999999999',
    ]) {
      expectBadInvoice(() => chainIdOfHrp(hrp), 'network')
    }
    expectBadInvoice(() => chainIdOfHrp('lnbc'), 'prefix')
    expectBadInvoice(() => invoiceHrp(0), 'input')
    expectBadInvoice(() => invoiceHrp(1.5), 'input')
  })
})

describe('invoices', () => {
  it('round-trips every field', () => {
    const invoice = createInvoice({
      ...base,
      amount: 123_456_789_000_000_000_000n,
      token: TOKEN,
      description: 'coffee ☕ for two',
      expirySeconds: 600n,
      minFinalExpiryDelta: 7200n,
    })
    expect(invoice.startsWith('l2kcdev1')).toBe(true)
    const decoded = decodeInvoice(invoice, { now: NOW, expectedChainId: 31337 })
    expect(decoded).toEqual({
      chainId: 31337,
      paymentHash: PAYMENT_HASH,
      paymentSecret: PAYMENT_SECRET,
      payeeNodeId: PAYEE_ID,
      amount: 123_456_789_000_000_000_000n,
      token: TOKEN,
      description: 'coffee ☕ for two',
      createdAt: CREATED_AT,
      expirySeconds: 600n,
      expiresAt: CREATED_AT + 600n,
      minFinalExpiryDelta: 7200n,
      signature: decoded.signature,
    })
    expect(decoded.signature).toHaveLength(65)
    // Deterministic (RFC 6979): the same request encodes to the same string.
    expect(
      createInvoice({
        ...base,
        amount: 123_456_789_000_000_000_000n,
        token: TOKEN,
        description: 'coffee ☕ for two',
        expirySeconds: 600n,
        minFinalExpiryDelta: 7200n,
      }),
    ).toBe(invoice)
    // All-uppercase is the same bech32 string (QR codes).
    expect(decodeInvoice(invoice.toUpperCase(), { now: NOW })).toEqual(decoded)
  })

  it('defaults: any amount, ETH, no description, one hour, no min final expiry delta', () => {
    const invoice = createInvoice({ ...base, chainId: 1 })
    expect(invoice.startsWith('l2kceth1')).toBe(true)
    const decoded = decodeInvoice(invoice, { now: NOW })
    expect(decoded.amount).toBeNull()
    expect(decoded.token).toBe('0x0000000000000000000000000000000000000000')
    expect(decoded.description).toBe('')
    expect(decoded.expirySeconds).toBe(DEFAULT_EXPIRY_SECONDS)
    expect(decoded.minFinalExpiryDelta).toBeNull()
    expect(decoded.chainId).toBe(1)
    // createdAt defaults to the clock, and the clock is the default `now`.
    const { createdAt: _, ...undated } = base
    const fresh = decodeInvoice(createInvoice(undated))
    expect(fresh.createdAt).toBeGreaterThan(CREATED_AT)
  })

  it('accepts amounts up to 2^256 - 1 and descriptions up to 639 bytes, refuses more', () => {
    const max = (1n << 256n) - 1n
    expect(decodeInvoice(createInvoice({ ...base, amount: max }), { now: NOW }).amount).toBe(max)
    expect(decodeInvoice(createInvoice({ ...base, amount: 1n }), { now: NOW }).amount).toBe(1n)
    const longest = `${'é'.repeat(319)}x` // 639 bytes
    expect(decodeInvoice(createInvoice({ ...base, description: longest }), { now: NOW }).description).toBe(
      longest,
    )
    expectBadInvoice(() => createInvoice({ ...base, description: 'é'.repeat(320) }), 'description')
    expectBadInvoice(
      () => createInvoice({ ...base, description: 'x'.repeat(MAX_DESCRIPTION_BYTES + 1) }),
      'description',
    )
    expectBadInvoice(() => createInvoice({ ...base, description: '\ud800' }), 'description')
    expectBadInvoice(() => createInvoice({ ...base, amount: 0n }), 'input')
    expectBadInvoice(() => createInvoice({ ...base, amount: 1n << 256n }), 'input')
    expectBadInvoice(() => createInvoice({ ...base, expirySeconds: 0n }), 'input')
    expectBadInvoice(() => createInvoice({ ...base, expirySeconds: 1n << 32n }), 'input')
    expectBadInvoice(() => createInvoice({ ...base, token: '0x1234' }), 'input')
    expectBadInvoice(() => createInvoice({ ...base, paymentHash: new Uint8Array(31) }), 'input')
    expectBadInvoice(() => createInvoice({ ...base, payeePrivateKey: new Uint8Array(32) }), 'input')
    // A signed invoice whose description is over the limit is refused by the decoder too.
    const oversized = signRaw(
      'l2kcdev',
      concatBytes(Uint8Array.of(0), ...fields({ 14: new Uint8Array(640).fill(120) })),
    )
    expectBadInvoice(() => decodeInvoice(oversized, { now: NOW }), 'description')
    const notUtf8 = signRaw(
      'l2kcdev',
      concatBytes(Uint8Array.of(0), ...fields({ 14: Uint8Array.of(0xff, 0xfe) })),
    )
    expectBadInvoice(() => decodeInvoice(notUtf8, { now: NOW }), 'description')
  })

  it('refuses an expired invoice, and accepts it until the second before', () => {
    const invoice = createInvoice({ ...base, expirySeconds: 60n })
    expect(decodeInvoice(invoice, { now: CREATED_AT + 59n }).expiresAt).toBe(CREATED_AT + 60n)
    expectBadInvoice(() => decodeInvoice(invoice, { now: CREATED_AT + 60n }), 'expired')
    expectBadInvoice(() => decodeInvoice(invoice), 'expired') // created in 2023, the clock is later
  })

  it('refuses an invoice for another chain', () => {
    const invoice = createInvoice({ ...base, chainId: 11155111 })
    expect(decodeInvoice(invoice, { now: NOW, expectedChainId: 11155111 }).chainId).toBe(11155111)
    expectBadInvoice(() => decodeInvoice(invoice, { now: NOW, expectedChainId: 31337 }), 'chain')
    // Moving it to another network tag (re-encoded, so the checksum is fine) breaks the signature.
    const { data } = dataOf(invoice)
    expectBadInvoice(() => decodeInvoice(encode('l2kcdev', data), { now: NOW }), 'signature')
  })

  it('refuses a tampered signature or a tampered field', () => {
    const invoice = createInvoice({ ...base, amount: 5000n, description: 'tea' })
    const { hrp, data } = dataOf(invoice)
    const end = data.length - 65
    for (const at of [end, end + 10, end + 31, end + 32, end + 50, end + 63, 1, 10, 40, end - 1]) {
      const tampered = data.slice()
      tampered[at] = (tampered[at] as number) ^ 0x01
      expectBadInvoice(() => decodeInvoice(encode(hrp, tampered), { now: NOW }))
    }
    // Recovery id other than 0/1.
    const badRecovery = data.slice()
    badRecovery[data.length - 1] = 2
    expectBadInvoice(() => decodeInvoice(encode(hrp, badRecovery), { now: NOW }), 'signature')
    // The same signature with high s (and the other recovery id) still recovers the payee: refused (malleability).
    const n = secp256k1.Point.CURVE().n
    const highS = data.slice()
    const s = BigInt(`0x${Buffer.from(data.subarray(end + 32, end + 64)).toString('hex')}`)
    highS.set(bigintToBytes(n - s, 32), end + 32)
    highS[data.length - 1] = 1 - (data[data.length - 1] as number)
    expectBadInvoice(() => decodeInvoice(encode(hrp, highS), { now: NOW }), 'signature')
    // Signed by a key that is not the payee field's.
    const forged = signRaw(hrp, data.subarray(0, end), OTHER_KEY)
    expectBadInvoice(() => decodeInvoice(forged, { now: NOW }), 'signature')
  })

  it('refuses unknown versions, missing or malformed fields, and reads unknown odd fields', () => {
    const unsigned = (version: number, parts: Uint8Array[]) => concatBytes(Uint8Array.of(version), ...parts)
    const ok = signRaw('l2kcdev', unsigned(0, fields()))
    expect(decodeInvoice(ok, { now: NOW }).payeeNodeId).toEqual(PAYEE_ID)
    expectBadInvoice(() => decodeInvoice(signRaw('l2kcdev', unsigned(1, fields())), { now: NOW }), 'version')
    expectBadInvoice(
      () => decodeInvoice(signRaw('l2kcdev', unsigned(0, fields({ 2: null }))), { now: NOW }),
      'field',
    )
    expectBadInvoice(
      () => decodeInvoice(signRaw('l2kcdev', unsigned(0, fields({ 4: PAYEE_ID.subarray(1) }))), { now: NOW }),
      'field',
    )
    expectBadInvoice(
      () => decodeInvoice(signRaw('l2kcdev', unsigned(0, fields({ 12: Uint8Array.of(0, 5) }))), { now: NOW }),
      'field',
    )
    expectBadInvoice(
      () => decodeInvoice(signRaw('l2kcdev', unsigned(0, fields({ 12: new Uint8Array(0) }))), { now: NOW }),
      'field',
    )
    expectBadInvoice(
      () => decodeInvoice(signRaw('l2kcdev', unsigned(0, fields({ 8: new Uint8Array(4) }))), { now: NOW }),
      'field',
    )
    expectBadInvoice(
      () => decodeInvoice(signRaw('l2kcdev', unsigned(0, fields({ 18: Uint8Array.of(1) }))), { now: NOW }),
      'field',
    )
    const odd = decodeInvoice(signRaw('l2kcdev', unsigned(0, fields({ 19: Uint8Array.of(1, 2, 3) }))), {
      now: NOW,
    })
    expect(odd.paymentHash).toEqual(PAYMENT_HASH)
    // Fields out of order or repeated.
    const [f0, f2, ...rest] = fields()
    expectBadInvoice(
      () =>
        decodeInvoice(signRaw('l2kcdev', unsigned(0, [f2 as Uint8Array, f0 as Uint8Array, ...rest])), {
          now: NOW,
        }),
      'field',
    )
    expectBadInvoice(
      () =>
        decodeInvoice(
          signRaw('l2kcdev', unsigned(0, [f0 as Uint8Array, f0 as Uint8Array, f2 as Uint8Array, ...rest])),
          { now: NOW },
        ),
      'field',
    )
  })

  it('refuses truncated data, bad checksums and junk', () => {
    const invoice = createInvoice({ ...base, amount: 42n, description: 'a book' })
    const { hrp, data } = dataOf(invoice)
    // Cut at every length, re-encoded with a valid checksum: every one is refused.
    for (let length = 0; length < data.length; length++) {
      expectBadInvoice(() => decodeInvoice(encode(hrp, data.subarray(0, length)), { now: NOW }))
    }
    expectBadInvoice(() => decodeInvoice(encode(hrp, data.subarray(0, 40)), { now: NOW }), 'truncated')
    expectBadInvoice(() => decodeInvoice(encode(hrp, data.subarray(0, 10)), { now: NOW }), 'truncated')
    // Cut as a string: the checksum catches it.
    expectBadInvoice(() => decodeInvoice(invoice.slice(0, -1), { now: NOW }), 'checksum')
    expectBadInvoice(() => decodeInvoice(invoice.slice(0, 100), { now: NOW }), 'checksum')
    const swapped = invoice.slice(0, 30) + (invoice[30] === 'q' ? 'p' : 'q') + invoice.slice(31)
    expectBadInvoice(() => decodeInvoice(swapped, { now: NOW }), 'checksum')
    const mixedCase = invoice.slice(0, 20) + invoice.slice(20, 21).toUpperCase() + invoice.slice(21)
    if (mixedCase !== invoice) expectBadInvoice(() => decodeInvoice(mixedCase, { now: NOW }), 'checksum')
    expectBadInvoice(() => decodeInvoice('', { now: NOW }), 'checksum')
    expectBadInvoice(() => decodeInvoice('l2kcdev1', { now: NOW }), 'checksum')
    expectBadInvoice(() => decodeInvoice('x'.repeat(MAX_INVOICE_LENGTH + 1), { now: NOW }), 'format')
    expectBadInvoice(() => decodeInvoice(42 as unknown as string), 'format')
    // A valid bech32 string of another kind.
    expectBadInvoice(() => decodeInvoice(encode('lnbc', data), { now: NOW }), 'prefix')
    // Random strings, from the bech32 alphabet and from anything printable.
    const random = prng(1)
    const alphabet = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
    for (let k = 0; k < 1000; k++) {
      const length = Math.floor(random() * 200)
      const chars =
        k % 2 === 0
          ? alphabet
          : ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~'
      const body = Array.from({ length }, () => chars[Math.floor(random() * chars.length)]).join('')
      expectBadInvoice(() => decodeInvoice(k % 4 === 0 ? `l2kcdev1${body}` : body, { now: NOW }))
    }
  })
})

describe('invoice fuzzing', () => {
  const invoice = createInvoice({
    ...base,
    amount: 99_000n,
    token: TOKEN,
    description: 'fuzz me',
    minFinalExpiryDelta: 3600n,
  })

  it('refuses 5,000 mutated strings with CHANNEL_BAD_INVOICE and nothing else', () => {
    const random = prng(2)
    const alphabet = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l1bioQPZ!'
    const pick = () => alphabet[Math.floor(random() * alphabet.length)] as string
    let refused = 0
    for (let k = 0; k < 5000; k++) {
      let s = invoice
      for (let m = 1 + Math.floor(random() * 3); m > 0; m--) {
        const at = Math.floor(random() * s.length)
        switch (Math.floor(random() * 6)) {
          case 0:
            s = s.slice(0, at) + pick() + s.slice(at + 1)
            break
          case 1:
            s = s.slice(0, at) + s.slice(at + 1)
            break
          case 2:
            s = s.slice(0, at) + pick() + s.slice(at)
            break
          case 3:
            s = s.slice(0, at)
            break
          case 4:
            s = s.slice(0, at) + s.slice(at, at + 1).toUpperCase() + s.slice(at + 1)
            break
          default: {
            const b = Math.floor(random() * s.length)
            const [x, y] = [Math.min(at, b), Math.max(at, b)]
            s = s.slice(0, x) + s.charAt(y) + s.slice(x + 1, y) + s.charAt(x) + s.slice(y + 1)
          }
        }
      }
      if (s === invoice) continue
      try {
        decodeInvoice(s, { now: NOW })
        throw new Error(`mutation ${k} was accepted: ${s}`)
      } catch (error) {
        if (!isL2kitError(error, ChannelErrorCode.badInvoice)) throw error
        refused++
      }
    }
    expect(refused).toBeGreaterThan(4500)
  }, 60_000)

  it('refuses 5,000 mutated payloads re-encoded with a valid checksum', () => {
    const { hrp, data } = dataOf(invoice)
    const random = prng(3)
    let refused = 0
    for (let k = 0; k < 5000; k++) {
      let mutated: Uint8Array = data.slice()
      switch (k % 4) {
        case 0:
          for (let f = 1 + Math.floor(random() * 3); f > 0; f--) {
            const at = Math.floor(random() * mutated.length)
            mutated[at] = (mutated[at] as number) ^ (1 << Math.floor(random() * 8))
          }
          break
        case 1:
          mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256)
          break
        case 2: {
          const at = Math.floor(random() * mutated.length)
          mutated =
            random() < 0.5
              ? concatBytes(mutated.subarray(0, at), mutated.subarray(at + 1 + Math.floor(random() * 8)))
              : concatBytes(
                  mutated.subarray(0, at),
                  Uint8Array.of(Math.floor(random() * 256)),
                  mutated.subarray(at),
                )
          break
        }
        default:
          mutated = Uint8Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256))
          if (mutated.length > 0) mutated[0] = 0
      }
      if (mutated.length === data.length && mutated.every((b, i) => b === data[i])) continue
      try {
        decodeInvoice(encode(hrp, mutated), { now: NOW })
        throw new Error(`payload mutation ${k} was accepted`)
      } catch (error) {
        if (!isL2kitError(error, ChannelErrorCode.badInvoice)) throw error
        refused++
      }
    }
    expect(refused).toBeGreaterThan(4900)
  }, 60_000)
})
