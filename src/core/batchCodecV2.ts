/**
 * Batch codec v2: the *provable* batch format. No compression and fixed-size records aligned to blob field
 * elements, so that the fraud-proof game can open one transaction (its row, its profile, its block entry, its
 * new recipient) from the blobs with a handful of KZG point evaluations (`BlobData.readPayload`) and decode it in
 * Solidity with constant offsets. Same `Batch` type and context API as v1 (`batchCodec.ts`).
 *
 * Addressing. The blob payload is `uint32 length ‖ data` and every field element carries 31 payload bytes, so
 * payload bytes `[31·u, 31·u + 31)` are "unit" u. The data starts at payload offset 4; the layout below is in
 * units of the *payload*, so unit 0 holds the length prefix and the 27-byte header, and every later record starts
 * on a field-element boundary. All offsets returned by this module (`txRowOffset`, ...) are payload offsets; the
 * data offset is `payload offset − 4`. The data length is always `31·units − 4` (the payload is whole units).
 * Integers are big-endian and unsigned. Every byte marked "zero" must be zero.
 *
 * Layout (v2):
 * ```
 * unit 0          payload 0..3 = length prefix (not part of the data), then the header (data 0..26):
 *                   u8 version = 2 | u64 firstBlockNumber | u32 blockCount (>= 1) | u32 txCount (n)
 *                   | u16 profileCount (P) | u32 newAddressCount (A) | 4 zero
 * units 1..B      block entry b (1 unit, b = 0..B−1):
 *                   u64 timestamp (<= 2^53−1) | u64 depositCountAfter | u32 txEnd | 11 zero
 *                   txEnd = number of txs in blocks 0..b (cumulative); tx j is in block b iff
 *                   txEnd[b−1] <= j < txEnd[b] (txEnd[−1] = 0). timestamp, depositCountAfter and txEnd are
 *                   non-decreasing; txEnd[B−1] = n.
 * profile p       3 units (93 bytes) at unit 1 + B + 3p:
 *                   u8 shape = kind (bits 0-1: ethTransfer, tokenTransfer, withdrawEth, withdrawToken)
 *                              | eip1559 (bit 2), other bits zero
 *                   | u8 tokenIndex (1..255 for token kinds, 0 otherwise) | u32 firstTx | u64 gasLimit
 *                   | u256 fee0 (gasPrice, or maxFeePerGas) | u256 fee1 (maxPriorityFeePerGas, zero for legacy)
 *                   | 15 zero
 * tx row j        3 units (93 bytes) at unit 1 + B + 3P + 3j:
 *                   u16 profile (< P) | u8 flags (bit 0 yParity, bit 1 recipient-is-new, other bits zero)
 *                   | u8 amount exponent | u64 amount mantissa (canonical packed amount, see amount.ts)
 *                   | u64 nonce | u32 recipient (account index at the start of the batch, or index < A into the
 *                   new-address table when recipient-is-new) | u256 r | u256 s | 5 zero
 * new address k   1 unit at unit 1 + B + 3P + 3n + k:
 *                   20-byte address | u32 firstTx | 7 zero
 * ```
 * Canonical form (exactly one encoding per batch and start state): profiles and new addresses are the distinct
 * ones the txs use, each numbered in order of first use, and `firstTx` is the first tx using it. Withdrawals'
 * L1 recipients are always new addresses (raw 20 bytes); a transfer recipient known at the start of the batch is
 * always its account index. The rules are chosen so that every violation is witnessed by O(1) records, i.e. a
 * fraud prover can show any invalid batch invalid with a constant number of openings:
 * - header: version, zero bytes, blockCount >= 1, data length = 31·(1 + B + 3P + 3n + A) − 4 (`readDataLength`);
 * - one record: its zero bytes and bit fields, value ranges (timestamp, token index, amount canonical,
 *   profile < P, new-address index < A, firstTx < n); withdrawal row with recipient-is-new = 0;
 * - two adjacent records: block entries not non-decreasing (first entry vs 0, last entry vs n), profiles' or new
 *   addresses' `firstTx` not strictly increasing;
 * - row j and the profile / new address it uses: j < firstTx; profile p and row firstTx_p: the row does not use
 *   p (same for new addresses);
 * - two records anywhere: two equal profiles (ignoring firstTx) or two equal new addresses;
 * - state: a known recipient index that is not an account at the start of the batch (as in v1);
 * - state: a new address that a transfer uses is an account known at the start of the batch (membership
 *   proof; checked by the decoder only when `ctx.indexOf` is given, see `BatchDecodeContextV2`).
 *
 * Size: 93 bytes per tx plus 31 per block, 93 per distinct profile and 31 per distinct new address; a 2,000-
 * transfer batch in 20 blocks is 93.4 bytes per transfer (v1 + brotli: 67.1; see the size report in the test).
 *
 * Decoding rejects anything else with `L2kitError('INVALID_BATCH', reason)` and never throws anything else on its
 * own; errors thrown by the context (`addressAt`) propagate unchanged.
 */
