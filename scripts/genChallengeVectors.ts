/**
 * Generates contracts/test/vectors/ChallengeVectors.sol: real blobs (KZG commitments, versioned hashes and openings
 * computed with c-kzg) of proposal traces and v3 batch data, for the blob paths of the Rollup's challenges
 * (contracts/test/optimistic/Challenge.t.sol). Layouts follow docs/fraud-proofs.md: payload = uint32 length ‖ data,
 * 31 payload bytes per field element (bytes 1..31; byte 0 is ignored, and set to 0x01 in the "good" trace blob to
 * show it), trace leaf s at payload offset 4 + 32s, batch row r at data offset 27 + 124r.
 *
 * The headers mirror contracts/test/optimistic/Fixture.sol (`genesisHeader`, `header`); the Solidity test checks
 * that the commitments here equal the ones it computes.
 *
 * Run `npx tsx scripts/genChallengeVectors.ts` (~3 s); `--check` exits 1 when the committed file is stale, and
 * src/l1/challengeVectors.test.ts fails then too. The S_* blobs carry a row of scripts/genStepVectors.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { concatHex, encodePacked, type Hex, hexToBytes, keccak256, toHex } from 'viem'
import { fieldElementOpening } from '../src/l1/blobProofs.ts'
import {
  BYTES_PER_BLOB,
  BYTES_PER_FIELD_ELEMENT,
  commitmentToVersionedHash,
  DATA_BYTES_PER_FIELD_ELEMENT,
  FIELD_ELEMENTS_PER_BLOB,
} from '../src/l1/blobs.ts'
import { getKzg } from '../src/l1/kzg.ts'
import { buildStepCases } from './genStepVectors.ts'

/** Where the generated contract lives, relative to the repository root. */
export const CHALLENGE_VECTORS_PATH = 'contracts/test/vectors/ChallengeVectors.sol'

interface StateHeader {
  accountsRoot: Hex
  withdrawalsRoot: Hex
  addressesRoot: Hex
  accountCount: bigint
  withdrawalCount: bigint
  depositCount: bigint
  blockNumber: bigint
  tokenCount: number
}

function commitment(h: StateHeader): Hex {
  return keccak256(
    encodePacked(
      ['bytes32', 'bytes32', 'bytes32', 'uint64', 'uint64', 'uint64', 'uint64', 'uint16'],
      [
        h.accountsRoot,
        h.withdrawalsRoot,
        h.addressesRoot,
        h.accountCount,
        h.withdrawalCount,
        h.depositCount,
        h.blockNumber,
        h.tokenCount,
      ],
    ),
  )
}

const text = (s: string): Hex => keccak256(toHex(s))

/** Fixture.genesisHeader(). */
const GENESIS: StateHeader = {
  accountsRoot: text('genesis accounts'),
  withdrawalsRoot: text('genesis withdrawals'),
  addressesRoot: text('genesis addresses'),
  accountCount: 1n,
  withdrawalCount: 0n,
  depositCount: 0n,
  blockNumber: 0n,
  tokenCount: 0,
}

/** Fixture.header(keccak256("end accounts"), keccak256("end withdrawals"), 2). */
const END: StateHeader = {
  accountsRoot: text('end accounts'),
  withdrawalsRoot: text('end withdrawals'),
  addressesRoot: text('addresses'),
  accountCount: 3n,
  withdrawalCount: 1n,
  depositCount: 0n,
  blockNumber: 2n,
  tokenCount: 1,
}

/** A blob holding `payload` in the low 31 bytes of each field element, byte 0 of every element set to `byte0`. */
function payloadToBlob(payload: Uint8Array, byte0 = 0): Uint8Array {
  const blob = new Uint8Array(BYTES_PER_BLOB)
  for (let fe = 0; fe < FIELD_ELEMENTS_PER_BLOB; fe++) {
    const at = fe * BYTES_PER_FIELD_ELEMENT
    blob[at] = byte0
    const chunk = payload.subarray(fe * DATA_BYTES_PER_FIELD_ELEMENT, (fe + 1) * DATA_BYTES_PER_FIELD_ELEMENT)
    blob.set(chunk, at + 1)
  }
  return blob
}

/** Payload (`uint32 length ‖ data`, zero padded to `blobs` blobs) with an explicit length prefix. */
function payloadOf(data: Uint8Array, lengthPrefix: number, blobs = 1): Uint8Array[] {
  const capacity = FIELD_ELEMENTS_PER_BLOB * DATA_BYTES_PER_FIELD_ELEMENT
  const payload = new Uint8Array(capacity * blobs)
  new DataView(payload.buffer).setUint32(0, lengthPrefix, false)
  payload.set(data, 4)
  return Array.from({ length: blobs }, (_, b) => payload.subarray(b * capacity, (b + 1) * capacity))
}

function traceData(leaves: Hex[]): Uint8Array {
  return hexToBytes(concatHex(leaves))
}

const HEADER_BYTES = 27
const ROW_BYTES = 124

