/**
 * Batch codec v3: the wire format the fraud-proof game re-executes row by row (docs/optimistic.md, "Batch data
 * v3"). Uncompressed, self-contained 124-byte rows, each exactly 4 blob field elements, so one row is opened from
 * a blob with 4 KZG point evaluations and decoded in Solidity with constant offsets; no row refers to another.
 *
 * ```
 * header, data 0..26:  u8 version = 3 | u64 firstBlockNumber | u32 rowCount | 14 zero bytes
 * row r, 124 bytes at data offset 27 + 124·r (blob payload offset 31·(1 + 4r)):
 *   [0]       u8 rowType: 0 = tx, 1 = deposit, 2 = block end
 *   tx:       [1] u8 flags: bits 0-1 kind (0 ethTransfer, 1 tokenTransfer, 2 withdrawEth, 3 withdrawToken),
 *                           bit 2 eip1559, bit 3 yParity, bits 4-7 zero
 *             [2] u8 tokenIndex (0 for ETH kinds, 1..255 for token kinds)
 *             [3..7)   u32 gasLimit
 *             [7..16)  packed fee0 = gasPrice (legacy) or maxFeePerGas (u8 exponent, u64 mantissa; canonical)
 *             [16..25) packed fee1 = maxPriorityFeePerGas (zero bytes for legacy)
 *             [25..34) packed amount
 *             [34..39) u40 nonce
 *             [39..59) address target: the recipient (transfers) or the L1 recipient (withdrawals)
 *             [59..91) u256 r    [91..123) u256 s    [123] zero
 *   deposit:  [1..124) zero                         (applies the next deposit of the L1 queue)
 *   block end:[1..9) u64 timestamp, [9..124) zero   (closes L2 block blockNumber + 1)
 * ```
 * Integers are big-endian and unsigned. Packed fields are `amount.ts`'s canonical (exponent, mantissa) pairs.
 *
 * Two levels of checks, kept apart on purpose:
 * - `checkBatchV3`: whole-batch validity (length, version, header padding, rowCount >= 1, firstBlockNumber, the
 *   last row a well-formed block end). An invalid batch changes nothing.
 * - `parseRowV3`: one row. A malformed row is a **no-op step**; it never invalidates the batch.
 *
 * The encoder only writes what the protocol accepts; the sequencer uses `txRowProblemV3` / `assertTxFitsRowV3`
 * to refuse transactions a row cannot hold (`NONCE_TOO_LARGE`, `GAS_LIMIT_TOO_LARGE`, `FEE_NOT_PACKABLE`,
 * `AMOUNT_NOT_PACKABLE`).
 */
import { packAmount, packedAmountProblem } from '../../core/amount.ts'
import { bytesToAddress, bytesToBigint, hexToBytes, isAddress, writeBigintBE } from '../../core/bytes.ts'
import { type ErrorCode, L2kitError } from '../../core/errors.ts'
import type { Batch, BatchBlock, L2Operation, L2Tx, TxFees } from '../../core/types.ts'

/** Version byte (first data byte) of the v3 format. */
export const BATCH_CODEC_V3_VERSION = 3
/** Bytes of one row: exactly 4 blob field elements of 31 payload bytes. */
export const V3_ROW_BYTES = 124
/** Data bytes of the header (with the 4-byte blob length prefix it fills the first field element). */
export const V3_HEADER_BYTES = 27
/** Blob payload bytes per field element (byte 0 of every element is ignored). */
export const V3_FIELD_ELEMENT_PAYLOAD_BYTES = 31
/** The `uint32` length prefix in front of the data in a blob payload. */
export const V3_PAYLOAD_PREFIX_BYTES = 4
/** Largest row count the u32 header field holds. */
export const V3_MAX_ROWS = 0xffff_ffff

/** Row types (byte 0 of a row). Any other value is a no-op row. */
export const ROW_TYPE = { tx: 0, deposit: 1, blockEnd: 2 } as const
export type RowTypeV3 = (typeof ROW_TYPE)[keyof typeof ROW_TYPE]

/** Operation kinds as the 2-bit field of a tx row's flags. */
export const TX_KIND_CODE = { ethTransfer: 0, tokenTransfer: 1, withdrawEth: 2, withdrawToken: 3 } as const
/** Flag bits of a tx row (byte 1) besides the kind. */
export const TX_FLAG_EIP1559 = 0x04
export const TX_FLAG_Y_PARITY = 0x08

