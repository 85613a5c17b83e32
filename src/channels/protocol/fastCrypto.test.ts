import { chacha20 } from '@noble/ciphers/chacha.js'
import { x25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import {
  chacha20Xor,
  hmacSha256,
  isCompressedSecp256k1Key,
  recoverCompressed,
  x25519PublicKey,
  x25519SharedSecret,
} from './fastCrypto.ts'

const bytes = (label: string): Uint8Array => sha256(new TextEncoder().encode(label))
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'))
const noble = <T>(f: () => T): T | 'throws' => {
  try {
    return f()
  } catch {
    return 'throws'
  }
}
const asHex = (v: Uint8Array | 'throws') => (v === 'throws' ? v : hex(v))

describe('native crypto gives the pure-JS results', () => {
  it('X25519: public keys and shared secrets for 200 random pairs, both keys reused (long-lived) and not', () => {
    for (let i = 0; i < 200; i++) {
      const a = bytes(`a ${i}`)
      const b = bytes(`b ${i}`)
      const pubB = x25519.getPublicKey(b)
      expect(hex(x25519PublicKey(a))).toBe(hex(x25519.getPublicKey(a)))
      const expected = hex(x25519.getSharedSecret(a, pubB))
      expect(hex(x25519SharedSecret(a, pubB))).toBe(expected)
      expect(hex(x25519SharedSecret(a, pubB, true))).toBe(expected)
    }
  })

  it('X25519: edge public keys (top bit set, u ≥ p, low order) as noble: same secret or both refuse', () => {
    const p = (1n << 255n) - 19n
    const le = (n: bigint) => {
      const out = new Uint8Array(32)
      for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn)
      return out
    }
    const edges = [
      le(0n),
      le(1n),
      le(p - 1n),
      le(p),
      le(p + 1n),
      le((1n << 255n) - 1n),
      le((1n << 256n) - 1n),
      fromHex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'), // order 8
      fromHex('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157'), // order 8
      (() => {
        const k = x25519.getPublicKey(bytes('top bit'))
        k[31] = (k[31] as number) | 0x80
        return k
      })(),
    ]
    const secret = bytes('edge secret')
    for (const pub of edges) {
      const want = asHex(noble(() => x25519.getSharedSecret(secret, pub)))
      expect(asHex(noble(() => x25519SharedSecret(secret, pub))), hex(pub)).toBe(want)
    }
  })

  it('HMAC-SHA256 and ChaCha20 (zero nonce, counter 0) over every length up to a packet', () => {
    for (const n of [0, 1, 31, 32, 63, 64, 65, 170, 3_465, 3_570]) {
      const key = bytes(`key ${n}`)
      const data = new Uint8Array(n).map((_, i) => (i * 7 + n) & 0xff)
      expect(hex(hmacSha256(key, data))).toBe(hex(hmac(sha256, key, data)))
      expect(hex(chacha20Xor(key, data))).toBe(hex(chacha20(key, new Uint8Array(12), data)))
    }
  })

  it('secp256k1: key checks and recovery as noble', () => {
    for (let i = 0; i < 100; i++) {
      const pk = bytes(`sk ${i}`)
      const pub = secp256k1.getPublicKey(pk, true)
      expect(isCompressedSecp256k1Key(pub)).toBe(true)
      const hash = bytes(`msg ${i}`)
      const sig = secp256k1.sign(hash, pk, { prehash: false, lowS: true, format: 'recovered' })
      expect(hex(recoverCompressed(hash, sig.subarray(1), sig[0] as number))).toBe(hex(pub))
      // an x with no point on the curve, in about half the cases
      const off = pub.slice()
      off[32] = (off[32] as number) ^ 1
      const onCurve = noble(() => secp256k1.Point.fromBytes(off)) !== 'throws'
      expect(isCompressedSecp256k1Key(off)).toBe(onCurve)
    }
    const xAboveP = new Uint8Array(33).fill(0xff)
    xAboveP[0] = 2
    for (const k of [new Uint8Array(33).fill(2), new Uint8Array(33).fill(3), xAboveP]) {
      const onCurve = noble(() => secp256k1.Point.fromBytes(k)) !== 'throws'
      expect(isCompressedSecp256k1Key(k), hex(k)).toBe(onCurve)
    }
    expect(isCompressedSecp256k1Key(new Uint8Array(33))).toBe(false)
    expect(isCompressedSecp256k1Key(new Uint8Array(32).fill(2))).toBe(false)
    expect(isCompressedSecp256k1Key(secp256k1.getPublicKey(bytes('sk 0'), false))).toBe(false)
  })
})
