/**
 * Blob encoding of batch data (ARCHITECTURE.md, "Batches and L1 data") and blob sidecars.
 *
 * Encoding: payload = uint32 big-endian length ‖ data, cut into 31-byte chunks; chunk `i` fills bytes 1..31 of
 * field element `i` (byte 0 is always 0, so every element is below the BLS12-381 modulus); 4096 elements per
 * blob; the last blob is zero-padded; at most 6 blobs per L1 transaction.
 *
 * Decoding is strict: wrong blob size, a non-zero byte 0, a length beyond the blobs' capacity, or a non-zero byte
 * after the data all raise `INVALID_BLOB_DATA`, so one data has exactly one valid encoding.
 */
import { createHash } from 'node:crypto'
import { bytesToHex, type Hex } from 'viem'
import { ErrorKind, L2kitError } from '../core/errors.ts'
import { L1ErrorCode } from './errors.ts'
import { getKzg, type L1Kzg } from './kzg.ts'

export const BYTES_PER_FIELD_ELEMENT = 32
export const FIELD_ELEMENTS_PER_BLOB = 4096
export const BYTES_PER_BLOB = BYTES_PER_FIELD_ELEMENT * FIELD_ELEMENTS_PER_BLOB
/** Data bytes carried per field element (bytes 1..31). */
export const DATA_BYTES_PER_FIELD_ELEMENT = 31
/** Data bytes carried per blob (126,976). */
export const DATA_BYTES_PER_BLOB = DATA_BYTES_PER_FIELD_ELEMENT * FIELD_ELEMENTS_PER_BLOB
/** Blobs per L1 transaction (EIP-7691 per-block max under Prague; viem refuses more per tx). */
export const MAX_BLOBS_PER_TX = 6
/** Bytes of the uint32 length prefix. */
export const BLOB_LENGTH_PREFIX_BYTES = 4
/** Version byte of EIP-4844 versioned hashes (KZG). */
export const VERSIONED_HASH_VERSION_KZG = 0x01

/** Largest data that fits in `blobCount` blobs (761,852 bytes for 6). */
export function maxBlobDataBytes(blobCount = MAX_BLOBS_PER_TX): number {
  return blobCount * DATA_BYTES_PER_BLOB - BLOB_LENGTH_PREFIX_BYTES
}

/** Number of blobs `dataToBlobs` uses for `byteLength` bytes of data (at least 1). */
export function blobCountForData(byteLength: number): number {
  return Math.max(1, Math.ceil((byteLength + BLOB_LENGTH_PREFIX_BYTES) / DATA_BYTES_PER_BLOB))
}

/** Encodes data into the fewest blobs. Throws `BATCH_TOO_LARGE` beyond `maxBlobs` (default 6). */
export function dataToBlobs(data: Uint8Array, options: { maxBlobs?: number } = {}): Uint8Array[] {
  const maxBlobs = options.maxBlobs ?? MAX_BLOBS_PER_TX
  if (data.length > maxBlobDataBytes(maxBlobs) || data.length > 0xffffffff) {
    throw new L2kitError(
      L1ErrorCode.batchTooLarge,
      `data of ${data.length} bytes does not fit in ${maxBlobs} blobs (max ${maxBlobDataBytes(maxBlobs)} bytes)`,
      { details: { byteLength: data.length, maxBlobs, maxBytes: maxBlobDataBytes(maxBlobs) } },
    )
  }
  const payload = new Uint8Array(BLOB_LENGTH_PREFIX_BYTES + data.length)
  new DataView(payload.buffer).setUint32(0, data.length, false)
  payload.set(data, BLOB_LENGTH_PREFIX_BYTES)

  const count = blobCountForData(data.length)
  const blobs: Uint8Array[] = []
  let read = 0
  for (let b = 0; b < count; b++) {
    const blob = new Uint8Array(BYTES_PER_BLOB)
    for (let fe = 0; fe < FIELD_ELEMENTS_PER_BLOB && read < payload.length; fe++) {
      const end = Math.min(read + DATA_BYTES_PER_FIELD_ELEMENT, payload.length)
      blob.set(payload.subarray(read, end), fe * BYTES_PER_FIELD_ELEMENT + 1)
      read = end
    }
    blobs.push(blob)
  }
  return blobs
}

function invalid(message: string, details: Record<string, unknown>): L2kitError {
  return new L2kitError(L1ErrorCode.invalidBlobData, message, { kind: ErrorKind.invalidInput, details })
}

