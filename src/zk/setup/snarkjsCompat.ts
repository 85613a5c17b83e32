/**
 * The pieces of snarkjs 0.7.6's file formats and key derivations the direct (known-tau) setup must reproduce bit for
 * bit, so that what it writes is exactly what `snarkjs powersoftau new` + `beacon` + `prepare phase2` and
 * `snarkjs zkey new` + `zkey beacon` would write from the same beacons (and `powersoftau verify`/`zkey verify` accept
 * it). Ported from node_modules/snarkjs/src (powersoftau_utils.js, keypair.js, misc.js, zkey_beacon.js).
 */
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { ChaCha, type FfBn128, type FfRng } from 'ffjavascript'

/** A BLAKE2b-512 hasher as @noble/hashes 1.x makes it. */
export interface Blake2bHasher {
  update(data: Uint8Array): Blake2bHasher
  digest(): Uint8Array
}

// snarkjs stores a hasher's internal state in the .ptau (the "partial hash"), so it must come from the same
// @noble/hashes (major version 1) snarkjs resolves, not the 2.x l2kit itself depends on.
const requireHere = createRequire(import.meta.url)
const requireFromSnarkjs = createRequire(requireHere.resolve('snarkjs'))
const noble = requireFromSnarkjs('@noble/hashes/blake2b') as {
  blake2b: { create(opts: { dkLen: number }): Blake2bHasher }
}

export function blake2b512(): Blake2bHasher {
  return noble.blake2b.create({ dkLen: 64 })
}

type NobleBlake2bState = Record<string, number> & { buffer: Uint8Array }

/** The hasher's eight 64-bit state words as @noble/hashes 1.x keeps them (low/high 32-bit halves). */
const STATE_WORDS = ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7'].flatMap((v) => [`${v}l`, `${v}h`])

/** snarkjs misc.toPartialHash: the hasher's state as 216 bytes (uses @noble/hashes 1.x internals, as snarkjs does). */
export function toPartialHash(hasher: Blake2bHasher): Uint8Array {
  const h = hasher as unknown as NobleBlake2bState
  const res = new Uint8Array(216)
  const res32 = new Uint32Array(res.buffer, 128, 22)
  res.set(h.buffer)
  STATE_WORDS.forEach((n, i) => {
    res32[i] = h[n] ?? 0
  })
  res32[18] = h.pos ?? 0
  res32[16] = (h.length ?? 0) - (h.pos ?? 0)
  return res
}

/** snarkjs misc.fromPartialHash: a hasher continuing from a stored state. */
export function fromPartialHash(partial: Uint8Array): Blake2bHasher {
  const rest = new Uint32Array(partial.slice(128).buffer)
  const res = blake2b512()
  const h = res as unknown as NobleBlake2bState
  h.buffer.set(partial.subarray(0, 128))
  STATE_WORDS.forEach((n, i) => {
    h[n] = (rest[i] ?? 0) | 0
  })
  const len = (rest[16] ?? 0) + (rest[17] ?? 0) * 2 ** 32
  const pos = (rest[18] ?? 0) + (rest[19] ?? 0) * 2 ** 32
  h.length = len + pos
  h.pos = pos
  return res
}

/** snarkjs misc.rngFromBeaconParams: sha256 iterated 2^numIterationsExp times, then ChaCha seeded with it. */
export function rngFromBeacon(beaconHash: Uint8Array, numIterationsExp: number): FfRng {
  if (numIterationsExp < 0 || numIterationsExp > 30) throw new RangeError('numIterationsExp out of range')
  let cur: Uint8Array = beaconHash
  for (let i = 0; i < 2 ** numIterationsExp; i++) cur = createHash('sha256').update(cur).digest()
  const v = new DataView(cur.buffer, cur.byteOffset, cur.byteLength)
  const seed: number[] = []
  for (let i = 0; i < 8; i++) seed.push(v.getUint32(i * 4, false))
  return new ChaCha(seed)
}

/** snarkjs keypair.hashToG2. */
export function hashToG2(curve: FfBn128, hash: Uint8Array): Uint8Array {
  const v = new DataView(hash.buffer, hash.byteOffset, hash.byteLength)
  const seed: number[] = []
  for (let i = 0; i < 8; i++) seed.push(v.getUint32(i * 4))
  return curve.G2.fromRng(new ChaCha(seed))
}

/** snarkjs keypair.getG2sp. */
export function getG2sp(
  curve: FfBn128,
  personalization: number,
  challenge: Uint8Array,
  g1s: Uint8Array,
  g1sx: Uint8Array,
): Uint8Array {
  const h = blake2b512()
  h.update(new Uint8Array([personalization]))
  h.update(challenge)
  h.update(curve.G1.toUncompressed(g1s))
  h.update(curve.G1.toUncompressed(g1sx))
  return hashToG2(curve, h.digest())
}

export type PtauKeyPart = {
  /** the secret as an Fr element (Montgomery) */
  prvKey: Uint8Array
  g1_s: Uint8Array
  g1_sx: Uint8Array
  g2_sp: Uint8Array
  g2_spx: Uint8Array
}
export type PtauKey = { tau: PtauKeyPart; alpha: PtauKeyPart; beta: PtauKeyPart }