import { packAmount, packedAmountProblem } from './amount.ts'
import { bytesToAddress, bytesToBigint, hexToBytes, writeBigintBE } from './bytes.ts'
import { L2kitError } from './errors.ts'
import type { Address, Batch, BatchBlock, L2Operation, L2Tx, TxFees } from './types.ts'

/** Version byte (first data byte) of the provable format. */
export const BATCH_CODEC_V2_VERSION = 2
/** Payload bytes per blob field element: the alignment unit. */
export const V2_UNIT_BYTES = 31
/** Length prefix in front of the data in the blob payload. */
export const V2_PAYLOAD_PREFIX_BYTES = 4
/** Data bytes of the header (unit 0 minus the length prefix). */
export const V2_HEADER_BYTES = V2_UNIT_BYTES - V2_PAYLOAD_PREFIX_BYTES
/** Bytes of one block entry, one profile, one tx row, one new address. */
export const V2_BLOCK_BYTES = V2_UNIT_BYTES
export const V2_PROFILE_BYTES = 3 * V2_UNIT_BYTES
export const V2_ROW_BYTES = 3 * V2_UNIT_BYTES
export const V2_ADDRESS_BYTES = V2_UNIT_BYTES
/** Largest number of profiles (u16 profile index). */
export const V2_MAX_PROFILES = 0xffff
/** Default caps on decoded batches (same as v1). */
export const DEFAULT_MAX_BATCH_BLOCKS_V2 = 100_000
export const DEFAULT_MAX_BATCH_TXS_V2 = 262_144

/** What the encoder needs from the state at the start of the batch (same as v1). */
export type BatchEncodeContextV2 = {
  indexOf(address: Address): number | undefined
}

/** What the decoder needs from the state at the start of the batch, plus size limits (same as v1). */
export type BatchDecodeContextV2 = {
  addressAt(index: number): Address | undefined
  /**
   * Account index of an address known at the start of the batch. When given (derivation should), the decoder
   * also enforces that a transfer's recipient written as a new address is not a known account, which makes the
   * encoding unique given the state; without it that one rule is not checked (as in v1).
   */
  indexOf?: ((address: Address) => number | undefined) | undefined
  maxBlocks?: number | undefined
  maxTxs?: number | undefined
}

/** The fixed header (data bytes 0..26). */
export type BatchHeaderV2 = {
  firstBlockNumber: bigint
  blockCount: number
  txCount: number
  profileCount: number
  newAddressCount: number
}

export type BlockEntryV2 = { timestamp: number; depositCountAfter: bigint; txEnd: number }

export type OpKindV2 = L2Operation['kind']

/** A profile: the per-tx fields that repeat, plus the first tx that uses it. */
export type ProfileV2 = {
  kind: OpKindV2
  tokenIndex: number
  firstTx: number
  gasLimit: bigint
  fees: TxFees
}

/** A tx row before its recipient is resolved. */
export type TxRowV2 = {
  profileIndex: number
  yParity: 0 | 1
  recipientIsNew: boolean
  /** Account index (known recipient) or index into the new-address table. */
  recipientIndex: number
  amount: bigint
  nonce: bigint
  r: bigint
  s: bigint
}

export type NewAddressV2 = { address: Address; firstTx: number }

const KINDS = ['ethTransfer', 'tokenTransfer', 'withdrawEth', 'withdrawToken'] as const
const KIND_CODE: Record<OpKindV2, number> = {
  ethTransfer: 0,
  tokenTransfer: 1,
  withdrawEth: 2,
  withdrawToken: 3,
}
const TWO_POW_32 = 2 ** 32
const TWO_POW_64 = 1n << 64n
const TWO_POW_256 = 1n << 256n

