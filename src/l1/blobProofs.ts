/**
 * KZG openings of single blob field elements, for proving on L1 that given bytes are the bytes committed in a blob
 * (contracts/src/common/BlobData.sol checks them with the EIP-4844 point-evaluation precompile at 0x0A).
 *
 * A blob is the polynomial p of degree < 4096 whose evaluations over the 4096th roots of unity, taken in
 * **bit-reversed order**, are the blob's field elements (consensus specs, `blob_to_polynomial`): field element `i`
 * is `p(ω^bitrev12(i))`, ω = 7^((r-1)/4096) the primitive 4096th root of unity of the BLS12-381 scalar field. An
 * opening of element `i` is `(z = ω^bitrev12(i), y = element i, proof)`; the precompile accepts it iff the commitment
 * hashes to the versioned hash and p(z) = y.
 *
 * Payload addressing follows blobs.ts: payload = uint32 length ‖ data, and field element `k` of blob `b` (global
 * element `g = b·4096 + k`) carries payload bytes `[g·31, g·31 + 31)` in its bytes 1..31.
 */
import { createRequire } from 'node:module'
import { bytesToHex, concatHex, type Hex, hexToBytes, numberToHex } from 'viem'
import { type ErrorCode, ErrorKind, L2kitError } from '../core/errors.ts'
import {
  BYTES_PER_BLOB,
  BYTES_PER_FIELD_ELEMENT,
  commitmentToVersionedHash,
  DATA_BYTES_PER_FIELD_ELEMENT,
  FIELD_ELEMENTS_PER_BLOB,
} from './blobs.ts'
import { L1ErrorCode } from './errors.ts'
import { getKzg } from './kzg.ts'

type CKzg = typeof import('c-kzg')

/** Order of the BLS12-381 scalar field (the precompile's `BLS_MODULUS`). */
export const BLS_MODULUS = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n

/** Primitive 4096th root of unity ω = 7^((BLS_MODULUS - 1) / 4096) (7 is the specs' PRIMITIVE_ROOT_OF_UNITY). */
export const ROOT_OF_UNITY_4096 = 0x564c0a11a0f704f4fc3e8acfe0f8245f0ad1347b378fbf96e206da11a5d36306n

/** Address of the EIP-4844 point-evaluation precompile. */
export const POINT_EVALUATION_PRECOMPILE = '0x000000000000000000000000000000000000000a' as const

/** What the precompile returns on success: `FIELD_ELEMENTS_PER_BLOB ‖ BLS_MODULUS`, two 32-byte words. */
export const POINT_EVALUATION_SUCCESS: Hex = concatHex([
  numberToHex(FIELD_ELEMENTS_PER_BLOB, { size: 32 }),
  numberToHex(BLS_MODULUS, { size: 32 }),
])

/** Error code: a requested payload byte range does not lie inside the given blobs. */
export const BLOB_RANGE_OUT_OF_BOUNDS = 'BLOB_RANGE_OUT_OF_BOUNDS'

/** One field element of one blob, opened: everything the point-evaluation precompile needs. */
export interface FieldElementOpening {
  /** Field element index in its blob (0..4095). */
  index: number
  /** Evaluation point ω^bitrev12(index), 32 bytes big-endian. */
  z: Hex
  /** The field element (= p(z)), 32 bytes big-endian. */
  y: Hex
  /** KZG commitment of the blob (48 bytes). */
  commitment: Hex
  /** KZG proof of p(z) = y (48 bytes). */
  proof: Hex
  /** EIP-4844 versioned hash of the commitment. */
  versionedHash: Hex
}

/** Openings of the field elements that cover a payload byte range, possibly across several blobs. */
export interface PayloadRangeOpenings {
  /** Payload offset of the range (the payload starts with the 4-byte length prefix). */
  byteOffset: number
  length: number
  /** Global index (`blob·4096 + element`) of the first covering field element. */
  firstFieldElement: number
  /** The blobs the range touches, first to last. */
  blobs: { blobIndex: number; commitment: Hex; versionedHash: Hex }[]
  /** One opening per covering field element, in payload order. */
  openings: (FieldElementOpening & { blobIndex: number })[]
  /** The payload bytes of the range (what `BlobData.readPayload` returns). */
  bytes: Hex
}

/** Arguments of `BlobData.readPayload` (its `RangeProof` struct): commitments and proofs packed 48 bytes each. */
export interface RangeProofArgs {
  commitments: Hex
  values: Hex[]
  proofs: Hex
}

let ckzg: CKzg | undefined

/** c-kzg with the trusted setup loaded (through getKzg, which owns the one-time setup). */
function kzgLib(): CKzg {
  if (ckzg !== undefined) return ckzg
  getKzg()
  ckzg = createRequire(import.meta.url)('c-kzg') as CKzg
  return ckzg
}

function invalid(code: ErrorCode, message: string, details: Record<string, unknown>): L2kitError {
  return new L2kitError(code, message, { kind: ErrorKind.invalidInput, details })
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= FIELD_ELEMENTS_PER_BLOB) {
    throw invalid(
      L1ErrorCode.invalidBlobData,
      `field element index ${index} is not in [0, ${FIELD_ELEMENTS_PER_BLOB})`,
      {
        index,
      },
    )
  }
}

function checkBlob(blob: Uint8Array): void {
  if (blob.length !== BYTES_PER_BLOB) {
    throw invalid(L1ErrorCode.invalidBlobData, `blob has ${blob.length} bytes, expected ${BYTES_PER_BLOB}`, {
      byteLength: blob.length,
    })
  }
}

/** Reverses the low 12 bits of `i` (the bit-reversal permutation of a 4096-element domain). */
export function bitReverse12(i: number): number {
  let out = 0
  for (let bit = 0; bit < 12; bit++) out |= ((i >> bit) & 1) << (11 - bit)
  return out
}