/** Row field offsets (within a row). */
export const V3_TX_OFFSETS = {
  flags: 1,
  tokenIndex: 2,
  gasLimit: 3,
  fee0: 7,
  fee1: 16,
  amount: 25,
  nonce: 34,
  target: 39,
  r: 59,
  s: 91,
  last: 123,
} as const

/** Largest values the fixed-width tx row fields hold. */
export const V3_MAX_NONCE = (1n << 40n) - 1n
export const V3_MAX_GAS_LIMIT = (1n << 32n) - 1n
const TWO_POW_64 = 1n << 64n
const TWO_POW_256 = 1n << 256n

const KINDS = ['ethTransfer', 'tokenTransfer', 'withdrawEth', 'withdrawToken'] as const

/** One row, as the protocol reads it (docs/optimistic.md, "Row semantics"). */
export type RowV3 =
  | { type: 'tx'; tx: L2Tx }
  | { type: 'deposit' }
  | { type: 'blockEnd'; timestamp: bigint }
  /** Malformed or of an unknown type: the step changes nothing. */
  | { type: 'noop'; reason: string }

/** Result of `checkBatchV3`. */
export type BatchCheckV3 =
  | { valid: true; rowCount: number; firstBlockNumber: bigint }
  | { valid: false; reason: string }

/** Result of `dataFromBlobPayload`. */
export type BlobDataV3 = { ok: true; data: Uint8Array } | { ok: false; reason: string }

// ---- offsets -----------------------------------------------------------------------------------------------------

/** Data offset of row `r`. */
export function rowDataOffsetV3(r: number): number {
  return V3_HEADER_BYTES + V3_ROW_BYTES * r
}

/** Blob payload offset of row `r` (= data offset + 4; always a field-element boundary: 31·(1 + 4r)). */
export function rowPayloadOffsetV3(r: number): number {
  return V3_PAYLOAD_PREFIX_BYTES + rowDataOffsetV3(r)
}

/** Data length of a batch of `rowCount` rows. */
export function dataLengthV3(rowCount: number): number {
  return V3_HEADER_BYTES + V3_ROW_BYTES * rowCount
}

/** Row `r` of `data` (a view, not a copy). The caller checks `r < rowCount` (see `checkBatchV3`). */
export function rowAtV3(data: Uint8Array, r: number): Uint8Array {
  const o = rowDataOffsetV3(r)
  if (!Number.isInteger(r) || r < 0 || o + V3_ROW_BYTES > data.length)
    throw new L2kitError('INVALID_ARGUMENT', `row ${r} is outside the ${data.length}-byte batch data`)
  return data.subarray(o, o + V3_ROW_BYTES)
}

// ---- small helpers -----------------------------------------------------------------------------------------------

function u32(b: Uint8Array, o: number): number {
  return (
    (((b[o] as number) << 24) |
      ((b[o + 1] as number) << 16) |
      ((b[o + 2] as number) << 8) |
      (b[o + 3] as number)) >>>
    0
  )
}

function uint(b: Uint8Array, o: number, length: number): bigint {
  return bytesToBigint(b.subarray(o, o + length))
}

/** Index of the first non-zero byte in [from, to), or -1. */
function firstNonZero(b: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) if (b[i] !== 0) return i
  return -1
}

function needRow(row: Uint8Array): void {
  if (!(row instanceof Uint8Array) || row.length !== V3_ROW_BYTES)
    throw new L2kitError(
      'INVALID_ARGUMENT',
      `a v3 row is ${V3_ROW_BYTES} bytes, got ${row instanceof Uint8Array ? row.length : typeof row}`,
    )
}

function isTokenKind(kind: L2Operation['kind']): boolean {
  return kind === 'tokenTransfer' || kind === 'withdrawToken'
}

/** A packed (exponent, mantissa) field: its value, or why it is not canonical. */
function readPacked(row: Uint8Array, o: number): { value: bigint } | { problem: string } {
  const exponent = row[o] as number
  const mantissa = uint(row, o + 1, 8)
  const problem = packedAmountProblem(mantissa, exponent)
  if (problem !== undefined) return { problem }
  return { value: mantissa * 10n ** BigInt(exponent) }
}

function writePacked(out: Uint8Array, o: number, value: bigint): void {
  const p = packAmount(value)
  out[o] = p.exponent
  writeBigintBE(out, o + 1, p.mantissa, 8)
}

// ---- rows --------------------------------------------------------------------------------------------------------

