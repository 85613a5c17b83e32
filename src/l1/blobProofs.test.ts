import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { concatHex, type Hex, hexToBigInt, hexToBytes, numberToHex, sliceHex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isL2kitError } from '../core/errors.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from './anvil.ts'
import {
  BLOB_RANGE_OUT_OF_BOUNDS,
  BLS_MODULUS,
  bitReverse12,
  coveringFieldElements,
  evaluationPoint,
  type FieldElementOpening,
  fieldElementOpening,
  openingsForRange,
  type PayloadRangeOpenings,
  POINT_EVALUATION_PRECOMPILE,
  POINT_EVALUATION_SUCCESS,
  pointEvaluationInput,
  ROOT_OF_UNITY_4096,
  rangeProofArgs,
} from './blobProofs.ts'
import { BYTES_PER_BLOB, blobsToSidecars, dataToBlobs } from './blobs.ts'
import { createL1Clients } from './clients.ts'
import { getKzg } from './kzg.ts'
import { TxManager } from './txManager.ts'

const ckzg = createRequire(import.meta.url)('c-kzg') as typeof import('c-kzg')

/** Deterministic pseudo-random bytes (LCG), the same every run: the forge vectors depend on them. */
function testData(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed
  for (let i = 0; i < length; i++) {
    x = (x * 1664525 + 1013904223) >>> 0
    out[i] = x >>> 24
  }
  return out
}

function modPow(base: bigint, exponent: bigint): bigint {
  let result = 1n
  let b = base
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % BLS_MODULUS
    b = (b * b) % BLS_MODULUS
  }
  return result
}

const hexOf = (bytes: Uint8Array): Hex => `0x${Buffer.from(bytes).toString('hex')}`
/** Field element `index` of `blob` as 32-byte hex. */
const element = (blob: Uint8Array, index: number): Hex => hexOf(blob.subarray(index * 32, index * 32 + 32))
const verifies = (o: FieldElementOpening): boolean =>
  ckzg.verifyKzgProof(hexToBytes(o.commitment), hexToBytes(o.z), hexToBytes(o.y), hexToBytes(o.proof))

// 130,000 bytes of batch data → a payload of 130,004 bytes → 2 blobs (blob 1 holds payload bytes 126,976…).
const DATA = testData(130_000, 4844)
const BLOBS = dataToBlobs(DATA)
const PAYLOAD = new Uint8Array([0, 0, 0, 0, ...DATA])
new DataView(PAYLOAD.buffer).setUint32(0, DATA.length, false)

// A blob that is not in l2kit's encoding: field element 0 has byte 0 = 0x01 (still a valid field element).
const NON_CANONICAL_BLOB = (() => {
  const blob = new Uint8Array(BYTES_PER_BLOB)
  blob[0] = 1
  blob[4] = 0x2a
  return blob
})()

interface Vectors {
  e0: FieldElementOpening
  rangeA: PayloadRangeOpenings
  rangeB: PayloadRangeOpenings
  nonCanonical: FieldElementOpening
}
let vectors: Vectors

beforeAll(() => {
  getKzg()
  vectors = {
    e0: fieldElementOpening(BLOBS[0]!, 0),
    // Payload bytes 40..139: field elements 1..4 of blob 0.
    rangeA: openingsForRange(BLOBS, 40, 100),
    // Payload bytes 126,956..126,995: element 4095 of blob 0 and element 0 of blob 1.
    rangeB: openingsForRange(BLOBS, 4095 * 31 + 11, 40),
    nonCanonical: fieldElementOpening(NON_CANONICAL_BLOB, 0),
  }
})

describe('evaluation points (the blob domain in bit-reversed order)', () => {
  it('ω is a primitive 4096th root of unity: ω^2048 = −1, ω^4096 = 1', () => {
    expect(modPow(ROOT_OF_UNITY_4096, 2048n)).toBe(BLS_MODULUS - 1n)
    expect(modPow(ROOT_OF_UNITY_4096, 4096n)).toBe(1n)
    expect(ROOT_OF_UNITY_4096).toBe(modPow(7n, (BLS_MODULUS - 1n) / 4096n))
  })

  it('maps index 0 → 1, 1 → −1, 2 → ω^1024, 4095 → ω^4095 = ω⁻¹', () => {
    expect(bitReverse12(1)).toBe(2048)
    expect(bitReverse12(4095)).toBe(4095)
    expect(bitReverse12(6)).toBe(1536)
    expect(evaluationPoint(0)).toBe(1n)
    expect(evaluationPoint(1)).toBe(BLS_MODULUS - 1n)
    expect(evaluationPoint(2)).toBe(modPow(ROOT_OF_UNITY_4096, 1024n))
    expect((evaluationPoint(4095) * ROOT_OF_UNITY_4096) % BLS_MODULUS).toBe(1n)
  })

  it('c-kzg evaluates the blob polynomial at z(i) to field element i (i = 0, 1, 2, 4095), and not at ω^i', () => {
    const blob = BLOBS[0]!
    for (const index of [0, 1, 2, 4095]) {
      const [, y] = ckzg.computeKzgProof(blob, hexToBytes(numberToHex(evaluationPoint(index), { size: 32 })))
      expect(hexOf(y), `element ${index}`).toBe(element(blob, index))
    }
    // Without the bit reversal, z = ω^1 opens some other element, not element 1.
    const [, wrong] = ckzg.computeKzgProof(blob, hexToBytes(numberToHex(ROOT_OF_UNITY_4096, { size: 32 })))
    expect(hexOf(wrong)).not.toBe(element(blob, 1))
  })

  it('rejects an index outside the blob', () => {
    expect(() => evaluationPoint(4096)).toThrow(/not in \[0, 4096\)/)
    expect(() => evaluationPoint(-1)).toThrow()
    expect(() => fieldElementOpening(BLOBS[0]!, 1.5)).toThrow()
  })
})