function invalid(reason: string, details: Record<string, unknown> = {}): never {
  throw new L2kitError('INVALID_BATCH', reason, { details })
}

function cannotEncode(reason: string, details: Record<string, unknown> = {}): never {
  throw new L2kitError('INVALID_BATCH', `cannot encode batch: ${reason}`, { details })
}

function isTokenKind(kind: OpKindV2): boolean {
  return kind === 'tokenTransfer' || kind === 'withdrawToken'
}

function isWithdrawal(kind: OpKindV2): boolean {
  return kind === 'withdrawEth' || kind === 'withdrawToken'
}

// ---- fixed-width reads (callers check lengths first) ----

function u16(b: Uint8Array, o: number): number {
  return (((b[o] as number) << 8) | (b[o + 1] as number)) >>> 0
}

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

function zeroFrom(b: Uint8Array, from: number, to: number, what: string): void {
  for (let i = from; i < to; i++) if (b[i] !== 0) invalid(`${what}: padding byte ${i} is not zero`)
}

function needLength(b: Uint8Array, length: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== length)
    invalid(`${what} must be ${length} bytes, got ${b instanceof Uint8Array ? b.length : typeof b}`)
}

// ---- offsets (payload offsets) ----

/** Payload offset of block entry `b`. */
export function blockEntryOffset(_header: BatchHeaderV2, b: number): number {
  return V2_UNIT_BYTES * (1 + b)
}

/** Payload offset of profile `p`. */
export function profileOffset(header: BatchHeaderV2, p: number): number {
  return V2_UNIT_BYTES * (1 + header.blockCount + 3 * p)
}

/** Payload offset of tx `j`'s 93-byte row (j counts from the first tx of the batch). */
export function txRowOffset(header: BatchHeaderV2, j: number): number {
  return V2_UNIT_BYTES * (1 + header.blockCount + 3 * header.profileCount + 3 * j)
}

/** Payload offset of new address `k`. */
export function newAddressOffset(header: BatchHeaderV2, k: number): number {
  return V2_UNIT_BYTES * (1 + header.blockCount + 3 * header.profileCount + 3 * header.txCount + k)
}

/** Payload length (prefix + data) of a batch with this header: always whole units. */
export function payloadLengthV2(header: BatchHeaderV2): number {
  return newAddressOffset(header, header.newAddressCount)
}

/** Data length (what the length prefix says) of a batch with this header. */
export function dataLengthV2(header: BatchHeaderV2): number {
  return payloadLengthV2(header) - V2_PAYLOAD_PREFIX_BYTES
}

// ---- single records ----

/**
 * The header from the first 27 data bytes (more may follow). Checks the version, the zero bytes and
 * blockCount >= 1; not the data length (compare with `dataLengthV2`).
 */
export function decodeBatchHeaderV2(data: Uint8Array): BatchHeaderV2 {
  if (!(data instanceof Uint8Array) || data.length < V2_HEADER_BYTES)
    invalid(`batch data is shorter than the ${V2_HEADER_BYTES}-byte v2 header`)
  const version = data[0] as number
  if (version !== BATCH_CODEC_V2_VERSION) invalid(`unknown batch codec version ${version}`, { version })
  zeroFrom(data, 23, V2_HEADER_BYTES, 'header')
  const header: BatchHeaderV2 = {
    firstBlockNumber: uint(data, 1, 8),
    blockCount: u32(data, 9),
    txCount: u32(data, 13),
    profileCount: u16(data, 17),
    newAddressCount: u32(data, 19),
  }
  if (header.blockCount === 0) invalid('batch has no blocks')
  return header
}

/** One 31-byte block entry. */
export function decodeBlockEntryV2(unit: Uint8Array): BlockEntryV2 {
  needLength(unit, V2_BLOCK_BYTES, 'a block entry')
  zeroFrom(unit, 20, V2_BLOCK_BYTES, 'block entry')
  const ts = uint(unit, 0, 8)
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) invalid(`block timestamp ${ts} is above 2^53-1`)
  return { timestamp: Number(ts), depositCountAfter: uint(unit, 8, 8), txEnd: u32(unit, 16) }
}