function batchData(firstBlockNumber: bigint, rows: Uint8Array[]): Uint8Array {
  const data = new Uint8Array(HEADER_BYTES + ROW_BYTES * rows.length)
  const view = new DataView(data.buffer)
  data[0] = 3
  view.setBigUint64(1, firstBlockNumber, false)
  view.setUint32(9, rows.length, false)
  rows.forEach((row, r) => {
    data.set(row, HEADER_BYTES + ROW_BYTES * r)
  })
  return data
}

function blockEnd(timestamp: bigint): Uint8Array {
  const row = new Uint8Array(ROW_BYTES)
  row[0] = 2
  new DataView(row.buffer).setBigUint64(1, timestamp, false)
  return row
}

function depositRow(): Uint8Array {
  const row = new Uint8Array(ROW_BYTES)
  row[0] = 1
  return row
}

interface BlobVector {
  name: string
  blobs: Uint8Array[]
  /** Opened elements as [blobIndex, elementIndex], in payload order. */
  elements: [number, number][]
  comment: string
}

function solBytes(hex: Hex): string {
  return `hex"${hex.slice(2)}"`
}

function render(vectors: BlobVector[]): string {
  const lines: string[] = []
  lines.push('// SPDX-License-Identifier: MIT')
  lines.push('// Generated by scripts/genChallengeVectors.ts; do not edit.')
  lines.push('pragma solidity ^0.8.24;')
  lines.push('')
  lines.push(
    '/// @notice Real blobs (c-kzg) of traces and v3 batch data for the Rollup challenge tests. Per blob set X:',
  )
  lines.push(
    '///         X_VH<b> / X_C<b> versioned hash and commitment of blob b; X_VALUES (32 bytes each) and X_PROOFS',
  )
  lines.push('///         (48 bytes each) open the elements listed in its comment, in that order.')
  lines.push('abstract contract ChallengeVectors {')
  lines.push(`    bytes32 internal constant V_GENESIS_COMMITMENT = ${commitment(GENESIS)};`)
  lines.push(`    bytes32 internal constant V_END_COMMITMENT = ${commitment(END)};`)
  lines.push(`    bytes32 internal constant V_LEAF_1 = ${text('leaf 1')};`)
  lines.push(`    bytes32 internal constant V_WRONG_LEAF = ${text('wrong leaf')};`)
  lines.push(`    /// StepVectors case of S_BATCH / S_TRACE: ${WORST_STEP_CASE}.`)
  lines.push(`    uint256 internal constant S_CASE = ${worstStep().index};`)
  for (const v of vectors) {
    lines.push('')
    lines.push(`    // ${v.name}: ${v.comment}`)
    lines.push(
      `    //   opened elements (blob, index): ${v.elements.map(([b, i]) => `(${b}, ${i})`).join(' ')}`,
    )
    const kzg = getKzg()
    const commitments = v.blobs.map((blob) => kzg.blobToKzgCommitment(blob))
    commitments.forEach((c, b) => {
      lines.push(`    bytes32 internal constant ${v.name}_VH${b} = ${commitmentToVersionedHash(c)};`)
      lines.push(`    bytes internal constant ${v.name}_C${b} = ${solBytes(toHex(c))};`)
    })
    const openings = v.elements.map(([b, i]) =>
      fieldElementOpening(v.blobs[b] as Uint8Array, i, { commitment: commitments[b] as Uint8Array }),
    )
    lines.push(
      `    bytes internal constant ${v.name}_VALUES = ${solBytes(concatHex(openings.map((o) => o.y)))};`,
    )
    lines.push(
      `    bytes internal constant ${v.name}_PROOFS = ${solBytes(concatHex(openings.map((o) => o.proof)))};`,
    )
  }
  lines.push('}')
  return `${lines.join('\n')}\n`
}

/** The StepVectors case whose row is the heaviest to re-execute (StepVerifier's measured worst case). */
const WORST_STEP_CASE = 'tx: token transfer to a new account'

function worstStep(): { index: number; row: Uint8Array; firstBlockNumber: bigint; pre: Hex; post: Hex } {
  const cases = buildStepCases().cases
  const index = cases.findIndex((c) => c.name === WORST_STEP_CASE)
  const c = cases[index]
  if (c === undefined) throw new Error(`no step case named ${WORST_STEP_CASE}`)
  return {
    index,
    row: c.row,
    firstBlockNumber: c.pre.blockNumber + 1n,
    pre: c.preCommitment,
    post: c.postCommitment,
  }
}