/**
 * Reads one 124-byte row with exactly the spec's rules. Malformed → `{type: 'noop', reason}`:
 * - tx: flag bits 4-7 set, byte 123 non-zero, token index out of its kind's range (0 for ETH kinds, 1..255 for
 *   token kinds), a non-canonical packed field (fee0, fee1, amount), a legacy row whose fee1 bytes are not zero;
 * - deposit: any of bytes 1..123 non-zero;
 * - block end: any of bytes 9..123 non-zero;
 * - any other row type.
 * The signature is not checked here (a well-formed row with a bad signature is the trace's no-op). Throws only
 * `INVALID_ARGUMENT` when `row` is not 124 bytes.
 */
export function parseRowV3(row: Uint8Array): RowV3 {
  needRow(row)
  const type = row[0] as number
  if (type === ROW_TYPE.deposit) {
    const at = firstNonZero(row, 1, V3_ROW_BYTES)
    return at < 0 ? { type: 'deposit' } : { type: 'noop', reason: `deposit row: byte ${at} is not zero` }
  }
  if (type === ROW_TYPE.blockEnd) {
    const at = firstNonZero(row, 9, V3_ROW_BYTES)
    if (at >= 0) return { type: 'noop', reason: `block-end row: byte ${at} is not zero` }
    return { type: 'blockEnd', timestamp: uint(row, 1, 8) }
  }
  if (type !== ROW_TYPE.tx) return { type: 'noop', reason: `unknown row type ${type}` }

  const O = V3_TX_OFFSETS
  const flags = row[O.flags] as number
  if ((flags & 0xf0) !== 0)
    return { type: 'noop', reason: `tx row: flag bits 4-7 are set (0x${flags.toString(16)})` }
  if (row[O.last] !== 0) return { type: 'noop', reason: 'tx row: byte 123 is not zero' }
  const kind = KINDS[flags & 3] as L2Operation['kind']
  const tokenIndex = row[O.tokenIndex] as number
  if (isTokenKind(kind) ? tokenIndex === 0 : tokenIndex !== 0)
    return { type: 'noop', reason: `tx row: ${kind} with token index ${tokenIndex}` }
  const fee0 = readPacked(row, O.fee0)
  if ('problem' in fee0) return { type: 'noop', reason: `tx row: fee0 ${fee0.problem}` }
  const fee1 = readPacked(row, O.fee1)
  if ('problem' in fee1) return { type: 'noop', reason: `tx row: fee1 ${fee1.problem}` }
  const amount = readPacked(row, O.amount)
  if ('problem' in amount) return { type: 'noop', reason: `tx row: ${amount.problem}` }
  const eip1559 = (flags & TX_FLAG_EIP1559) !== 0
  if (!eip1559 && firstNonZero(row, O.fee1, O.fee1 + 9) >= 0)
    return { type: 'noop', reason: 'tx row: legacy transaction with a non-zero fee1' }

  const fees: TxFees = eip1559
    ? { type: 'eip1559', maxFeePerGas: fee0.value, maxPriorityFeePerGas: fee1.value }
    : { type: 'legacy', gasPrice: fee0.value }
  const target = bytesToAddress(row, O.target)
  let op: L2Operation
  switch (kind) {
    case 'ethTransfer':
      op = { kind, to: target, amount: amount.value }
      break
    case 'tokenTransfer':
      op = { kind, tokenIndex, to: target, amount: amount.value }
      break
    case 'withdrawEth':
      op = { kind, recipient: target, amount: amount.value }
      break
    case 'withdrawToken':
      op = { kind, tokenIndex, recipient: target, amount: amount.value }
      break
  }
  return {
    type: 'tx',
    tx: {
      nonce: uint(row, O.nonce, 5),
      gasLimit: BigInt(u32(row, O.gasLimit)),
      fees,
      op,
      signature: {
        r: uint(row, O.r, 32),
        s: uint(row, O.s, 32),
        yParity: (flags & TX_FLAG_Y_PARITY) !== 0 ? 1 : 0,
      },
    },
  }
}

/**
 * Why `tx` cannot be written as a v3 row (`{code, message}` with the sequencer's error codes), or undefined.
 * Codes: NONCE_TOO_LARGE (nonce >= 2^40), GAS_LIMIT_TOO_LARGE (>= 2^32), FEE_NOT_PACKABLE, AMOUNT_NOT_PACKABLE,
 * INVALID_TRANSACTION (token index, address, signature fields out of their ranges).
 */