/** One 93-byte profile (checks its own fields only). */
export function decodeProfileV2(bytes: Uint8Array): ProfileV2 {
  needLength(bytes, V2_PROFILE_BYTES, 'a profile')
  const shape = bytes[0] as number
  if (shape > 7) invalid(`profile has unknown shape bits 0x${shape.toString(16)}`)
  const kind = KINDS[shape & 3] as OpKindV2
  const tokenIndex = bytes[1] as number
  if (isTokenKind(kind) ? tokenIndex === 0 : tokenIndex !== 0)
    invalid(`profile of kind ${kind} has token index ${tokenIndex}`)
  const fee0 = uint(bytes, 14, 32)
  const fee1 = uint(bytes, 46, 32)
  let fees: TxFees
  if ((shape & 4) === 0) {
    if (fee1 !== 0n) invalid('legacy profile has a non-zero second fee')
    fees = { type: 'legacy', gasPrice: fee0 }
  } else {
    fees = { type: 'eip1559', maxFeePerGas: fee0, maxPriorityFeePerGas: fee1 }
  }
  zeroFrom(bytes, 78, V2_PROFILE_BYTES, 'profile')
  return { kind, tokenIndex, firstTx: u32(bytes, 2), gasLimit: uint(bytes, 6, 8), fees }
}

/** One 93-byte tx row, unresolved (checks its own fields only: flags, padding, canonical amount). */
export function parseTxRowV2(row: Uint8Array): TxRowV2 {
  needLength(row, V2_ROW_BYTES, 'a tx row')
  const flags = row[2] as number
  if (flags > 3) invalid(`tx row has unknown flag bits 0x${flags.toString(16)}`)
  const exponent = row[3] as number
  const mantissa = uint(row, 4, 8)
  const problem = packedAmountProblem(mantissa, exponent)
  if (problem !== undefined) invalid(`tx row: ${problem}`)
  zeroFrom(row, 88, V2_ROW_BYTES, 'tx row')
  return {
    profileIndex: u16(row, 0),
    yParity: (flags & 1) as 0 | 1,
    recipientIsNew: (flags & 2) !== 0,
    recipientIndex: u32(row, 20),
    amount: mantissa * 10n ** BigInt(exponent),
    nonce: uint(row, 12, 8),
    r: uint(row, 24, 32),
    s: uint(row, 56, 32),
  }
}

/** One 31-byte new-address entry. */
export function decodeNewAddressV2(unit: Uint8Array): NewAddressV2 {
  needLength(unit, V2_ADDRESS_BYTES, 'a new-address entry')
  zeroFrom(unit, 24, V2_ADDRESS_BYTES, 'new-address entry')
  return { address: bytesToAddress(unit, 0), firstTx: u32(unit, 20) }
}

function copyFees(fees: TxFees): TxFees {
  return fees.type === 'legacy'
    ? { type: 'legacy', gasPrice: fees.gasPrice }
    : { type: 'eip1559', maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas }
}

function makeOp(p: ProfileV2, recipient: Address, amount: bigint): L2Operation {
  switch (p.kind) {
    case 'ethTransfer':
      return { kind: 'ethTransfer', to: recipient, amount }
    case 'tokenTransfer':
      return { kind: 'tokenTransfer', tokenIndex: p.tokenIndex, to: recipient, amount }
    case 'withdrawEth':
      return { kind: 'withdrawEth', recipient, amount }
    case 'withdrawToken':
      return { kind: 'withdrawToken', tokenIndex: p.tokenIndex, recipient, amount }
  }
}

function rowToTx(row: TxRowV2, profile: ProfileV2, recipient: Address): L2Tx {
  return {
    nonce: row.nonce,
    gasLimit: profile.gasLimit,
    fees: copyFees(profile.fees),
    op: makeOp(profile, recipient, row.amount),
    signature: { r: row.r, s: row.s, yParity: row.yParity },
  }
}

/** How a single-row decode resolves the recipient. */
export type RowRecipientContextV2 = {
  /** Address at an account index known at the start of the batch. */
  addressAt(index: number): Address | undefined
  /** New address `k` of the batch (e.g. opened from the blob with `newAddressOffset`). */
  newAddressAt(k: number): Address | undefined
}

