/**
 * Evidence that bytes belong to data committed on L1 (the Rollup's `DataSource.DataProof`): for blob data, KZG
 * openings of the covering field elements (checked on L1 by the point-evaluation precompile against the recorded
 * versioned hashes); for calldata, the whole data (checked against its recorded keccak256).
 * Offsets are DATA offsets; in blobs the data starts after the 4-byte length prefix (payload offset = data + 4).
 */
import type { Hex } from '../core/types.ts'
import { openingsForRange, type RangeProofArgs, rangeProofArgs } from './blobProofs.ts'
import { BLOB_LENGTH_PREFIX_BYTES } from './blobs.ts'

/** Data as committed on L1: the blobs of one transaction (in order), or calldata bytes. */
export type CommittedData =
  | { isBlob: true; blobs: readonly Uint8Array[]; versionedHashes: readonly Hex[] }
  | { isBlob: false; data: Uint8Array }

/** ABI shape of `DataSource.DataProof { bytes32[] versionedHashes; RangeProof range; bytes data; }`. */
export type DataProofArgs = { versionedHashes: Hex[]; range: RangeProofArgs; data: Hex }

const EMPTY_RANGE: RangeProofArgs = { commitments: '0x', values: [], proofs: '0x' }

/** Proof of data bytes `[dataOffset, dataOffset + length)`. */
export function dataRangeProof(src: CommittedData, dataOffset: number, length: number): DataProofArgs {
  if (!src.isBlob) return { versionedHashes: [], range: EMPTY_RANGE, data: toHex(src.data) }
  const openings = openingsForRange(src.blobs, dataOffset + BLOB_LENGTH_PREFIX_BYTES, length)
  return { versionedHashes: [...src.versionedHashes], range: rangeProofArgs(openings), data: '0x' }
}

/** Proof of the data length: the blob payload's 4-byte length prefix (calldata: the data itself). */
export function dataLengthProof(src: CommittedData): DataProofArgs {
  if (!src.isBlob) return { versionedHashes: [], range: EMPTY_RANGE, data: toHex(src.data) }
  const openings = openingsForRange(src.blobs, 0, BLOB_LENGTH_PREFIX_BYTES)
  return { versionedHashes: [...src.versionedHashes], range: rangeProofArgs(openings), data: '0x' }
}

function toHex(b: Uint8Array): Hex {
  return `0x${Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex')}`
}
