/**
 * The crypto on a payment's path, native: HMAC-SHA256, ChaCha20 and X25519 through Node's OpenSSL (`node:crypto`),
 * secp256k1 key checks and signature recovery through libsecp256k1 (the `secp256k1` package's native binding, as
 * core/signature.ts uses it). The pure-JS `@noble/curves` versions cost about 1 ms each (an X25519 ladder, a point
 * decompression, a recovery) and a 2-hop payment needs a dozen of them on one thread; the native ones cost tens of
 * microseconds. Results are identical (fastCrypto.test.ts cross-checks them against noble, onion.test.ts pins a
 * packet built before the switch); when a native path does not load, noble is used.
 */
import {
  createCipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type KeyObject,
} from 'node:crypto'
import { createRequire } from 'node:module'
import { x25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToBigint } from '../../core/bytes.ts'

const b64url = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
/**
 * Node imports a raw X25519 key fastest as a JWK (~50 µs; PKCS#8 DER takes ~700 µs through OpenSSL 3's decoders).
 * A private JWK must carry `x`; Node derives the key from `d` alone, so when the public key is not known yet a
 * placeholder goes there. The self-test below checks exactly that, or the noble path is used.
 */
const PLACEHOLDER_X = b64url(new Uint8Array(32).fill(9))

function x25519PrivateKeyObject(secret: Uint8Array, publicKey?: Uint8Array): KeyObject {
  return createPrivateKey({
    key: {
      kty: 'OKP',
      crv: 'X25519',
      d: b64url(secret),
      x: publicKey === undefined ? PLACEHOLDER_X : b64url(publicKey),
    },
    format: 'jwk',
  })
}

function x25519PublicKeyNative(secret: Uint8Array): Uint8Array {
  const jwk = createPublicKey(x25519PrivateKeyObject(secret)).export({ format: 'jwk' })
  return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'))
}

function x25519SharedNative(privateKey: KeyObject, publicKey: Uint8Array): Uint8Array {
  const pub = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(publicKey) }, format: 'jwk' })
  return new Uint8Array(diffieHellman({ privateKey, publicKey: pub }))
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])

const nativeX25519 = (() => {
  try {
    for (const fill of [7, 0xff, 0x80]) {
      const secret = new Uint8Array(32).fill(fill)
      const other = new Uint8Array(32).fill(fill ^ 0x55)
      const pub = x25519PublicKeyNative(secret)
      const otherPub = x25519.getPublicKey(other)
      if (!equal(pub, x25519.getPublicKey(secret))) return false
      const shared = x25519SharedNative(x25519PrivateKeyObject(secret), otherPub)
      if (!equal(shared, x25519.getSharedSecret(secret, otherPub))) return false
    }
    return true
  } catch {
    return false
  }
})()

/** Imported private keys of the few long-lived secrets (a node's onion key), by their hex. */
const keyObjects = new Map<string, KeyObject>()

/** X25519 public key of a 32-byte secret (RFC 7748: the scalar is clamped). */
export function x25519PublicKey(secret: Uint8Array): Uint8Array {
  return nativeX25519 ? x25519PublicKeyNative(secret) : x25519.getPublicKey(secret)
}

/**
 * X25519(secret, publicKey), RFC 7748 (the public key's top bit ignored, u reduced mod p). Throws for a low-order
 * public key (an all-zero result), as noble does. `longLived`: keep the imported secret for the next call (a node's
 * own onion key; never an ephemeral one).
 */
export function x25519SharedSecret(secret: Uint8Array, publicKey: Uint8Array, longLived = false): Uint8Array {
  if (publicKey.length !== 32 || secret.length !== 32) throw new Error('X25519 keys are 32 bytes')
  if (!nativeX25519) return x25519.getSharedSecret(secret, publicKey)
  let key: KeyObject | undefined
  if (longLived) {
    const k = b64url(secret)
    key = keyObjects.get(k)
    if (key === undefined) {
      key = x25519PrivateKeyObject(secret)
      if (keyObjects.size >= 64) keyObjects.clear()
      keyObjects.set(k, key)
    }
  } else key = x25519PrivateKeyObject(secret)
  return x25519SharedNative(key, publicKey)
}

/** HMAC-SHA256 (Node's OpenSSL: an onion's tag covers 3.4 kB, ~15x faster than pure JS). */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(data).digest())
}

const ZERO_IV = new Uint8Array(16)
/** ChaCha20 (RFC 8439) with a zero nonce, block counter from 0, over `data` (Node's IV: counter LE 4 ‖ nonce 12). */
export function chacha20Xor(key: Uint8Array, data: Uint8Array): Uint8Array {
  const c = createCipheriv('chacha20', key, ZERO_IV)
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]))
}

type NativeSecp256k1 = {
  publicKeyVerify(pubkey: Uint8Array): boolean
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array
}

const nativeSecp256k1: NativeSecp256k1 | undefined = (() => {
  try {
    const require = createRequire(import.meta.url)
    // `secp256k1/bindings.js` is the native build only (the package's main silently falls back to elliptic)
    const native = require('secp256k1/bindings.js') as NativeSecp256k1
    const g = secp256k1.Point.BASE.toBytes(true)
    return native.publicKeyVerify(g) ? native : undefined
  } catch {
    return undefined
  }
})()

/** True for a 33-byte compressed secp256k1 public key that is a point on the curve. */
export function isCompressedSecp256k1Key(bytes: Uint8Array): boolean {
  if (bytes.length !== 33 || (bytes[0] !== 2 && bytes[0] !== 3)) return false
  if (nativeSecp256k1 !== undefined) return nativeSecp256k1.publicKeyVerify(bytes)
  try {
    secp256k1.Point.fromBytes(bytes)
    return true
  } catch {
    return false
  }
}

/**
 * The compressed public key that made the signature `rs` (64 bytes, r ‖ s, already checked to be in range and low
 * s) with `recovery` (0 or 1) over `hash`; throws if none.
 */
export function recoverCompressed(hash: Uint8Array, rs: Uint8Array, recovery: number): Uint8Array {
  if (nativeSecp256k1 !== undefined) return nativeSecp256k1.ecdsaRecover(rs, recovery, hash, true)
  return new secp256k1.Signature(
    bytesToBigint(rs.subarray(0, 32)),
    bytesToBigint(rs.subarray(32, 64)),
    recovery,
  )
    .recoverPublicKey(hash)
    .toBytes(true)
}