/**
 * The tx of one 93-byte row (payload bytes `[txRowOffset(header, j), +93)`), given the profile the row names
 * (`parseTxRowV2(row).profileIndex`, opened at `profileOffset`). Checks everything local to the row and its
 * profile; the batch-level rules (see the file comment) are the full decoder's. Errors from `ctx` propagate.
 */
export function decodeTxRowV2(row: Uint8Array, profile: ProfileV2, ctx: RowRecipientContextV2): L2Tx {
  const parsed = parseTxRowV2(row)
  if (isWithdrawal(profile.kind) && !parsed.recipientIsNew)
    invalid('a withdrawal recipient must be a new address (raw 20 bytes)')
  const found = parsed.recipientIsNew
    ? ctx.newAddressAt(parsed.recipientIndex)
    : ctx.addressAt(parsed.recipientIndex)
  if (found === undefined)
    invalid(
      `tx row refers to unknown ${parsed.recipientIsNew ? 'new address' : 'account index'} ${parsed.recipientIndex}`,
    )
  return rowToTx(parsed, profile, found.toLowerCase() as Address)
}

// ---- whole batch ----

function profileKey(p: Omit<ProfileV2, 'firstTx'>): string {
  const fees =
    p.fees.type === 'legacy'
      ? `L${p.fees.gasPrice}`
      : `E${p.fees.maxFeePerGas}/${p.fees.maxPriorityFeePerGas}`
  return `${p.kind}/${p.tokenIndex}/${p.gasLimit}/${fees}`
}

function checkU64(value: bigint, what: string): void {
  if (typeof value !== 'bigint' || value < 0n || value >= TWO_POW_64) cannotEncode(`${what} out of range`)
}

function checkU256(value: bigint, what: string): void {
  if (typeof value !== 'bigint' || value < 0n || value >= TWO_POW_256) cannotEncode(`${what} out of range`)
}

/**
 * v2 bytes of `batch` (the data, without the blob length prefix). Recipients that `ctx.indexOf` knows are written
 * as account indices (transfers only); the caller must pass the state at the start of the batch. Throws
 * `INVALID_BATCH` (or `AMOUNT_NOT_PACKABLE`) if the batch cannot be represented.
 */