export function txRowProblemV3(tx: L2Tx): { code: ErrorCode; message: string } | undefined {
  if (typeof tx.nonce !== 'bigint' || tx.nonce < 0n || tx.nonce > V3_MAX_NONCE)
    return { code: 'NONCE_TOO_LARGE', message: `nonce ${String(tx.nonce)} does not fit the 40-bit row field` }
  if (typeof tx.gasLimit !== 'bigint' || tx.gasLimit < 0n || tx.gasLimit > V3_MAX_GAS_LIMIT)
    return {
      code: 'GAS_LIMIT_TOO_LARGE',
      message: `gas limit ${String(tx.gasLimit)} does not fit the 32-bit row field (at most ${V3_MAX_GAS_LIMIT})`,
    }
  const fees = tx.fees
  const feeValues =
    fees.type === 'legacy'
      ? [fees.gasPrice]
      : fees.type === 'eip1559'
        ? [fees.maxFeePerGas, fees.maxPriorityFeePerGas]
        : undefined
  if (feeValues === undefined) return { code: 'INVALID_TRANSACTION', message: 'unknown fee type' }
  for (const fee of feeValues) {
    if (typeof fee !== 'bigint' || fee < 0n || fee >= TWO_POW_256 || !isPackedOk(fee))
      return {
        code: 'FEE_NOT_PACKABLE',
        message: `fee ${String(fee)} is not m * 10^e with m < 2^64 (any value below 2^64 is)`,
      }
  }
  const op = tx.op
  if (!Object.hasOwn(TX_KIND_CODE, op.kind))
    return { code: 'INVALID_TRANSACTION', message: `unknown operation kind ${String(op.kind)}` }
  if (op.kind === 'tokenTransfer' || op.kind === 'withdrawToken') {
    if (!Number.isInteger(op.tokenIndex) || op.tokenIndex < 1 || op.tokenIndex > 255)
      return { code: 'INVALID_TRANSACTION', message: `token index ${op.tokenIndex} is not 1..255` }
  }
  const target = op.kind === 'ethTransfer' || op.kind === 'tokenTransfer' ? op.to : op.recipient
  if (!isAddress(target))
    return { code: 'INVALID_TRANSACTION', message: `${String(target)} is not an address` }
  if (typeof op.amount !== 'bigint' || op.amount < 0n || op.amount >= TWO_POW_256 || !isPackedOk(op.amount))
    return {
      code: 'AMOUNT_NOT_PACKABLE',
      message: `amount ${String(op.amount)} is not m * 10^e with m < 2^64`,
    }
  const { r, s, yParity } = tx.signature
  if (
    typeof r !== 'bigint' ||
    r < 0n ||
    r >= TWO_POW_256 ||
    typeof s !== 'bigint' ||
    s < 0n ||
    s >= TWO_POW_256
  )
    return { code: 'INVALID_TRANSACTION', message: 'signature r or s is not a uint256' }
  if (yParity !== 0 && yParity !== 1)
    return { code: 'INVALID_TRANSACTION', message: `yParity must be 0 or 1, got ${String(yParity)}` }
  return undefined
}

function isPackedOk(value: bigint): boolean {
  if (value < TWO_POW_64) return true
  try {
    packAmount(value)
    return true
  } catch {
    return false
  }
}

/** Throws `L2kitError(txRowProblemV3(tx).code)` unless `tx` fits a v3 row. */
export function assertTxFitsRowV3(tx: L2Tx): void {
  const problem = txRowProblemV3(tx)
  if (problem !== undefined) throw new L2kitError(problem.code, problem.message)
}

/** The 124-byte row of `tx`. Throws (see `txRowProblemV3`) if it does not fit. */
export function encodeTxRowV3(tx: L2Tx): Uint8Array {
  assertTxFitsRowV3(tx)
  const O = V3_TX_OFFSETS
  const row = new Uint8Array(V3_ROW_BYTES)
  const op = tx.op
  row[0] = ROW_TYPE.tx
  row[O.flags] =
    TX_KIND_CODE[op.kind] |
    (tx.fees.type === 'eip1559' ? TX_FLAG_EIP1559 : 0) |
    (tx.signature.yParity === 1 ? TX_FLAG_Y_PARITY : 0)
  row[O.tokenIndex] = op.kind === 'tokenTransfer' || op.kind === 'withdrawToken' ? op.tokenIndex : 0
  writeBigintBE(row, O.gasLimit, tx.gasLimit, 4)
  if (tx.fees.type === 'legacy') writePacked(row, O.fee0, tx.fees.gasPrice)
  else {
    writePacked(row, O.fee0, tx.fees.maxFeePerGas)
    writePacked(row, O.fee1, tx.fees.maxPriorityFeePerGas)
  }
  writePacked(row, O.amount, op.amount)
  writeBigintBE(row, O.nonce, tx.nonce, 5)
  row.set(
    hexToBytes(op.kind === 'ethTransfer' || op.kind === 'tokenTransfer' ? op.to : op.recipient),
    O.target,
  )
  writeBigintBE(row, O.r, tx.signature.r, 32)
  writeBigintBE(row, O.s, tx.signature.s, 32)
  return row
}

