/**
 * The ZK rollup's hashes and signatures (docs/zk.md, "Hashes"): Poseidon and BabyJubjub EdDSA-Poseidon exactly as
 * circomlib's circuits compute them, through circomlibjs (iden3's reference implementation, WebAssembly).
 * circomlibjs builds its tables asynchronously, so `loadZkCrypto()` must resolve once before the synchronous
 * functions below are used; they throw a clear error otherwise.
 */
import { keccak_256 } from '@noble/hashes/sha3.js'
import { buildEddsa, type Eddsa, type Poseidon } from 'circomlibjs'
import { L2kitError } from '../../core/errors.ts'
import type { Hasher } from '../../core/hash.ts'
import { BASE8, jubPublicKey, jubSign, jubVerify } from './babyjub.ts'
import './errors.ts'

/** The BN254 scalar field: every circuit signal lives in it. */
export const FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n

let eddsa: Eddsa | undefined
let poseidonFn: Poseidon | undefined
let loading: Promise<void> | undefined

/** Builds circomlibjs's Poseidon and EdDSA (a few hundred ms, once per process). */
export function loadZkCrypto(): Promise<void> {
  loading ??= buildEddsa().then((built) => {
    eddsa = built
    poseidonFn = built.poseidon
  })
  return loading
}

function ready(): { eddsa: Eddsa; poseidon: Poseidon } {
  if (eddsa === undefined || poseidonFn === undefined) {
    throw new L2kitError('ZK_CRYPTO_NOT_LOADED', 'ZK crypto is not loaded yet: await loadZkCrypto() first', {
      kind: 'critical',
    })
  }
  return { eddsa, poseidon: poseidonFn }
}

/** Poseidon of 1..16 field elements (circomlib's `Poseidon(n)`). */
export function poseidon(inputs: readonly bigint[]): bigint {
  const { poseidon: p } = ready()
  for (const x of inputs) {
    if (x < 0n || x >= FIELD) throw new RangeError(`Poseidon input ${x} is not a field element`)
  }
  return p.F.toObject(p(inputs))
}

/** A field element as 32 bytes big-endian. */
export function fieldToBytes(x: bigint): Uint8Array {
  const out = new Uint8Array(32)
  let v = x
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

/** 32 bytes big-endian as a bigint (not reduced). */
export function bytesToField(bytes: Uint8Array): bigint {
  let v = 0n
  for (const b of bytes) v = (v << 8n) | BigInt(b)
  return v
}

/** Poseidon(2) as a Merkle hasher for core's sparse Merkle tree (nodes are 32-byte big-endian field elements). */
export const poseidonHasher: Hasher = {
  name: 'poseidon-bn254',
  hash2(left: Uint8Array, right: Uint8Array): Uint8Array {
    return fieldToBytes(poseidon([bytesToField(left), bytesToField(right)]))
  },
}

/** A BabyJubjub public key (affine coordinates). */
export type ZkPublicKey = { readonly x: bigint; readonly y: bigint }
/** An EdDSA-Poseidon signature: R8 and S, as the circuit takes them. */
export type ZkSignature = { readonly r8x: bigint; readonly r8y: bigint; readonly s: bigint }

/** The L2 private key: 32 bytes (circomlibjs hashes it with blake512 to get the scalar). */
export type ZkPrivateKey = Uint8Array

/** The public key of a private key (circomlibjs's `prv2pub`). */
export function zkPublicKey(privateKey: ZkPrivateKey): ZkPublicKey {
  return jubPublicKey(privateKey)
}

/** `pkHash = H(Ax, Ay)`, what an account leaf stores. */
export function pubKeyHash(key: ZkPublicKey): bigint {
  return poseidon([key.x, key.y])
}

/** Signs a message field element (the circuit's `M`); the same signature circomlibjs's `signPoseidon` makes. */
export function zkSign(privateKey: ZkPrivateKey, message: bigint): ZkSignature {
  ready()
  return jubSign(privateKey, message, poseidon)
}

/** Verifies a signature exactly as the circuit will (false for points off the curve or S too large). */
export function zkVerify(message: bigint, signature: ZkSignature, key: ZkPublicKey): boolean {
  ready()
  for (const v of [signature.r8x, signature.r8y, key.x, key.y, message])
    if (v < 0n || v >= FIELD) return false
  return jubVerify(message, signature, key, poseidon)
}

/** A valid point and zero scalar the circuit takes when a slot's signature check is disabled. */
export function dummySignatureInputs(): { key: ZkPublicKey; signature: ZkSignature } {
  return { key: { x: BASE8.x, y: BASE8.y }, signature: { r8x: BASE8.x, r8y: BASE8.y, s: 0n } }
}

/**
 * The fixed text a wallet signs (`personal_sign`) to derive its L2 key for one deployment (docs/zk.md): naming the
 * chain and the rollup makes the key, and so every signature, specific to this deployment.
 */
export function zkKeyMessage(chainId: number, rollup: string): string {
  return `l2kit zk: sign to derive your L2 key. Chain ${chainId}, rollup ${rollup.toLowerCase()}. Only sign this on l2kit.`
}

/** The L2 private key from the wallet's signature over `zkKeyMessage`: keccak256(signature bytes). */
export function zkPrivateKeyFromSignature(signature: Uint8Array): ZkPrivateKey {
  if (signature.length !== 65) {
    throw new L2kitError('INVALID_SIGNATURE', `An Ethereum signature is 65 bytes, got ${signature.length}`)
  }
  return keccak_256(signature)
}