export function encodeBatchV2(batch: Batch, ctx: BatchEncodeContextV2): Uint8Array {
  const blocks = batch.blocks
  if (blocks.length === 0) cannotEncode('a batch needs at least one block')
  if (blocks.length >= TWO_POW_32) cannotEncode('too many blocks')
  checkU64(batch.firstBlockNumber, 'firstBlockNumber')
  const txs: L2Tx[] = []
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b] as BatchBlock
    const prev = blocks[b - 1]
    if (!Number.isSafeInteger(block.timestamp) || block.timestamp < 0)
      cannotEncode(`block ${b} timestamp ${block.timestamp} is not a safe non-negative integer`)
    checkU64(block.depositCountAfter, 'deposit count')
    if (prev !== undefined && block.timestamp < prev.timestamp)
      cannotEncode(`block ${b} of the batch has a timestamp earlier than the block before it`)
    if (prev !== undefined && block.depositCountAfter < prev.depositCountAfter)
      cannotEncode(`block ${b} of the batch has a smaller depositCountAfter than the block before it`)
    for (const tx of block.txs) txs.push(tx)
  }
  const n = txs.length
  if (n >= TWO_POW_32) cannotEncode('too many transactions')

  // Profiles and new addresses, numbered in order of first use.
  const profiles: ProfileV2[] = []
  const profileIds = new Map<string, number>()
  const newAddresses: NewAddressV2[] = []
  const newIds = new Map<string, number>()
  const rows: { profile: number; isNew: boolean; index: number }[] = new Array(n)
  for (let j = 0; j < n; j++) {
    const tx = txs[j] as L2Tx
    const kind = tx.op.kind
    if (KIND_CODE[kind] === undefined) cannotEncode(`unknown operation kind ${String(kind)}`)
    let tokenIndex = 0
    if (tx.op.kind === 'tokenTransfer' || tx.op.kind === 'withdrawToken') {
      tokenIndex = tx.op.tokenIndex
      if (!Number.isInteger(tokenIndex) || tokenIndex < 1 || tokenIndex > 255)
        cannotEncode(`token index ${tokenIndex} is not 1..255`)
    }
    checkU64(tx.gasLimit, 'gasLimit')
    if (tx.fees.type === 'legacy') checkU256(tx.fees.gasPrice, 'gasPrice')
    else if (tx.fees.type === 'eip1559') {
      checkU256(tx.fees.maxFeePerGas, 'maxFeePerGas')
      checkU256(tx.fees.maxPriorityFeePerGas, 'maxPriorityFeePerGas')
    } else cannotEncode('unknown fee type')
    const candidate = { kind, tokenIndex, firstTx: j, gasLimit: tx.gasLimit, fees: tx.fees }
    const key = profileKey(candidate)
    let profile = profileIds.get(key)
    if (profile === undefined) {
      profile = profiles.length
      if (profile >= V2_MAX_PROFILES) cannotEncode(`more than ${V2_MAX_PROFILES} distinct profiles`)
      profileIds.set(key, profile)
      profiles.push(candidate)
    }

    const recipient = (
      tx.op.kind === 'ethTransfer' || tx.op.kind === 'tokenTransfer' ? tx.op.to : tx.op.recipient
    ).toLowerCase() as Address
    const known = isWithdrawal(kind) ? undefined : ctx.indexOf(recipient)
    if (known !== undefined) {
      if (!Number.isInteger(known) || known < 0 || known >= TWO_POW_32)
        cannotEncode(`account index ${known} of ${recipient} is out of range`)
      rows[j] = { profile, isNew: false, index: known }
    } else {
      let k = newIds.get(recipient)
      if (k === undefined) {
        k = newAddresses.length
        newIds.set(recipient, k)
        newAddresses.push({ address: recipient, firstTx: j })
      }
      rows[j] = { profile, isNew: true, index: k }
    }
  }

  const header: BatchHeaderV2 = {
    firstBlockNumber: batch.firstBlockNumber,
    blockCount: blocks.length,
    txCount: n,
    profileCount: profiles.length,
    newAddressCount: newAddresses.length,
  }
  const P = V2_PAYLOAD_PREFIX_BYTES
  const out = new Uint8Array(dataLengthV2(header))
  out[0] = BATCH_CODEC_V2_VERSION
  writeBigintBE(out, 1, header.firstBlockNumber, 8)
  writeBigintBE(out, 9, BigInt(header.blockCount), 4)
  writeBigintBE(out, 13, BigInt(n), 4)
  writeBigintBE(out, 17, BigInt(header.profileCount), 2)
  writeBigintBE(out, 19, BigInt(header.newAddressCount), 4)

  let txEnd = 0
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b] as BatchBlock
    txEnd += block.txs.length
    const o = blockEntryOffset(header, b) - P
    writeBigintBE(out, o, BigInt(block.timestamp), 8)
    writeBigintBE(out, o + 8, block.depositCountAfter, 8)
    writeBigintBE(out, o + 16, BigInt(txEnd), 4)
  }
  for (let p = 0; p < profiles.length; p++) {
    const pr = profiles[p] as ProfileV2
    const o = profileOffset(header, p) - P
    out[o] = KIND_CODE[pr.kind] | (pr.fees.type === 'eip1559' ? 4 : 0)
    out[o + 1] = pr.tokenIndex
    writeBigintBE(out, o + 2, BigInt(pr.firstTx), 4)
    writeBigintBE(out, o + 6, pr.gasLimit, 8)
    if (pr.fees.type === 'legacy') writeBigintBE(out, o + 14, pr.fees.gasPrice, 32)
    else {
      writeBigintBE(out, o + 14, pr.fees.maxFeePerGas, 32)
      writeBigintBE(out, o + 46, pr.fees.maxPriorityFeePerGas, 32)
    }
  }
  for (let j = 0; j < n; j++) {
    const tx = txs[j] as L2Tx
    const row = rows[j] as { profile: number; isNew: boolean; index: number }
    const y = tx.signature.yParity
    if (y !== 0 && y !== 1) cannotEncode(`yParity must be 0 or 1, got ${String(y)}`)
    checkU64(tx.nonce, 'nonce')
    checkU256(tx.signature.r, 'signature r')
    checkU256(tx.signature.s, 'signature s')
    const amount = packAmount(tx.op.amount)
    const o = txRowOffset(header, j) - P
    writeBigintBE(out, o, BigInt(row.profile), 2)
    out[o + 2] = y | (row.isNew ? 2 : 0)
    out[o + 3] = amount.exponent
    writeBigintBE(out, o + 4, amount.mantissa, 8)
    writeBigintBE(out, o + 12, tx.nonce, 8)
    writeBigintBE(out, o + 20, BigInt(row.index), 4)
    writeBigintBE(out, o + 24, tx.signature.r, 32)
    writeBigintBE(out, o + 56, tx.signature.s, 32)
  }
  for (let k = 0; k < newAddresses.length; k++) {
    const a = newAddresses[k] as NewAddressV2
    const bytes = hexToBytes(a.address, 'INVALID_BATCH')
    if (bytes.length !== 20) cannotEncode(`recipient ${a.address} is not an address`)
    const o = newAddressOffset(header, k) - P
    out.set(bytes, o)
    writeBigintBE(out, o + 20, BigInt(a.firstTx), 4)
  }
  return out
}