/** The deposit row (applies the next deposit of the L1 queue). */
export function encodeDepositRowV3(): Uint8Array {
  const row = new Uint8Array(V3_ROW_BYTES)
  row[0] = ROW_TYPE.deposit
  return row
}

/** The block-end row closing a block with this timestamp (u64). */
export function encodeBlockEndRowV3(timestamp: bigint | number): Uint8Array {
  const ts = typeof timestamp === 'number' ? toBigTimestamp(timestamp) : timestamp
  const row = new Uint8Array(V3_ROW_BYTES)
  row[0] = ROW_TYPE.blockEnd
  if (typeof ts !== 'bigint' || ts < 0n || ts >= TWO_POW_64)
    cannotEncode(`timestamp ${String(ts)} is not a u64`)
  writeBigintBE(row, 1, ts, 8)
  return row
}

function toBigTimestamp(t: number): bigint {
  if (!Number.isSafeInteger(t) || t < 0) cannotEncode(`timestamp ${t} is not a non-negative safe integer`)
  return BigInt(t)
}

function cannotEncode(reason: string, details: Record<string, unknown> = {}): never {
  throw new L2kitError('INVALID_BATCH', `cannot encode batch: ${reason}`, { details })
}

// ---- whole batch -------------------------------------------------------------------------------------------------

/** The 27-byte header. */
export function encodeHeaderV3(firstBlockNumber: bigint, rowCount: number): Uint8Array {
  if (typeof firstBlockNumber !== 'bigint' || firstBlockNumber < 0n || firstBlockNumber >= TWO_POW_64)
    cannotEncode(`firstBlockNumber ${String(firstBlockNumber)} is not a u64`)
  if (!Number.isInteger(rowCount) || rowCount < 0 || rowCount > V3_MAX_ROWS)
    cannotEncode(`row count ${rowCount} is not a u32`)
  const header = new Uint8Array(V3_HEADER_BYTES)
  header[0] = BATCH_CODEC_V3_VERSION
  writeBigintBE(header, 1, firstBlockNumber, 8)
  writeBigintBE(header, 9, BigInt(rowCount), 4)
  return header
}

/**
 * v3 data of `batch` (without the blob length prefix). Per block: one deposit row for each deposit the block
 * applies (`[previous depositCountAfter, block.depositCountAfter)`, the first block starting at
 * `depositCountBefore`), then its tx rows in order, then a block-end row with its timestamp. Throws
 * `INVALID_BATCH` for an empty batch, a decreasing deposit count or a bad timestamp, and the `txRowProblemV3`
 * codes for a transaction a row cannot hold.
 */
export function encodeBatchV3(batch: Batch, depositCountBefore: bigint): Uint8Array {
  const blocks = batch.blocks
  if (blocks.length === 0) cannotEncode('a batch needs at least one block')
  if (typeof depositCountBefore !== 'bigint' || depositCountBefore < 0n)
    cannotEncode(`depositCountBefore ${String(depositCountBefore)} is not a non-negative bigint`)
  let rowCount = 0
  let deposits = depositCountBefore
  for (const [b, block] of blocks.entries()) {
    if (typeof block.depositCountAfter !== 'bigint' || block.depositCountAfter < deposits)
      cannotEncode(`block ${b} has depositCountAfter ${String(block.depositCountAfter)} below ${deposits}`)
    rowCount += Number(block.depositCountAfter - deposits) + block.txs.length + 1
    deposits = block.depositCountAfter
    if (rowCount > V3_MAX_ROWS) cannotEncode(`more than ${V3_MAX_ROWS} rows`)
  }
  const out = new Uint8Array(dataLengthV3(rowCount))
  out.set(encodeHeaderV3(batch.firstBlockNumber, rowCount), 0)
  let r = 0
  const put = (row: Uint8Array): void => {
    out.set(row, rowDataOffsetV3(r))
    r++
  }
  const deposit = encodeDepositRowV3()
  deposits = depositCountBefore
  for (const block of blocks as BatchBlock[]) {
    const end = encodeBlockEndRowV3(block.timestamp)
    for (; deposits < block.depositCountAfter; deposits++) put(deposit)
    for (const tx of block.txs) put(encodeTxRowV3(tx))
    put(end)
  }
  return out
}

