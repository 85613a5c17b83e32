import { createHash } from 'node:crypto'
import { bytesToHex } from 'viem'
import { describe, expect, it } from 'vitest'
import { type ErrorCode, isL2kitError } from '../core/errors.ts'
import {
  BYTES_PER_BLOB,
  blobCountForData,
  blobsToData,
  blobsToPayload,
  blobsToSidecars,
  commitmentToVersionedHash,
  DATA_BYTES_PER_BLOB,
  dataToBlobs,
  MAX_BLOBS_PER_TX,
  maxBlobDataBytes,
} from './blobs.ts'
import { getKzg, kzgSetupMs } from './kzg.ts'

function pseudoRandom(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))
}

function expectCode(fn: () => unknown, code: ErrorCode): void {
  let error: unknown
  try {
    fn()
  } catch (e) {
    error = e
  }
  expect(isL2kitError(error, code), String(error)).toBe(true)
}

describe('blob encoding', () => {
  it('puts the uint32 length then the data in bytes 1..31 of each field element', () => {
    const data = pseudoRandom(100)
    const [blob] = dataToBlobs(data)
    expect(blob).toHaveLength(BYTES_PER_BLOB)
    expect([...blob!.subarray(0, 5)]).toEqual([0, 0, 0, 0, 100])
    expect([...blob!.subarray(5, 32)]).toEqual([...data.subarray(0, 27)])
    expect(blob![32]).toBe(0)
    expect([...blob!.subarray(33, 64)]).toEqual([...data.subarray(27, 58)])
    expect(Array.from({ length: 4096 }, (_, fe) => blob![fe * 32]).every((b) => b === 0)).toBe(true)
  })

  it('round-trips data of every size class byte-exact', () => {
    for (const size of [
      0,
      1,
      27,
      31,
      32,
      1000,
      DATA_BYTES_PER_BLOB - 4,
      DATA_BYTES_PER_BLOB - 3,
      200 * 1024,
      maxBlobDataBytes(),
    ]) {
      const data = pseudoRandom(size, size + 7)
      const blobs = dataToBlobs(data)
      expect(blobs).toHaveLength(blobCountForData(size))
      expect(sameBytes(blobsToData(blobs), data)).toBe(true)
    }
  })

  it('uses the fewest blobs: 200 KB takes 2, 126,972 bytes take 1, 126,973 take 2', () => {
    expect(dataToBlobs(new Uint8Array(200 * 1024))).toHaveLength(2)
    expect(dataToBlobs(new Uint8Array(DATA_BYTES_PER_BLOB - 4))).toHaveLength(1)
    expect(dataToBlobs(new Uint8Array(DATA_BYTES_PER_BLOB - 3))).toHaveLength(2)
    expect(dataToBlobs(new Uint8Array(maxBlobDataBytes()))).toHaveLength(MAX_BLOBS_PER_TX)
  })

  it('rejects data beyond 6 blobs with BATCH_TOO_LARGE', () => {
    expectCode(() => dataToBlobs(new Uint8Array(maxBlobDataBytes() + 1)), 'BATCH_TOO_LARGE')
    expectCode(() => dataToBlobs(new Uint8Array(DATA_BYTES_PER_BLOB), { maxBlobs: 1 }), 'BATCH_TOO_LARGE')
  })

  it('rejects a non-zero first byte in any field element', () => {
    const blobs = dataToBlobs(pseudoRandom(300_000))
    blobs[2]![4095 * 32] = 1
    expectCode(() => blobsToData(blobs), 'INVALID_BLOB_DATA')
  })

  it('rejects a length prefix beyond the capacity of the blobs', () => {
    const [blob] = dataToBlobs(pseudoRandom(10))
    blob!.set([0x00, 0x01, 0xf0, 0x00], 1) // 126,976 > 126,972
    expectCode(() => blobsToData([blob!]), 'INVALID_BLOB_DATA')
  })

  it('rejects non-canonical encodings: garbage after the data, an extra blob, a wrong size', () => {
    const blobs = dataToBlobs(pseudoRandom(1000))
    const tampered = blobs[0]!.slice()
    tampered[40 * 32 + 5] = 9
    expectCode(() => blobsToData([tampered]), 'INVALID_BLOB_DATA')
    expectCode(() => blobsToData([blobs[0]!, new Uint8Array(BYTES_PER_BLOB)]), 'INVALID_BLOB_DATA')
    expectCode(() => blobsToData([blobs[0]!.subarray(1)]), 'INVALID_BLOB_DATA')
    expectCode(() => blobsToData([]), 'INVALID_BLOB_DATA')
  })
})

describe('blobsToPayload (lenient, provable view)', () => {
  it('is the low 31 bytes of every element: the length prefix and data first, byte 0 ignored', () => {
    const data = pseudoRandom(40_000, 7)
    const blobs = dataToBlobs(data)
    const tampered = blobs.map((b) => b.slice())
    tampered[0]![32 * 5] = 0x2a // byte 0 of element 5: strict decoding rejects it, the payload ignores it
    for (const set of [blobs, tampered]) {
      const payload = blobsToPayload(set)
      expect(payload).toHaveLength(set.length * DATA_BYTES_PER_BLOB)
      expect(new DataView(payload.buffer).getUint32(0, false)).toBe(data.length)
      expect(sameBytes(payload.subarray(4, 4 + data.length), data)).toBe(true)
    }
    expectCode(() => blobsToData(tampered), 'INVALID_BLOB_DATA')
    expectCode(() => blobsToPayload([blobs[0]!.subarray(1)]), 'INVALID_BLOB_DATA')
  })
})

describe('KZG sidecars', () => {
  it('commits, proves and derives versioned hashes 0x01 ‖ sha256(commitment)[1:]', () => {
    const kzg = getKzg()
    expect(getKzg()).toBe(kzg) // lazy singleton
    const blobs = dataToBlobs(pseudoRandom(150_000))
    const started = performance.now()
    const sidecars = blobsToSidecars(blobs)
    const perBlobMs = (performance.now() - started) / blobs.length
    console.log(
      `kzg setup ${kzgSetupMs()?.toFixed(0)} ms; commitment+proof ${perBlobMs.toFixed(1)} ms per blob`,
    )
    expect(sidecars.commitments).toHaveLength(2)
    for (let i = 0; i < blobs.length; i++) {
      const commitment = sidecars.commitments[i]!
      expect(commitment).toHaveLength(48)
      const sha = createHash('sha256').update(commitment).digest()
      expect(sidecars.versionedHashes[i]).toBe(`0x01${bytesToHex(sha).slice(4)}`)
      expect(commitmentToVersionedHash(commitment)).toBe(sidecars.versionedHashes[i])
      expect(kzg.verifyBlobKzgProof(blobs[i]!, commitment, sidecars.proofs[i]!)).toBe(true)
    }
    expect(kzg.verifyBlobKzgProof(blobs[0]!, sidecars.commitments[1]!, sidecars.proofs[0]!)).toBe(false)
  })
})
