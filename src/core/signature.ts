/**
 * secp256k1 signatures as Ethereum uses them: recover the signer's address from a 32-byte hash and (r, s, yParity),
 * and sign a hash (tests, benchmarks, dev accounts).
 *
 * Uses libsecp256k1 through the `secp256k1` package's native binding when it loads (~10x faster than pure JS,
 * needed for a sequencer that recovers >10k senders/s), else `@noble/curves`. Both give identical results.
 * Only canonical signatures are accepted: 0 < r < n, 0 < s <= n/2 (EIP-2), yParity 0 or 1.
 */
import { createRequire } from 'node:module'
import { secp256k1 as nobleSecp256k1 } from '@noble/curves/secp256k1.js'
import { bigintToBytes, bytesToAddress, bytesToBigint, hexToBytes } from './bytes.ts'
import { L2kitError } from './errors.ts'
import { keccak256 } from './hash.ts'
import type { Address, Hex, Signature } from './types.ts'

/** Order of the secp256k1 group. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
/** Largest `s` accepted (EIP-2 low-s rule). */
export const SECP256K1_HALF_N = SECP256K1_N >> 1n

export type SignatureBackendName = 'native' | 'noble'

/** A secp256k1 implementation. Inputs are already validated; outputs are raw bytes. */
export type SignatureBackend = {
  readonly name: SignatureBackendName
  /** 65-byte uncompressed public key from a 32-byte hash, 64-byte r‖s and the recovery id; throws if none. */
  recover(hash: Uint8Array, rs: Uint8Array, recoveryId: number): Uint8Array
  /** Deterministic (RFC 6979) low-s signature. */
  sign(hash: Uint8Array, privateKey: Uint8Array): { rs: Uint8Array; recoveryId: number }
  /** 65-byte uncompressed public key of a private key. */
  publicKey(privateKey: Uint8Array): Uint8Array
}

const nobleBackend: SignatureBackend = {
  name: 'noble',
  recover(hash, rs, recoveryId) {
    const sig = new nobleSecp256k1.Signature(
      bytesToBigint(rs.subarray(0, 32)),
      bytesToBigint(rs.subarray(32, 64)),
      recoveryId,
    )
    return sig.recoverPublicKey(hash).toBytes(false)
  },
  sign(hash, privateKey) {
    const out = nobleSecp256k1.sign(hash, privateKey, { prehash: false, lowS: true, format: 'recovered' })
    return { rs: out.slice(1, 65), recoveryId: out[0] as number }
  },
  publicKey(privateKey) {
    return nobleSecp256k1.getPublicKey(privateKey, false)
  },
}

type NativeSecp256k1 = {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array
  ecdsaSign(msg32: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number }
  publicKeyCreate(privateKey: Uint8Array, compressed?: boolean): Uint8Array
}

function loadNativeBackend(): SignatureBackend | undefined {
  try {
    const require = createRequire(import.meta.url)
    // `secp256k1/bindings.js` is the native build only (the package's main silently falls back to elliptic).
    const native = require('secp256k1/bindings.js') as NativeSecp256k1
    const backend: SignatureBackend = {
      name: 'native',
      recover: (hash, rs, recoveryId) => native.ecdsaRecover(rs, recoveryId, hash, false),
      sign(hash, privateKey) {
        const { signature, recid } = native.ecdsaSign(hash, privateKey)
        return { rs: signature, recoveryId: recid }
      },
      publicKey: (privateKey) => native.publicKeyCreate(privateKey, false),
    }
    // Self-test once so a broken binary falls back instead of failing every call.
    const key = new Uint8Array(32).fill(7)
    const hash = new Uint8Array(32).fill(9)
    const { rs, recoveryId } = backend.sign(hash, key)
    const pub = backend.recover(hash, rs, recoveryId)
    if (pub.length !== 65 || pub[0] !== 4) return undefined
    return backend
  } catch {
    return undefined
  }
}

const nativeBackend = loadNativeBackend()
let active: SignatureBackend = nativeBackend ?? nobleBackend

/** Which implementation `recoverAddress` and `signHash` use right now. */
export function activeSignatureBackend(): SignatureBackendName {
  return active.name
}

/** A backend by name (undefined if the native binding did not load), e.g. to cross-check them in tests. */
export function getSignatureBackend(name: SignatureBackendName): SignatureBackend | undefined {
  return name === 'native' ? nativeBackend : nobleBackend
}

/** Switches the backend (tests and benchmarks). Throws if the native one is unavailable. */
export function useSignatureBackend(name: SignatureBackendName): void {
  const backend = getSignatureBackend(name)
  if (backend === undefined) {
    throw new L2kitError('SIGNATURE_BACKEND_UNAVAILABLE', 'the native secp256k1 binding did not load', {
      kind: 'critical',
    })
  }
  active = backend
}