type Parsed = {
  header: BatchHeaderV2
  blocks: BlockEntryV2[]
  profiles: ProfileV2[]
  rows: TxRowV2[]
  newAddresses: Address[]
}

function parse(data: Uint8Array, maxBlocks: number, maxTxs: number): Parsed {
  const header = decodeBatchHeaderV2(data)
  const { blockCount: B, txCount: n, profileCount: P, newAddressCount: A } = header
  if (B > maxBlocks) invalid(`batch has more than ${maxBlocks} blocks`, { blockCount: B })
  if (n > maxTxs) invalid(`batch has more than ${maxTxs} transactions`, { txCount: n })
  if (P > n) invalid(`batch declares ${P} profiles for ${n} transactions`)
  if (A > n) invalid(`batch declares ${A} new addresses for ${n} transactions`)
  const expected = dataLengthV2(header)
  if (data.length !== expected)
    invalid(`batch data is ${data.length} bytes, its header implies ${expected}`, {
      expected,
      actual: data.length,
    })
  const at = (payloadOffset: number, length: number) =>
    data.subarray(payloadOffset - V2_PAYLOAD_PREFIX_BYTES, payloadOffset - V2_PAYLOAD_PREFIX_BYTES + length)

  const blocks: BlockEntryV2[] = new Array(B)
  let prev: BlockEntryV2 = { timestamp: 0, depositCountAfter: 0n, txEnd: 0 }
  for (let b = 0; b < B; b++) {
    const e = decodeBlockEntryV2(at(blockEntryOffset(header, b), V2_BLOCK_BYTES))
    if (b > 0 && e.timestamp < prev.timestamp)
      invalid(`block ${b} has a timestamp earlier than block ${b - 1}`)
    if (b > 0 && e.depositCountAfter < prev.depositCountAfter)
      invalid(`block ${b} has a smaller depositCountAfter than block ${b - 1}`)
    if (e.txEnd < prev.txEnd) invalid(`block ${b} has a smaller txEnd than the block before it`)
    blocks[b] = e
    prev = e
  }
  if (prev.txEnd !== n) invalid(`the last block ends at tx ${prev.txEnd}, the batch has ${n}`)

  const profiles: ProfileV2[] = new Array(P)
  const keys = new Set<string>()
  for (let p = 0; p < P; p++) {
    const pr = decodeProfileV2(at(profileOffset(header, p), V2_PROFILE_BYTES))
    if (pr.firstTx >= n) invalid(`profile ${p} names first tx ${pr.firstTx} of ${n}`)
    if (p > 0 && pr.firstTx <= (profiles[p - 1] as ProfileV2).firstTx)
      invalid(`profile ${p} is not in order of first use`)
    const key = profileKey(pr)
    if (keys.has(key)) invalid(`profile ${p} repeats an earlier profile`)
    keys.add(key)
    profiles[p] = pr
  }

  const newAddresses: Address[] = new Array(A)
  const firstTxOfAddress: number[] = new Array(A)
  const seen = new Set<string>()
  for (let k = 0; k < A; k++) {
    const e = decodeNewAddressV2(at(newAddressOffset(header, k), V2_ADDRESS_BYTES))
    if (e.firstTx >= n) invalid(`new address ${k} names first tx ${e.firstTx} of ${n}`)
    if (k > 0 && e.firstTx <= (firstTxOfAddress[k - 1] as number))
      invalid(`new address ${k} is not in order of first use`)
    if (seen.has(e.address)) invalid(`new address ${k} repeats an earlier one`)
    seen.add(e.address)
    newAddresses[k] = e.address
    firstTxOfAddress[k] = e.firstTx
  }

  const rows: TxRowV2[] = new Array(n)
  for (let j = 0; j < n; j++) {
    const row = parseTxRowV2(at(txRowOffset(header, j), V2_ROW_BYTES))
    const pr = profiles[row.profileIndex]
    if (pr === undefined) invalid(`transaction ${j} uses profile ${row.profileIndex}, only ${P} defined`)
    if (j < pr.firstTx) invalid(`transaction ${j} uses profile ${row.profileIndex} before its first tx`)
    if (row.recipientIsNew) {
      const first = firstTxOfAddress[row.recipientIndex]
      if (first === undefined)
        invalid(`transaction ${j} uses new address ${row.recipientIndex}, only ${A} defined`)
      if (j < first) invalid(`transaction ${j} uses new address ${row.recipientIndex} before its first tx`)
    } else if (isWithdrawal(pr.kind)) {
      invalid(`transaction ${j}: a withdrawal recipient must be a new address`)
    }
    rows[j] = row
  }
  for (let p = 0; p < P; p++) {
    const first = (profiles[p] as ProfileV2).firstTx
    if ((rows[first] as TxRowV2).profileIndex !== p) invalid(`profile ${p}: tx ${first} does not use it`)
  }
  for (let k = 0; k < A; k++) {
    const row = rows[firstTxOfAddress[k] as number] as TxRowV2
    if (!row.recipientIsNew || row.recipientIndex !== k)
      invalid(`new address ${k}: tx ${firstTxOfAddress[k]} does not use it`)
  }
  return { header, blocks, profiles, rows, newAddresses }
}