function vectors(): BlobVector[] {
  const l0 = commitment(GENESIS)
  const l2 = commitment(END)
  const good = [l0, text('leaf 1'), l2]
  const traceElements: [number, number][] = [
    [0, 0],
    [0, 1],
    [0, 2],
    [0, 3],
  ]
  const rows3 = [blockEnd(1000n), depositRow(), blockEnd(1001n)]
  const valid = batchData(1n, rows3)
  const badRow = batchData(1n, [blockEnd(1000n), depositRow(), blockEnd(1001n)])
  ;(badRow as Uint8Array)[HEADER_BYTES + 2 * ROW_BYTES + 50] = 7
  const rows1024 = Array.from({ length: 1024 }, (_, r) => (r % 2 === 0 ? depositRow() : blockEnd(BigInt(r))))
  rows1024[1023] = blockEnd(5000n)
  const big = batchData(1n, rows1024)
  // Last row of 3 at data 275 → payload 279..403 = elements 9..12.
  const batchElements: [number, number][] = [
    [0, 0],
    [0, 9],
    [0, 10],
    [0, 11],
    [0, 12],
  ]
  const worst = worstStep()
  const worstBatch = batchData(worst.firstBlockNumber, [worst.row])
  return [
    {
      name: 'T_GOOD',
      blobs: payloadOf(traceData(good), 96).map((p) => payloadToBlob(p, 1)),
      elements: traceElements,
      comment: 'trace [genesis, leaf 1, end] (2 steps), length 96, byte 0 of every element 0x01',
    },
    {
      name: 'T_BAD_LEN',
      blobs: payloadOf(traceData(good), 128).map((p) => payloadToBlob(p)),
      elements: traceElements,
      comment: 'trace [genesis, leaf 1, end] with length prefix 128 (says 3 steps)',
    },
    {
      name: 'T_BAD_FIRST',
      blobs: payloadOf(traceData([text('wrong leaf'), text('leaf 1'), l2]), 96).map((p) => payloadToBlob(p)),
      elements: traceElements,
      comment: 'trace [wrong leaf, leaf 1, end], length 96',
    },
    {
      name: 'T_BAD_LAST',
      blobs: payloadOf(traceData([l0, text('leaf 1'), text('wrong leaf')]), 96).map((p) => payloadToBlob(p)),
      elements: traceElements,
      comment: 'trace [genesis, leaf 1, wrong leaf], length 96',
    },
    {
      name: 'B_VALID',
      blobs: payloadOf(valid, valid.length).map((p) => payloadToBlob(p)),
      // Element 0 (prefix + header), then rows 0, 1, 2 = elements 1..4, 5..8, 9..12.
      elements: Array.from({ length: 13 }, (_, i): [number, number] => [0, i]),
      comment: 'batch v3, firstBlockNumber 1, rows [block end 1000, deposit, block end 1001]: valid, 3 rows',
    },
    {
      name: 'B_BAD_ROW',
      blobs: payloadOf(badRow, badRow.length).map((p) => payloadToBlob(p)),
      elements: batchElements,
      comment: 'as B_VALID but byte 50 of the last row is 7: last row not a well-formed block end, invalid',
    },
    {
      name: 'B_BAD_LEN',
      blobs: payloadOf(valid, valid.length + 1).map((p) => payloadToBlob(p)),
      elements: [[0, 0]],
      comment: 'as B_VALID but the length prefix is 400 (27 + 124·3 = 399): invalid',
    },
    {
      name: 'B_TWO',
      blobs: payloadOf(big, big.length, 2).map((p) => payloadToBlob(p)),
      elements: [
        [0, 0],
        [0, 4093],
        [0, 4094],
        [0, 4095],
        [1, 0],
      ],
      comment:
        'batch v3 over 2 blobs, 1024 rows (data 127,003 bytes), the last row (a block end) straddles the blobs: ' +
        'valid with both blobs; with blob 0 alone the length does not fit: invalid',
    },
    {
      name: 'S_BATCH',
      blobs: payloadOf(worstBatch, worstBatch.length).map((p) => payloadToBlob(p)),
      elements: [
        [0, 1],
        [0, 2],
        [0, 3],
        [0, 4],
      ],
      comment: `batch v3 of one row: StepVectors case ${worst.index} (${WORST_STEP_CASE}); the row is elements 1..4`,
    },
    {
      name: 'S_TRACE',
      blobs: payloadOf(traceData([worst.pre, worst.post]), 64).map((p) => payloadToBlob(p)),
      elements: [
        [0, 0],
        [0, 1],
        [0, 2],
      ],
      comment: `trace [pre, post] of StepVectors case ${worst.index}; leaves 0 and 1 are elements 0..2`,
    },
    {
      name: 'S_TRACE_BAD',
      blobs: payloadOf(traceData([worst.pre, text('wrong leaf')]), 64).map((p) => payloadToBlob(p)),
      elements: [
        [0, 0],
        [0, 1],
        [0, 2],
      ],
      comment: `trace [pre, wrong leaf] of StepVectors case ${worst.index}`,
    },
  ]
}

/** The generated file's text (c-kzg commitments and openings of every vector blob; ~3 s). */
export function renderChallengeVectors(): string {
  return render(vectors())
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const out = resolve(root, CHALLENGE_VECTORS_PATH)
  const rendered = renderChallengeVectors()
  if (process.argv.includes('--check')) {
    if (readFileSync(out, 'utf8') !== rendered) {
      console.error(`${CHALLENGE_VECTORS_PATH} is stale: run npx tsx scripts/genChallengeVectors.ts`)
      process.exit(1)
    }
    console.log(`${CHALLENGE_VECTORS_PATH} is up to date`)
  } else {
    writeFileSync(out, rendered)
    console.log(`wrote ${CHALLENGE_VECTORS_PATH}`)
  }
}