/** snarkjs keypair.createPTauKey: tau, alpha, beta drawn from rng, each with its proof of knowledge. */
export function createPtauKey(curve: FfBn128, challengeHash: Uint8Array, rng: FfRng): PtauKey {
  const tau = curve.Fr.fromRng(rng)
  const alpha = curve.Fr.fromRng(rng)
  const beta = curve.Fr.fromRng(rng)
  const part = (prvKey: Uint8Array, personalization: number): PtauKeyPart => {
    const g1_s = curve.G1.toAffine(curve.G1.fromRng(rng))
    const g1_sx = curve.G1.toAffine(curve.G1.timesFr(g1_s, prvKey))
    const g2_sp = curve.G2.toAffine(getG2sp(curve, personalization, challengeHash, g1_s, g1_sx))
    const g2_spx = curve.G2.toAffine(curve.G2.timesFr(g2_sp, prvKey))
    return { prvKey, g1_s, g1_sx, g2_sp, g2_spx }
  }
  // order matters: snarkjs draws the three secrets first, then the three public keys in this order
  const t = part(tau, 0)
  const a = part(alpha, 1)
  const b = part(beta, 2)
  return { tau: t, alpha: a, beta: b }
}

/** snarkjs powersoftau_utils.toPtauPubKeyRpr: the 9 public-key points, uncompressed (or LEM with `montgomery`). */
export function ptauPubKeyBytes(curve: FfBn128, key: PtauKey, montgomery: boolean): Uint8Array {
  const n1 = curve.G1.F.n8 * 2
  const n2 = curve.G2.F.n8 * 2
  const out = new Uint8Array(6 * n1 + 3 * n2)
  let pos = 0
  const g1 = (p: Uint8Array): void => {
    if (montgomery) curve.G1.toRprLEM(out, pos, p)
    else curve.G1.toRprUncompressed(out, pos, p)
    pos += n1
  }
  const g2 = (p: Uint8Array): void => {
    if (montgomery) curve.G2.toRprLEM(out, pos, p)
    else curve.G2.toRprUncompressed(out, pos, p)
    pos += n2
  }
  g1(key.tau.g1_s)
  g1(key.tau.g1_sx)
  g1(key.alpha.g1_s)
  g1(key.alpha.g1_sx)
  g1(key.beta.g1_s)
  g1(key.beta.g1_sx)
  g2(key.tau.g2_spx)
  g2(key.alpha.g2_spx)
  g2(key.beta.g2_spx)
  return out
}

/** snarkjs powersoftau_utils.calculateFirstChallengeHash: the hash of a fresh accumulator of 2^power. */
export function firstChallengeHash(curve: FfBn128, power: number): Uint8Array {
  const hasher = blake2b512()
  const vG1 = new Uint8Array(curve.G1.F.n8 * 2)
  const vG2 = new Uint8Array(curve.G2.F.n8 * 2)
  curve.G1.toRprUncompressed(vG1, 0, curve.G1.g)
  curve.G2.toRprUncompressed(vG2, 0, curve.G2.g)
  hasher.update(blake2b512().digest())
  const hashBlock = (buff: Uint8Array, n: number): void => {
    const blockSize = 65536
    const big = new Uint8Array(blockSize * buff.byteLength)
    for (let i = 0; i < blockSize; i++) big.set(buff, i * buff.byteLength)
    let left = n
    while (left >= blockSize) {
      hasher.update(big)
      left -= blockSize
    }
    if (left > 0) hasher.update(big.subarray(0, left * buff.byteLength))
  }
  hashBlock(vG1, 2 ** power * 2 - 1)
  hashBlock(vG2, 2 ** power)
  hashBlock(vG1, 2 ** power)
  hashBlock(vG1, 2 ** power)
  hasher.update(vG2)
  return hasher.digest()
}

/** A contribution's parameters as snarkjs writes them (name, and for a beacon the iterations and hash). */
export function contributionParams(
  name: string,
  beacon?: { numIterationsExp: number; hash: Uint8Array },
): Uint8Array {
  const params: number[] = []
  if (name) {
    const nameData = new TextEncoder().encode(name.substring(0, 64))
    params.push(1, nameData.byteLength, ...nameData)
  }
  if (beacon) {
    params.push(2, beacon.numIterationsExp)
    params.push(3, beacon.hash.byteLength, ...beacon.hash)
  }
  return new Uint8Array(params)
}

/** Little-endian bytes of a bigint. */
export function bigintToLe(x: bigint, n = 32): Uint8Array {
  const b = new Uint8Array(n)
  let v = x
  for (let i = 0; i < n; i++) {
    b[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return b
}

export function leToBigint(b: Uint8Array, offset = 0, n = 32): bigint {
  let v = 0n
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[offset + i] ?? 0)
  return v
}

/** The BN254 scalar field order r. */
export const FR = 21888242871839275222246405745257275088548364400416034343698204186575808495617n

export function frPow(b: bigint, e: bigint): bigint {
  let r = 1n
  let x = ((b % FR) + FR) % FR
  let k = e
  while (k > 0n) {
    if (k & 1n) r = (r * x) % FR
    x = (x * x) % FR
    k >>= 1n
  }
  return r
}

export function frInv(a: bigint): bigint {
  if (((a % FR) + FR) % FR === 0n) throw new RangeError('inverse of zero')
  return frPow(a, FR - 2n)
}

/** The 2^k-th root of unity ffjavascript uses (its `Fr.w[k]`), as a bigint. */
export function rootOfUnity(curve: FfBn128, k: number): bigint {
  const w = curve.Fr.w[k]
  if (w === undefined) throw new RangeError(`no 2^${k}-th root of unity in Fr`)
  return curve.Fr.toObject(w)
}