/** Why (r, s, yParity) is not a canonical Ethereum signature, or undefined if it is. */
export function signatureProblem(sig: Signature): string | undefined {
  if (sig.r <= 0n || sig.r >= SECP256K1_N) return 'signature r is out of range (must be 0 < r < n)'
  if (sig.s <= 0n || sig.s >= SECP256K1_N) return 'signature s is out of range (must be 0 < s < n)'
  if (sig.s > SECP256K1_HALF_N)
    return 'signature s is in the upper half of the curve order (EIP-2 requires low s)'
  if (sig.yParity !== 0 && sig.yParity !== 1)
    return `signature yParity must be 0 or 1, got ${String(sig.yParity)}`
  return undefined
}

function invalid(message: string, details: Record<string, unknown> = {}): never {
  throw new L2kitError('INVALID_SIGNATURE', message, { details })
}

function hashBytes(hash: Uint8Array | Hex): Uint8Array {
  const bytes = typeof hash === 'string' ? hexToBytes(hash, 'INVALID_SIGNATURE') : hash
  if (bytes.length !== 32) invalid(`the signed hash must be 32 bytes, got ${bytes.length}`)
  return bytes
}

/** Address (lowercase) of a 65-byte uncompressed (or 64-byte raw x‖y) public key: last 20 bytes of keccak(x‖y). */
export function publicKeyToAddress(publicKey: Uint8Array): Address {
  const xy = publicKey.length === 65 ? publicKey.subarray(1) : publicKey
  if (xy.length !== 64) {
    throw new L2kitError('INVALID_PUBLIC_KEY', 'expected a 65-byte uncompressed or 64-byte public key', {
      details: { length: publicKey.length },
    })
  }
  return bytesToAddress(keccak256(xy), 12)
}

/**
 * Signer address from a hash and a 64-byte r‖s (big-endian, as in the raw tx) plus yParity. The caller must
 * have checked the values with `signatureProblem` (decoders do it on the bigints they already have).
 * Throws `INVALID_SIGNATURE` when no public key matches.
 */
export function recoverAddressFromBytes(hash: Uint8Array, rs: Uint8Array, yParity: 0 | 1): Address {
  let pub: Uint8Array
  try {
    pub = active.recover(hash, rs, yParity)
  } catch (cause) {
    throw new L2kitError('INVALID_SIGNATURE', 'the signature does not match any public key', { cause })
  }
  return bytesToAddress(keccak256(pub.subarray(1)), 12)
}

/** 65-byte uncompressed public key that signed `hash`. Throws `INVALID_SIGNATURE` for non-canonical signatures. */
export function recoverPublicKey(hash: Uint8Array | Hex, sig: Signature): Uint8Array {
  const h = hashBytes(hash)
  const problem = signatureProblem(sig)
  if (problem !== undefined)
    invalid(problem, { r: sig.r.toString(16), s: sig.s.toString(16), yParity: sig.yParity })
  const rs = new Uint8Array(64)
  rs.set(bigintToBytes(sig.r, 32), 0)
  rs.set(bigintToBytes(sig.s, 32), 32)
  try {
    return active.recover(h, rs, sig.yParity)
  } catch (cause) {
    throw new L2kitError('INVALID_SIGNATURE', 'the signature does not match any public key', { cause })
  }
}

/** Address (lowercase) that signed `hash`. Throws `INVALID_SIGNATURE` for non-canonical or unrecoverable ones. */
export function recoverAddress(hash: Uint8Array | Hex, sig: Signature): Address {
  return publicKeyToAddress(recoverPublicKey(hash, sig))
}

function privateKeyBytes(privateKey: Uint8Array | Hex): Uint8Array {
  const key = typeof privateKey === 'string' ? hexToBytes(privateKey, 'INVALID_PRIVATE_KEY') : privateKey
  const k = key.length === 32 ? bytesToBigint(key) : 0n
  if (k <= 0n || k >= SECP256K1_N) {
    throw new L2kitError('INVALID_PRIVATE_KEY', 'a private key is 32 bytes, 0 < key < n')
  }
  return key
}

/** Deterministic low-s signature of a 32-byte hash (no prehashing). */
export function signHash(hash: Uint8Array | Hex, privateKey: Uint8Array | Hex): Signature {
  const { rs, recoveryId } = active.sign(hashBytes(hash), privateKeyBytes(privateKey))
  return {
    r: bytesToBigint(rs.subarray(0, 32)),
    s: bytesToBigint(rs.subarray(32, 64)),
    yParity: recoveryId === 1 ? 1 : 0,
  }
}

/** Address (lowercase) of a private key. */
export function privateKeyToAddress(privateKey: Uint8Array | Hex): Address {
  return publicKeyToAddress(active.publicKey(privateKeyBytes(privateKey)))
}