describe('fieldElementOpening', () => {
  it('gives openings that c-kzg verifies, with the versioned hash of the blob sidecar', () => {
    const { e0, rangeB } = vectors
    expect(verifies(e0)).toBe(true)
    expect(e0.y).toBe(element(BLOBS[0]!, 0))
    // Byte 0 zero, then the uint32 length prefix.
    expect(hexToBigInt(e0.y) >> 216n).toBe(BigInt(DATA.length))
    const last = rangeB.openings[0]!
    expect(last.index).toBe(4095)
    expect(last.z).toBe(numberToHex(evaluationPoint(4095), { size: 32 }))
    expect(verifies(last)).toBe(true)
    expect(e0.versionedHash).toBe(blobsToSidecars([BLOBS[0]!]).versionedHashes[0])
  })

  it('gives openings that fail for another value or another index', () => {
    const e0 = vectors.e0
    expect(verifies({ ...e0, y: numberToHex(hexToBigInt(e0.y) + 1n, { size: 32 }) })).toBe(false)
    expect(verifies({ ...e0, z: numberToHex(evaluationPoint(1), { size: 32 }) })).toBe(false)
  })

  it('builds the 192-byte precompile input versioned hash ‖ z ‖ y ‖ commitment ‖ proof', () => {
    const input = pointEvaluationInput(vectors.e0)
    expect(hexToBytes(input)).toHaveLength(192)
    expect(sliceHex(input, 0, 32)).toBe(vectors.e0.versionedHash)
    expect(sliceHex(input, 144, 192)).toBe(vectors.e0.proof)
  })
})

describe('openingsForRange', () => {
  it('covers payload bytes 40..139 with field elements 1..4 of blob 0 and returns those bytes', () => {
    const range = vectors.rangeA
    expect(coveringFieldElements(40, 100)).toEqual({ first: 1, count: 4 })
    expect(range.firstFieldElement).toBe(1)
    expect(range.openings.map((o) => [o.blobIndex, o.index])).toEqual([
      [0, 1],
      [0, 2],
      [0, 3],
      [0, 4],
    ])
    expect(range.blobs).toHaveLength(1)
    expect(range.bytes).toBe(hexOf(PAYLOAD.subarray(40, 140)))
    expect(range.openings.every(verifies)).toBe(true)
  })

  it('spans the boundary between blob 0 and blob 1', () => {
    const range = vectors.rangeB
    expect(range.openings.map((o) => [o.blobIndex, o.index])).toEqual([
      [0, 4095],
      [1, 0],
    ])
    expect(range.blobs.map((b) => b.blobIndex)).toEqual([0, 1])
    expect(range.bytes).toBe(hexOf(PAYLOAD.subarray(126_956, 126_996)))
    expect(range.openings.every(verifies)).toBe(true)
    const args = rangeProofArgs(range)
    expect(hexToBytes(args.commitments)).toHaveLength(96)
    expect(hexToBytes(args.proofs)).toHaveLength(96)
    expect(args.values).toEqual(range.openings.map((o) => o.y))
  })

  it('refuses empty ranges and ranges beyond the blobs', () => {
    const capacity = 2 * 4096 * 31
    for (const [offset, length] of [
      [0, 0],
      [-1, 5],
      [capacity - 3, 4],
      [capacity, 1],
    ] as const) {
      const error = (() => {
        try {
          openingsForRange(BLOBS, offset, length)
        } catch (e) {
          return e
        }
      })()
      expect(isL2kitError(error, BLOB_RANGE_OUT_OF_BOUNDS), `[${offset}, +${length})`).toBe(true)
    }
  })
})

// ---------------------------------------------------------------------------------------------- forge vectors

function solidityConstant(type: string, name: string, value: string): string {
  const line = `    ${type} internal constant ${name} = ${value};`
  return line.length <= 120 ? line : `    ${type} internal constant ${name} =\n        ${value};`
}
const solidityBytes = (hex: Hex): string => `hex"${hex.slice(2)}"`