/**
 * The batch encoded in v2 `data` (without the blob length prefix). Known recipient indices are resolved with
 * `ctx.addressAt` (the state at the start of the batch). Every problem with the bytes is
 * `L2kitError('INVALID_BATCH', reason)`; errors thrown by `ctx` itself propagate unchanged.
 */
export function decodeBatchV2(data: Uint8Array, ctx: BatchDecodeContextV2): Batch {
  let p: Parsed
  try {
    p = parse(data, ctx.maxBlocks ?? DEFAULT_MAX_BATCH_BLOCKS_V2, ctx.maxTxs ?? DEFAULT_MAX_BATCH_TXS_V2)
  } catch (error) {
    if (error instanceof L2kitError && error.code === 'INVALID_BATCH') throw error
    throw new L2kitError('INVALID_BATCH', `batch could not be decoded: ${String(error)}`, { cause: error })
  }
  const resolved = new Map<number, Address>()
  const checkedNew = new Set<Address>()
  const blocks: BatchBlock[] = []
  let j = 0
  for (const entry of p.blocks) {
    const txs: L2Tx[] = []
    for (; j < entry.txEnd; j++) {
      const row = p.rows[j] as TxRowV2
      let recipient: Address
      if (row.recipientIsNew) {
        recipient = p.newAddresses[row.recipientIndex] as Address
        const kind = (p.profiles[row.profileIndex] as ProfileV2).kind
        if (ctx.indexOf !== undefined && !isWithdrawal(kind) && !checkedNew.has(recipient)) {
          const known = ctx.indexOf(recipient)
          if (known !== undefined)
            invalid(`transaction ${j} writes known account ${known} as a new address`, { index: known })
          checkedNew.add(recipient)
        }
      } else {
        let known = resolved.get(row.recipientIndex)
        if (known === undefined) {
          known = ctx.addressAt(row.recipientIndex)
          if (known === undefined)
            invalid(`transaction ${j} refers to unknown account index ${row.recipientIndex}`, {
              index: row.recipientIndex,
            })
          known = known.toLowerCase() as Address
          resolved.set(row.recipientIndex, known)
        }
        recipient = known
      }
      txs.push(rowToTx(row, p.profiles[row.profileIndex] as ProfileV2, recipient))
    }
    blocks.push({ timestamp: entry.timestamp, depositCountAfter: entry.depositCountAfter, txs })
  }
  return { firstBlockNumber: p.header.firstBlockNumber, blocks }
}