function modPow(base: bigint, exponent: bigint): bigint {
  let result = 1n
  let b = base % BLS_MODULUS
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % BLS_MODULUS
    b = (b * b) % BLS_MODULUS
  }
  return result
}

/** Evaluation point of field element `index`: ω^bitrev12(index). Index 0 → 1, index 1 → −1, index 2 → ω^1024. */
export function evaluationPoint(index: number): bigint {
  checkIndex(index)
  return modPow(ROOT_OF_UNITY_4096, BigInt(bitReverse12(index)))
}

/**
 * Opens field element `index` of `blob`: c-kzg `computeKzgProof(blob, z)` (~50 ms). Pass the blob's `commitment`
 * when you have it, to save computing it again (~45 ms).
 */
export function fieldElementOpening(
  blob: Uint8Array,
  index: number,
  options: { commitment?: Uint8Array } = {},
): FieldElementOpening {
  checkBlob(blob)
  checkIndex(index)
  const kzg = kzgLib()
  const commitment = options.commitment ?? kzg.blobToKzgCommitment(blob)
  const z = numberToHex(evaluationPoint(index), { size: 32 })
  const [proof, y] = kzg.computeKzgProof(blob, hexToBytes(z))
  return {
    index,
    z,
    y: bytesToHex(y),
    commitment: bytesToHex(commitment),
    proof: bytesToHex(proof),
    versionedHash: commitmentToVersionedHash(commitment),
  }
}

/** The 192-byte input of the point-evaluation precompile: `versionedHash ‖ z ‖ y ‖ commitment ‖ proof`. */
export function pointEvaluationInput(opening: FieldElementOpening): Hex {
  return concatHex([opening.versionedHash, opening.z, opening.y, opening.commitment, opening.proof])
}

/**
 * Global indices of the field elements covering payload bytes `[byteOffset, byteOffset + length)`:
 * `first = ⌊byteOffset / 31⌋`, `count = ⌊(byteOffset + length − 1) / 31⌋ − first + 1` (length ≥ 1).
 */
export function coveringFieldElements(byteOffset: number, length: number): { first: number; count: number } {
  const first = Math.floor(byteOffset / DATA_BYTES_PER_FIELD_ELEMENT)
  const last = Math.floor((byteOffset + length - 1) / DATA_BYTES_PER_FIELD_ELEMENT)
  return { first, count: last - first + 1 }
}

/**
 * Opens the field elements of `blobs` (one L1 transaction's blobs, in order) that cover payload bytes
 * `[byteOffset, byteOffset + length)`. Payload offsets run across blobs: element k of blob b holds
 * `[(b·4096 + k)·31, +31)`. Costs one commitment per touched blob and one proof (~50 ms) per covering element.
 * Throws `BLOB_RANGE_OUT_OF_BOUNDS` when the range is empty or does not fit in the blobs.
 */
export function openingsForRange(
  blobs: readonly Uint8Array[],
  byteOffset: number,
  length: number,
): PayloadRangeOpenings {
  const capacity = blobs.length * FIELD_ELEMENTS_PER_BLOB * DATA_BYTES_PER_FIELD_ELEMENT
  if (
    !Number.isSafeInteger(byteOffset) ||
    !Number.isSafeInteger(length) ||
    byteOffset < 0 ||
    length < 1 ||
    byteOffset + length > capacity
  ) {
    throw invalid(
      BLOB_RANGE_OUT_OF_BOUNDS,
      `payload bytes [${byteOffset}, ${byteOffset}+${length}) are not a non-empty range inside ${blobs.length} blobs (${capacity} bytes)`,
      { byteOffset, length, blobCount: blobs.length, capacity },
    )
  }
  const kzg = kzgLib()
  const { first, count } = coveringFieldElements(byteOffset, length)
  const commitments = new Map<number, Uint8Array>()
  const touched: PayloadRangeOpenings['blobs'] = []
  const openings: PayloadRangeOpenings['openings'] = []
  const covered = new Uint8Array(count * DATA_BYTES_PER_FIELD_ELEMENT)
  for (let k = 0; k < count; k++) {
    const global = first + k
    const blobIndex = Math.floor(global / FIELD_ELEMENTS_PER_BLOB)
    const index = global % FIELD_ELEMENTS_PER_BLOB
    const blob = blobs[blobIndex] as Uint8Array
    checkBlob(blob)
    let commitment = commitments.get(blobIndex)
    if (commitment === undefined) {
      commitment = kzg.blobToKzgCommitment(blob)
      commitments.set(blobIndex, commitment)
      touched.push({
        blobIndex,
        commitment: bytesToHex(commitment),
        versionedHash: commitmentToVersionedHash(commitment),
      })
    }
    openings.push({ ...fieldElementOpening(blob, index, { commitment }), blobIndex })
    const start = index * BYTES_PER_FIELD_ELEMENT
    covered.set(blob.subarray(start + 1, start + BYTES_PER_FIELD_ELEMENT), k * DATA_BYTES_PER_FIELD_ELEMENT)
  }
  const skip = byteOffset - first * DATA_BYTES_PER_FIELD_ELEMENT
  return {
    byteOffset,
    length,
    firstFieldElement: first,
    blobs: touched,
    openings,
    bytes: bytesToHex(covered.subarray(skip, skip + length)),
  }
}

/** `BlobData.RangeProof` for `openings` (pass with the batch's versioned hashes, offset and length). */
export function rangeProofArgs(range: PayloadRangeOpenings): RangeProofArgs {
  return {
    commitments: concatHex(range.blobs.map((b) => b.commitment)),
    values: range.openings.map((o) => o.y),
    proofs: concatHex(range.openings.map((o) => o.proof)),
  }
}