/** The constants block of contracts/test/common/BlobData.t.sol, rendered from `vectors`. */
function renderVectors(v: Vectors): string {
  const lines: string[] = []
  const blob0 = v.rangeB.blobs[0]!
  const blob1 = v.rangeB.blobs[1]!
  lines.push(solidityConstant('bytes32', 'VH0', blob0.versionedHash))
  lines.push(solidityConstant('bytes32', 'VH1', blob1.versionedHash))
  lines.push(solidityConstant('bytes', 'C0', solidityBytes(blob0.commitment)))
  lines.push(solidityConstant('bytes', 'C1', solidityBytes(blob1.commitment)))
  lines.push(solidityConstant('uint256', 'DATA_LENGTH', String(DATA.length)))
  lines.push(solidityConstant('bytes32', 'E0_VALUE', v.e0.y))
  lines.push(solidityConstant('bytes', 'E0_PROOF', solidityBytes(v.e0.proof)))
  for (const [name, range] of [
    ['RANGE_A', v.rangeA],
    ['RANGE_B', v.rangeB],
  ] as const) {
    const args = rangeProofArgs(range)
    lines.push(solidityConstant('uint256', `${name}_OFFSET`, String(range.byteOffset)))
    lines.push(solidityConstant('uint256', `${name}_LENGTH`, String(range.length)))
    lines.push(solidityConstant('bytes', `${name}_COMMITMENTS`, solidityBytes(args.commitments)))
    lines.push(solidityConstant('bytes', `${name}_VALUES`, solidityBytes(concatHex(args.values))))
    lines.push(solidityConstant('bytes', `${name}_PROOFS`, solidityBytes(args.proofs)))
    lines.push(solidityConstant('bytes', `${name}_BYTES`, solidityBytes(range.bytes)))
  }
  lines.push(solidityConstant('bytes32', 'NC_VH', v.nonCanonical.versionedHash))
  lines.push(solidityConstant('bytes', 'NC_C', solidityBytes(v.nonCanonical.commitment)))
  lines.push(solidityConstant('bytes32', 'NC_VALUE', v.nonCanonical.y))
  lines.push(solidityConstant('bytes', 'NC_PROOF', solidityBytes(v.nonCanonical.proof)))
  for (const index of [1, 2, 3, 6, 4095]) {
    lines.push(solidityConstant('uint256', `Z_${index}`, numberToHex(evaluationPoint(index), { size: 32 })))
  }
  return lines.join('\n')
}

describe('shared test vectors', () => {
  it('contracts/test/common/BlobData.t.sol carries exactly the vectors this file computes', () => {
    const source = readFileSync(
      new URL('../../contracts/test/common/BlobData.t.sol', import.meta.url),
      'utf8',
    )
    const block = /\/\/ BEGIN GENERATED VECTORS[^\n]*\n([\s\S]*?)\n\s*\/\/ END GENERATED VECTORS/.exec(
      source,
    )?.[1]
    // On a mismatch, paste the expected block (printed by the diff) between the markers.
    expect(block).toBe(renderVectors(vectors))
  })
})

// --------------------------------------------------------------------------------------------------- anvil

describe('against a real anvil', () => {
  let anvil: AnvilInstance
  beforeAll(async () => {
    anvil = await startAnvil()
    await anvil.kzgReady
  })
  afterAll(async () => {
    await anvil?.stop()
  })

  it('the point-evaluation precompile accepts our openings and rejects a wrong one; a posted blob has our versioned hash', async () => {
    const c = await createL1Clients({
      rpcUrl: anvil.rpcUrl,
      chainId: anvil.chainId,
      privateKey: ANVIL_DEV_ACCOUNTS[0]!.privateKey,
    })
    for (const opening of [vectors.e0, ...vectors.rangeB.openings]) {
      const { data } = await c.publicClient.call({
        to: POINT_EVALUATION_PRECOMPILE,
        data: pointEvaluationInput(opening),
      })
      expect(data).toBe(POINT_EVALUATION_SUCCESS)
    }
    const wrong = { ...vectors.e0, y: vectors.rangeA.openings[0]!.y }
    await expect(
      c.publicClient.call({ to: POINT_EVALUATION_PRECOMPILE, data: pointEvaluationInput(wrong) }),
    ).rejects.toThrow()

    const tm = new TxManager({ pollingIntervalMs: 10 }, { publicClient: c.publicClient, account: c.account })
    const to = privateKeyToAccount(generatePrivateKey()).address
    const result = await tm.send({ to, blobs: BLOBS, label: 'blob proofs' })
    expect(result.receipt.status).toBe('success')
    const tx = await c.publicClient.getTransaction({ hash: result.txHash })
    expect(tx.blobVersionedHashes).toEqual(vectors.rangeB.blobs.map((b) => b.versionedHash))
  })
})