/** Decodes blobs made by `dataToBlobs`. Throws `INVALID_BLOB_DATA` on anything non-canonical. */
export function blobsToData(blobs: readonly Uint8Array[]): Uint8Array {
  if (blobs.length === 0) throw invalid('no blobs', {})
  const payload = new Uint8Array(blobs.length * DATA_BYTES_PER_BLOB)
  let write = 0
  for (let b = 0; b < blobs.length; b++) {
    const blob = blobs[b] as Uint8Array
    if (blob.length !== BYTES_PER_BLOB) {
      throw invalid(`blob ${b} has ${blob.length} bytes, expected ${BYTES_PER_BLOB}`, { blobIndex: b })
    }
    for (let fe = 0; fe < FIELD_ELEMENTS_PER_BLOB; fe++) {
      const offset = fe * BYTES_PER_FIELD_ELEMENT
      if (blob[offset] !== 0) {
        throw invalid(`blob ${b} field element ${fe} has a non-zero first byte`, {
          blobIndex: b,
          fieldElement: fe,
        })
      }
      payload.set(blob.subarray(offset + 1, offset + BYTES_PER_FIELD_ELEMENT), write)
      write += DATA_BYTES_PER_FIELD_ELEMENT
    }
  }
  const length = new DataView(payload.buffer).getUint32(0, false)
  const capacity = payload.length - BLOB_LENGTH_PREFIX_BYTES
  if (length > capacity) {
    throw invalid(`length prefix ${length} exceeds the capacity of ${blobs.length} blobs (${capacity})`, {
      length,
      capacity,
    })
  }
  const end = BLOB_LENGTH_PREFIX_BYTES + length
  if (blobCountForData(length) !== blobs.length) {
    throw invalid(`${length} bytes of data need ${blobCountForData(length)} blobs, got ${blobs.length}`, {
      length,
      blobCount: blobs.length,
    })
  }
  for (let i = end; i < payload.length; i++) {
    if (payload[i] !== 0)
      throw invalid(`non-zero padding after the data at payload byte ${i}`, { length, at: i })
  }
  return payload.slice(BLOB_LENGTH_PREFIX_BYTES, end)
}

/**
 * The protocol's view of blobs for provable data (docs/optimistic.md): the low 31 bytes of every field element,
 * concatenated; byte 0 of each element is ignored, so there is nothing to be non-canonical and every blob has a
 * payload. The caller reads the `uint32` length prefix and applies its own rules (`dataFromBlobPayload`).
 */
export function blobsToPayload(blobs: readonly Uint8Array[]): Uint8Array {
  const payload = new Uint8Array(blobs.length * DATA_BYTES_PER_BLOB)
  let write = 0
  blobs.forEach((blob, b) => {
    if (blob.length !== BYTES_PER_BLOB) {
      throw invalid(`blob ${b} has ${blob.length} bytes, expected ${BYTES_PER_BLOB}`, { blobIndex: b })
    }
    for (let fe = 0; fe < FIELD_ELEMENTS_PER_BLOB; fe++) {
      const offset = fe * BYTES_PER_FIELD_ELEMENT
      payload.set(blob.subarray(offset + 1, offset + BYTES_PER_FIELD_ELEMENT), write)
      write += DATA_BYTES_PER_FIELD_ELEMENT
    }
  })
  return payload
}

/** EIP-4844 versioned hash: `0x01 ‖ sha256(commitment)[1:]`. */
export function commitmentToVersionedHash(commitment: Uint8Array): Hex {
  const hash = createHash('sha256').update(commitment).digest()
  hash[0] = VERSIONED_HASH_VERSION_KZG
  return bytesToHex(hash)
}

/** Blobs with their KZG commitments, proofs and versioned hashes (same order). */
export interface BlobSidecars {
  blobs: Uint8Array[]
  commitments: Uint8Array[]
  proofs: Uint8Array[]
  versionedHashes: Hex[]
}

/** Computes commitments, proofs and versioned hashes (~100 ms per blob with c-kzg). */
export function blobsToSidecars(blobs: readonly Uint8Array[], kzg: L1Kzg = getKzg()): BlobSidecars {
  const commitments = blobs.map((blob) => kzg.blobToKzgCommitment(blob))
  const proofs = blobs.map((blob, i) => kzg.computeBlobKzgProof(blob, commitments[i] as Uint8Array))
  return {
    blobs: [...blobs],
    commitments,
    proofs,
    versionedHashes: commitments.map(commitmentToVersionedHash),
  }
}

/** Sidecars in the shape viem's transaction serializer takes (`sidecars` of an eip4844 tx). */
export function sidecarsToViem(sidecars: BlobSidecars): { blob: Hex; commitment: Hex; proof: Hex }[] {
  return sidecars.blobs.map((blob, i) => ({
    blob: bytesToHex(blob),
    commitment: bytesToHex(sidecars.commitments[i] as Uint8Array),
    proof: bytesToHex(sidecars.proofs[i] as Uint8Array),
  }))
}