/**
 * Whole-batch validity, exactly the spec's rules: the data is at least the header, `version == 3`, header bytes
 * 13..26 are zero, `rowCount >= 1`, the length is exactly `27 + 124·rowCount`, `firstBlockNumber ==
 * expectedFirstBlockNumber` (pre.blockNumber + 1) and the last row is a well-formed block end (type 2, bytes
 * 9..123 zero). A FORCED batch (built by the Rollup from its forced-transaction queue, docs/optimistic.md
 * "Force inclusion") skips the last two rules: its firstBlockNumber is not checked and it closes no block.
 * Never throws.
 */
export function checkBatchV3(
  data: Uint8Array,
  expectedFirstBlockNumber: bigint,
  options: { forced?: boolean } = {},
): BatchCheckV3 {
  if (!(data instanceof Uint8Array)) return { valid: false, reason: 'batch data is not bytes' }
  if (data.length < V3_HEADER_BYTES)
    return { valid: false, reason: `batch data is ${data.length} bytes, shorter than the 27-byte header` }
  const version = data[0] as number
  if (version !== BATCH_CODEC_V3_VERSION)
    return { valid: false, reason: `batch version is ${version}, not 3` }
  const pad = firstNonZero(data, 13, V3_HEADER_BYTES)
  if (pad >= 0) return { valid: false, reason: `header byte ${pad} is not zero` }
  const rowCount = u32(data, 9)
  if (rowCount === 0) return { valid: false, reason: 'batch has no rows' }
  const expectedLength = dataLengthV3(rowCount)
  if (data.length !== expectedLength)
    return {
      valid: false,
      reason: `batch data is ${data.length} bytes, ${rowCount} rows need exactly ${expectedLength}`,
    }
  const firstBlockNumber = uint(data, 1, 8)
  if (options.forced === true) return { valid: true, rowCount, firstBlockNumber }
  if (firstBlockNumber !== expectedFirstBlockNumber)
    return {
      valid: false,
      reason: `batch starts at block ${firstBlockNumber}, the next block is ${expectedFirstBlockNumber}`,
    }
  const last = parseRowV3(rowAtV3(data, rowCount - 1))
  if (last.type !== 'blockEnd') return { valid: false, reason: 'the last row is not a well-formed block end' }
  return { valid: true, rowCount, firstBlockNumber }
}

// ---- blob payload ------------------------------------------------------------------------------------------------

/**
 * The batch data inside a blob payload (`payload` = the low 31 bytes of every field element, concatenated over
 * the transaction's blobs; byte 0 of each element is not part of it and is ignored by the protocol). Reads the
 * u32 big-endian length prefix; `{ok: false}` when `4 + length` exceeds the payload. Bytes after the data are
 * ignored. The returned data is a view into `payload`.
 */
export function dataFromBlobPayload(payload: Uint8Array): BlobDataV3 {
  if (!(payload instanceof Uint8Array) || payload.length < V3_PAYLOAD_PREFIX_BYTES)
    return { ok: false, reason: 'the blob payload is shorter than its 4-byte length prefix' }
  const length = u32(payload, 0)
  if (V3_PAYLOAD_PREFIX_BYTES + length > payload.length)
    return {
      ok: false,
      reason: `the length prefix says ${length} bytes, the payload holds ${payload.length - V3_PAYLOAD_PREFIX_BYTES}`,
    }
  return { ok: true, data: payload.subarray(V3_PAYLOAD_PREFIX_BYTES, V3_PAYLOAD_PREFIX_BYTES + length) }
}

/** `u32 length ‖ data`, the blob payload of `data` (before it is cut into 31-byte field-element chunks). */
export function blobPayloadFromData(data: Uint8Array): Uint8Array {
  if (data.length > 0xffff_ffff) cannotEncode('data longer than 2^32 - 1 bytes')
  const out = new Uint8Array(V3_PAYLOAD_PREFIX_BYTES + data.length)
  writeBigintBE(out, 0, BigInt(data.length), 4)
  out.set(data, V3_PAYLOAD_PREFIX_BYTES)
  return out
}
