/**
 * L2 transactions: standard wallet-signed Ethereum transactions (legacy EIP-155 and EIP-1559 with an empty access
 * list), restricted to the four operations the L2 executes (ETH transfer, ERC-20 transfer, ETH and ERC-20
 * withdrawal).
 *
 * `decodeRawTransaction` turns raw bytes from a wallet into an `L2Tx` plus its sender and hash, rejecting anything
 * else with a precise `L2kitError`. It is strict: RLP must be canonical, calldata must be the canonical ABI
 * encoding, and there is nothing after the transaction, so `encodeRawTransaction(tx, chainId)` rebuilds exactly
 * the bytes the wallet signed (same tx hash, same recovered sender). That is what lets a batch carry only the
 * `L2Tx` fields. It does no state checks (nonce, balances, token registration, gas limit vs fixed gas).
 *
 * RLP is parsed by hand: it is small, and the sequencer's hot path (decode + keccak + native recovery) must
 * sustain well over 10k tx/s on one core.
 */

import { isPackable, nearestPackableAmounts, packAmount } from './amount.ts'
import {
  bigintToBytes,
  bytesToAddress,
  bytesToBigint,
  bytesToHex,
  hexToBytes,
  minimalByteLength,
  writeBigintBE,
} from './bytes.ts'
import { L2_BRIDGE_ADDRESS, L2_TOKEN_ADDRESS_PREFIX, SELECTORS } from './constants.ts'
import { L2kitError, RowLimitCode } from './errors.ts'
import { keccak256 } from './hash.ts'
import { recoverAddressFromBytes, signatureProblem } from './signature.ts'
import { l2TokenAddress } from './tokenAddress.ts'
import type { Address, Hex, L2Operation, L2Tx, Signature } from './types.ts'

/** Default cap on a raw transaction's size (geth's txpool uses the same 128 KiB). Supported txs are ~110-230 bytes. */
export const DEFAULT_MAX_TX_BYTES = 128 * 1024

/** What decoding needs to know about the chain. */
export type DecodeTxContext = {
  chainId: bigint
  maxTxBytes?: number | undefined
  /**
   * Apply `checkRowLimits` (default true): what the sequencer must do. False only for tools that need
   * transactions no batch row can hold, e.g. L1 executor vectors with 32-byte fees.
   */
  rowLimits?: boolean | undefined
}

/** A decoded transaction whose sender is not recovered yet. */
export type UnrecoveredTransaction = {
  tx: L2Tx
  hash: Hex
  raw: Uint8Array
  /** keccak256 of the signing payload. */
  signingHash: Uint8Array
  /** r ‖ s, 64 bytes. */
  rs: Uint8Array
}

/** A decoded, signature-checked L2 transaction. */
export type DecodedTransaction = {
  tx: L2Tx
  /** Recovered signer (lowercase). */
  sender: Address
  /** keccak256 of the raw bytes, the standard Ethereum tx hash. */
  hash: Hex
  /** The raw signed bytes (a private copy). */
  raw: Uint8Array
}

const UNSUPPORTED_CALL_HINT =
  "l2kit's L2 supports ETH and ERC-20 transfers and withdrawals only; calls to arbitrary contracts are not supported yet"

const BRIDGE = hexToBytes(L2_BRIDGE_ADDRESS)
const TOKEN_PREFIX = hexToBytes(L2_TOKEN_ADDRESS_PREFIX)
const SEL_TRANSFER = hexToBytes(SELECTORS.erc20Transfer)
const SEL_WITHDRAW_ETH = hexToBytes(SELECTORS.withdrawEth)
const SEL_WITHDRAW_ERC20 = hexToBytes(SELECTORS.withdrawErc20)
const TWO_POW_64 = 1n << 64n
const TWO_POW_256 = 1n << 256n

function malformed(message: string, details: Record<string, unknown> = {}): never {
  throw new L2kitError('MALFORMED_TRANSACTION', message, { details })
}

function unsupportedCall(message: string, details: Record<string, unknown> = {}): never {
  throw new L2kitError('UNSUPPORTED_CALL', `${message}. ${UNSUPPORTED_CALL_HINT}.`, { details })
}

// ---------------------------------------------------------------------------------------------------------------
// L2 token addresses

function startsWith(bytes: Uint8Array, offset: number, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (bytes[offset + i] !== prefix[i]) return false
  return true
}

/** Index of the token whose L2 address is at bytes[offset..offset+20), 0 if in the token range but index 0, -1 if not. */
function tokenIndexAt(bytes: Uint8Array, offset: number): number {
  return startsWith(bytes, offset, TOKEN_PREFIX) ? (bytes[offset + 19] as number) : -1
}

// ---------------------------------------------------------------------------------------------------------------
// RLP (canonical only)

type RlpItem = { list: boolean; start: number; end: number }

/** Header of the item at `pos` (which must lie before `limit`); rejects every non-canonical form. */
function readItem(bytes: Uint8Array, pos: number, limit: number): RlpItem {
  if (pos >= limit) malformed('RLP data ends early', { offset: pos })
  const b = bytes[pos] as number
  if (b < 0x80) return { list: false, start: pos, end: pos + 1 }
  let list: boolean
  let start: number
  let len: number
  if (b <= 0xb7 || (b >= 0xc0 && b <= 0xf7)) {
    list = b >= 0xc0
    len = b - (list ? 0xc0 : 0x80)
    start = pos + 1
    if (!list && len === 1 && start < limit && (bytes[start] as number) < 0x80) {
      malformed('non-canonical RLP: a single byte below 0x80 must encode itself', { offset: pos })
    }
  } else {
    list = b >= 0xf8
    const lenOfLen = b - (list ? 0xf7 : 0xb7)
    if (pos + 1 + lenOfLen > limit) malformed('RLP length ends early', { offset: pos })
    if (bytes[pos + 1] === 0) malformed('non-canonical RLP: length with a leading zero', { offset: pos })
    if (lenOfLen > 4) malformed('RLP item too long', { offset: pos })
    len = 0
    for (let i = 0; i < lenOfLen; i++) len = len * 256 + (bytes[pos + 1 + i] as number)
    if (len <= 55) malformed('non-canonical RLP: long form used for a short item', { offset: pos })
    start = pos + 1 + lenOfLen
  }
  const end = start + len
  if (end > limit) malformed('RLP item runs past the end of its container', { offset: pos, length: len })
  return { list, start, end }
}

/** The items of the list payload [start, end). */
function readListItems(bytes: Uint8Array, start: number, end: number): RlpItem[] {
  const items: RlpItem[] = []
  let pos = start
  while (pos < end) {
    const item = readItem(bytes, pos, end)
    items.push(item)
    pos = item.end
  }
  return items
}

/** A canonical RLP integer of at most `maxBytes` bytes. */
function readInt(bytes: Uint8Array, item: RlpItem, maxBytes: number, field: string): bigint {
  if (item.list) malformed(`${field} must be an RLP string, not a list`, { field })
  const len = item.end - item.start
  if (len > maxBytes) malformed(`${field} is longer than ${maxBytes} bytes`, { field, length: len })
  if (len > 0 && bytes[item.start] === 0)
    malformed(`${field} has a leading zero byte (non-canonical)`, { field })
  return bytesToBigint(bytes.subarray(item.start, item.end))
}

function readString(bytes: Uint8Array, item: RlpItem, field: string): Uint8Array {
  if (item.list) malformed(`${field} must be an RLP string, not a list`, { field })
  return bytes.subarray(item.start, item.end)
}

function headerLength(len: number): number {
  return len <= 55 ? 1 : 1 + (len < 0x100 ? 1 : len < 0x1_0000 ? 2 : len < 0x100_0000 ? 3 : 4)
}

/** Writes an RLP header for a payload of `len` bytes at `pos`; returns the position after it. */
function writeHeader(out: Uint8Array, pos: number, len: number, list: boolean): number {
  const base = list ? 0xc0 : 0x80
  if (len <= 55) {
    out[pos] = base + len
    return pos + 1
  }
  const lenOfLen = headerLength(len) - 1
  out[pos] = base + 55 + lenOfLen
  for (let i = lenOfLen; i >= 1; i--) {
    out[pos + i] = len & 0xff
    len >>>= 8
  }
  return pos + 1 + lenOfLen
}

/** Encoded size of an RLP integer. */
function intLength(v: bigint): number {
  if (v < 0x80n) return 1
  const n = minimalByteLength(v)
  return headerLength(n) + n
}

function writeInt(out: Uint8Array, pos: number, v: bigint): number {
  if (v === 0n) {
    out[pos] = 0x80
    return pos + 1
  }
  if (v < 0x80n) {
    out[pos] = Number(v)
    return pos + 1
  }
  const n = minimalByteLength(v)
  pos = writeHeader(out, pos, n, false)
  writeBigintBE(out, pos, v, n)
  return pos + n
}

function bytesLength(b: Uint8Array): number {
  return b.length === 1 && (b[0] as number) < 0x80 ? 1 : headerLength(b.length) + b.length
}

function writeBytes(out: Uint8Array, pos: number, b: Uint8Array): number {
  if (b.length === 1 && (b[0] as number) < 0x80) {
    out[pos] = b[0] as number
    return pos + 1
  }
  pos = writeHeader(out, pos, b.length, false)
  out.set(b, pos)
  return pos + b.length
}

/** A list of items, each an integer, a byte string, or `[]` (the empty list). */
type RlpField = bigint | Uint8Array | readonly []

function fieldLength(f: RlpField): number {
  return typeof f === 'bigint' ? intLength(f) : f instanceof Uint8Array ? bytesLength(f) : 1
}

/** `prefix` (a tx type byte or nothing) followed by the RLP list of `fields`. */
function encodeList(fields: RlpField[], typeByte?: number): Uint8Array {
  let payload = 0
  for (const f of fields) payload += fieldLength(f)
  const prefix = typeByte === undefined ? 0 : 1
  const out = new Uint8Array(prefix + headerLength(payload) + payload)
  if (typeByte !== undefined) out[0] = typeByte
  let pos = writeHeader(out, prefix, payload, true)
  for (const f of fields) {
    if (typeof f === 'bigint') pos = writeInt(out, pos, f)
    else if (f instanceof Uint8Array) pos = writeBytes(out, pos, f)
    else out[pos++] = 0xc0
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// Operations <-> calls

function wordIsAddress(data: Uint8Array, offset: number): boolean {
  for (let i = offset; i < offset + 12; i++) if (data[i] !== 0) return false
  return true
}

function checkedAmount(amount: bigint, op: string): bigint {
  try {
    packAmount(amount)
  } catch (error) {
    if (error instanceof L2kitError) {
      throw new L2kitError(error.code, `${op}: ${error.message}`, {
        details: { ...error.details, operation: op },
      })
    }
    throw error
  }
  return amount
}

/** The operation a call (to, value, data) performs; throws `UNSUPPORTED_CALL` / `AMOUNT_NOT_PACKABLE` otherwise. */
function classify(to: Uint8Array, value: bigint, data: Uint8Array): L2Operation {
  const toHex = bytesToAddress(to)
  if (startsWith(to, 0, BRIDGE)) {
    if (data.length < 4) {
      unsupportedCall(
        'a transaction to the L2 bridge must call withdrawETH(address) or withdrawERC20(address,address,uint256)',
        { to: toHex, dataLength: data.length },
      )
    }
    if (startsWith(data, 0, SEL_WITHDRAW_ETH)) {
      if (data.length !== 36 || !wordIsAddress(data, 4)) {
        unsupportedCall('withdrawETH calldata is not the canonical 36-byte ABI encoding of (address)', {
          to: toHex,
          dataLength: data.length,
        })
      }
      return {
        kind: 'withdrawEth',
        recipient: bytesToAddress(data, 16),
        amount: checkedAmount(value, 'withdrawETH'),
      }
    }
    if (startsWith(data, 0, SEL_WITHDRAW_ERC20)) {
      if (data.length !== 100 || !wordIsAddress(data, 4) || !wordIsAddress(data, 36)) {
        unsupportedCall(
          'withdrawERC20 calldata is not the canonical 100-byte ABI encoding of (address,address,uint256)',
          { to: toHex, dataLength: data.length },
        )
      }
      if (value !== 0n)
        unsupportedCall('withdrawERC20 must not send ETH (value must be 0)', { value: value.toString() })
      const tokenIndex = tokenIndexAt(data, 16)
      if (tokenIndex < 1) {
        unsupportedCall(
          `withdrawERC20's l2Token ${bytesToAddress(data, 16)} is not a bridged token address (${L2_TOKEN_ADDRESS_PREFIX}01..ff)`,
          { l2Token: bytesToAddress(data, 16) },
        )
      }
      return {
        kind: 'withdrawToken',
        tokenIndex,
        recipient: bytesToAddress(data, 48),
        amount: checkedAmount(bytesToBigint(data.subarray(68, 100)), 'withdrawERC20'),
      }
    }
    unsupportedCall(`the L2 bridge has no function with selector ${bytesToHex(data.subarray(0, 4))}`, {
      to: toHex,
    })
  }
  const tokenIndex = tokenIndexAt(to, 0)
  if (tokenIndex >= 0) {
    if (tokenIndex === 0) {
      unsupportedCall(`${toHex} is reserved (token index 0 is ETH, sent as a plain transfer)`, { to: toHex })
    }
    if (data.length === 0) {
      unsupportedCall(`sending ETH to the bridged token contract ${toHex} is not supported`, { to: toHex })
    }
    if (!startsWith(data, 0, SEL_TRANSFER) || data.length !== 68 || !wordIsAddress(data, 4)) {
      unsupportedCall(
        `a bridged token (${toHex}) only supports transfer(address,uint256) with canonical 68-byte calldata`,
        { to: toHex, dataLength: data.length, selector: bytesToHex(data.subarray(0, 4)) },
      )
    }
    if (value !== 0n)
      unsupportedCall('an ERC-20 transfer must not send ETH (value must be 0)', { value: value.toString() })
    return {
      kind: 'tokenTransfer',
      tokenIndex,
      to: bytesToAddress(data, 16),
      amount: checkedAmount(bytesToBigint(data.subarray(36, 68)), 'ERC-20 transfer'),
    }
  }
  if (data.length !== 0) {
    unsupportedCall(
      `transaction to ${toHex} carries calldata (${data.length} bytes); only plain ETH transfers may`,
      {
        to: toHex,
        dataLength: data.length,
      },
    )
  }
  return { kind: 'ethTransfer', to: toHex, amount: checkedAmount(value, 'ETH transfer') }
}

function addressWord(out: Uint8Array, offset: number, address: Address): void {
  out.set(hexToBytes(address, 'INVALID_ADDRESS'), offset + 12)
}

function callParts(op: L2Operation): { to: Uint8Array; value: bigint; data: Uint8Array } {
  switch (op.kind) {
    case 'ethTransfer':
      return { to: hexToBytes(op.to, 'INVALID_ADDRESS'), value: op.amount, data: new Uint8Array(0) }
    case 'tokenTransfer': {
      const data = new Uint8Array(68)
      data.set(SEL_TRANSFER, 0)
      addressWord(data, 4, op.to)
      writeBigintBE(data, 36, op.amount, 32)
      return { to: hexToBytes(l2TokenAddress(op.tokenIndex)), value: 0n, data }
    }
    case 'withdrawEth': {
      const data = new Uint8Array(36)
      data.set(SEL_WITHDRAW_ETH, 0)
      addressWord(data, 4, op.recipient)
      return { to: BRIDGE, value: op.amount, data }
    }
    case 'withdrawToken': {
      const data = new Uint8Array(100)
      data.set(SEL_WITHDRAW_ERC20, 0)
      addressWord(data, 4, l2TokenAddress(op.tokenIndex))
      addressWord(data, 36, op.recipient)
      writeBigintBE(data, 68, op.amount, 32)
      return { to: BRIDGE, value: 0n, data }
    }
  }
}

/** The Ethereum call (to, value, calldata) that performs `op` — what a wallet signs. */
export function operationToCall(op: L2Operation): { to: Address; value: bigint; data: Hex } {
  const { to, value, data } = callParts(op)
  return { to: bytesToAddress(to), value, data: bytesToHex(data) }
}

// ---------------------------------------------------------------------------------------------------------------
// Row limits

/** Largest nonce a v3 batch row holds (a u40 field). */
export const MAX_ROW_NONCE = (1n << 40n) - 1n
/** Largest gas limit a v3 batch row holds (a u32 field). Every operation uses at most 70k gas. */
export const MAX_ROW_GAS_LIMIT = (1n << 32n) - 1n

function feeNotPackable(field: string, value: bigint): never {
  const { below, above } = nearestPackableAmounts(value)
  throw new L2kitError(
    RowLimitCode.feeNotPackable,
    `${field} ${value} wei cannot be written into a batch row: fees must be m * 10^e with m < 2^64 ` +
      `(any fee below 2^64 wei, about 18.4 ETH per gas, qualifies). Round it, e.g. to ${below}` +
      `${above === undefined ? '' : ` or ${above}`}.`,
    {
      details: {
        field,
        value: value.toString(),
        suggestedBelow: below.toString(),
        ...(above === undefined ? {} : { suggestedAbove: above.toString() }),
      },
    },
  )
}

/**
 * Throws unless the transaction fits one row of batch format v3 (docs/optimistic.md): `NONCE_TOO_LARGE`
 * (nonce >= 2^40), `GAS_LIMIT_TOO_LARGE` (gasLimit >= 2^32), `FEE_NOT_PACKABLE` (a fee that is not a packed
 * amount, src/core/amount.ts). The amount's limit (`AMOUNT_NOT_PACKABLE`) is checked where the call is decoded.
 * `decodeRawTransaction` applies it, so the sequencer never accepts a transaction a row cannot hold.
 */
export function checkRowLimits(tx: Pick<L2Tx, 'nonce' | 'gasLimit' | 'fees'>): void {
  if (tx.nonce > MAX_ROW_NONCE) {
    throw new L2kitError(
      RowLimitCode.nonceTooLarge,
      `nonce ${tx.nonce} is too large: this L2 accepts nonces below 2^40 (${MAX_ROW_NONCE + 1n}) so that every ` +
        'transaction fits a batch row',
      { details: { nonce: tx.nonce.toString(), max: MAX_ROW_NONCE.toString() } },
    )
  }
  if (tx.gasLimit > MAX_ROW_GAS_LIMIT) {
    throw new L2kitError(
      RowLimitCode.gasLimitTooLarge,
      `gas limit ${tx.gasLimit} is too large: this L2 accepts gas limits below 2^32 (${MAX_ROW_GAS_LIMIT + 1n}); ` +
        'every supported operation uses at most 70000 gas',
      { details: { gasLimit: tx.gasLimit.toString(), max: MAX_ROW_GAS_LIMIT.toString() } },
    )
  }
  const fees = tx.fees
  if (fees.type === 'legacy') {
    if (!isPackable(fees.gasPrice)) feeNotPackable('gasPrice', fees.gasPrice)
  } else {
    if (!isPackable(fees.maxFeePerGas)) feeNotPackable('maxFeePerGas', fees.maxFeePerGas)
    if (!isPackable(fees.maxPriorityFeePerGas))
      feeNotPackable('maxPriorityFeePerGas', fees.maxPriorityFeePerGas)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

function checkSizes(tx: L2Tx): void {
  const check = (v: bigint, limit: bigint, field: string) => {
    if (v < 0n || v >= limit) malformed(`${field} is out of range`, { field, value: v.toString() })
  }
  check(tx.nonce, TWO_POW_64, 'nonce')
  check(tx.gasLimit, TWO_POW_64, 'gasLimit')
  if (tx.fees.type === 'legacy') check(tx.fees.gasPrice, TWO_POW_256, 'gasPrice')
  else {
    check(tx.fees.maxFeePerGas, TWO_POW_256, 'maxFeePerGas')
    check(tx.fees.maxPriorityFeePerGas, TWO_POW_256, 'maxPriorityFeePerGas')
  }
  check(tx.op.amount, TWO_POW_256, 'amount')
}

/** 64-byte r‖s with the minimal big-endian r and s right-aligned. */
function rsBytes(raw: Uint8Array, r: RlpItem, s: RlpItem): Uint8Array {
  const rs = new Uint8Array(64)
  rs.set(raw.subarray(r.start, r.end), 32 - (r.end - r.start))
  rs.set(raw.subarray(s.start, s.end), 64 - (s.end - s.start))
  return rs
}

function toBytes(raw: Uint8Array | Hex, maxTxBytes: number): Uint8Array {
  if (typeof raw === 'string') {
    if (raw.length > 2 + 2 * maxTxBytes) tooLarge((raw.length - 2) >> 1, maxTxBytes)
    return hexToBytes(raw, 'MALFORMED_TRANSACTION')
  }
  if (raw.length > maxTxBytes) tooLarge(raw.length, maxTxBytes)
  return raw.slice()
}

function tooLarge(size: number, max: number): never {
  throw new L2kitError('TX_TOO_LARGE', `transaction is ${size} bytes, more than the ${max} accepted`, {
    details: { size, max },
  })
}

function checkSignature(sig: Signature): void {
  const problem = signatureProblem(sig)
  if (problem !== undefined) throw new L2kitError('INVALID_SIGNATURE', problem)
}

/**
 * Decodes and checks a wallet-signed raw transaction for this L2 and recovers its sender.
 * Errors (`L2kitError` codes): TX_TOO_LARGE, MALFORMED_TRANSACTION, UNSUPPORTED_TX_TYPE, WRONG_CHAIN_ID,
 * UNPROTECTED_TX, ACCESS_LIST_UNSUPPORTED, CONTRACT_CREATION_UNSUPPORTED, UNSUPPORTED_CALL, AMOUNT_NOT_PACKABLE,
 * NONCE_TOO_LARGE, GAS_LIMIT_TOO_LARGE, FEE_NOT_PACKABLE (`checkRowLimits`), INVALID_SIGNATURE. No state checks.
 */
export function decodeRawTransaction(rawInput: Uint8Array | Hex, ctx: DecodeTxContext): DecodedTransaction {
  const d = decodeRawTransactionUnrecovered(rawInput, ctx)
  return { tx: d.tx, sender: recoverUnrecovered(d), hash: d.hash, raw: d.raw }
}

/** The sender of a transaction decoded by `decodeRawTransactionUnrecovered` (the expensive half). */
export function recoverUnrecovered(d: Pick<UnrecoveredTransaction, 'signingHash' | 'rs' | 'tx'>): Address {
  return recoverAddressFromBytes(d.signingHash, d.rs, d.tx.signature.yParity)
}

/**
 * Every check of `decodeRawTransaction` except the sender recovery, which is returned as inputs
 * (signing hash, r‖s) so a caller can run it elsewhere, e.g. on worker threads.
 */
export function decodeRawTransactionUnrecovered(
  rawInput: Uint8Array | Hex,
  ctx: DecodeTxContext,
): UnrecoveredTransaction {
  const raw = toBytes(rawInput, ctx.maxTxBytes ?? DEFAULT_MAX_TX_BYTES)
  if (raw.length === 0) malformed('empty transaction')
  const first = raw[0] as number
  const rowLimits = ctx.rowLimits ?? true
  if (first === 0x02) return decode1559(raw, ctx.chainId, rowLimits)
  if (first >= 0xc0) return decodeLegacy(raw, ctx.chainId, rowLimits)
  if (first >= 0x80) malformed('not a transaction: an RLP string where a list or a type byte belongs')
  const names: Record<number, string> = {
    1: 'EIP-2930 access-list transactions (type 1)',
    3: 'EIP-4844 blob transactions (type 3)',
    4: 'EIP-7702 set-code transactions (type 4)',
  }
  throw new L2kitError(
    'UNSUPPORTED_TX_TYPE',
    `${names[first] ?? `transaction type ${first}`} are not supported; send a legacy (EIP-155) or EIP-1559 (type 2) transaction`,
    { details: { type: first } },
  )
}

/** The fields of the transaction list at `offset` and where its payload starts. */
function outerList(raw: Uint8Array, offset: number): { items: RlpItem[]; start: number } {
  const outer = readItem(raw, offset, raw.length)
  if (!outer.list) malformed('transaction payload must be an RLP list')
  if (outer.end !== raw.length) malformed(`${raw.length - outer.end} unexpected bytes after the transaction`)
  return { items: readListItems(raw, outer.start, outer.end), start: outer.start }
}

function destination(raw: Uint8Array, item: RlpItem): Uint8Array {
  const to = readString(raw, item, 'to')
  if (to.length === 0) {
    throw new L2kitError(
      'CONTRACT_CREATION_UNSUPPORTED',
      `contract creation is not supported. ${UNSUPPORTED_CALL_HINT}.`,
    )
  }
  if (to.length !== 20) malformed(`to must be 20 bytes, got ${to.length}`, { length: to.length })
  return to
}

function wrongChain(got: bigint, expected: bigint): never {
  throw new L2kitError(
    'WRONG_CHAIN_ID',
    `transaction is signed for chain ${got}, this L2 is chain ${expected}`,
    {
      details: { chainId: got.toString(), expected: expected.toString() },
    },
  )
}

function decodeLegacy(raw: Uint8Array, chainId: bigint, rowLimits: boolean): UnrecoveredTransaction {
  const { items, start } = outerList(raw, 0)
  if (items.length !== 9) malformed(`a legacy transaction has 9 fields, got ${items.length}`)
  const it = items as [RlpItem, RlpItem, RlpItem, RlpItem, RlpItem, RlpItem, RlpItem, RlpItem, RlpItem]
  const nonce = readInt(raw, it[0], 8, 'nonce')
  const gasPrice = readInt(raw, it[1], 32, 'gasPrice')
  const gasLimit = readInt(raw, it[2], 8, 'gasLimit')
  const toItem = it[3]
  const value = readInt(raw, it[4], 32, 'value')
  const data = readString(raw, it[5], 'data')
  const v = readInt(raw, it[6], 32, 'v')
  const r = readInt(raw, it[7], 32, 'r')
  const s = readInt(raw, it[8], 32, 's')
  if (v === 27n || v === 28n) {
    throw new L2kitError(
      'UNPROTECTED_TX',
      'transaction is not replay-protected (pre-EIP-155 v = 27/28); sign it with the chain id (EIP-155)',
      { details: { v: v.toString() } },
    )
  }
  if (v < 35n)
    throw new L2kitError('INVALID_SIGNATURE', `legacy v ${v} is neither 27/28 nor chainId*2+35+yParity`)
  const txChainId = (v - 35n) >> 1n
  const yParity = Number((v - 35n) & 1n) as 0 | 1
  if (txChainId !== chainId) wrongChain(txChainId, chainId)
  const op = classify(destination(raw, toItem), value, data)
  if (rowLimits) checkRowLimits({ nonce, gasLimit, fees: { type: 'legacy', gasPrice } })
  const signature: Signature = { r, s, yParity }
  checkSignature(signature)

  // Signing payload: fields 0..5 exactly as in the raw tx, then chainId, 0, 0 (EIP-155).
  const body = raw.subarray(start, it[5].end)
  const tailLen = intLength(chainId) + 2
  const payloadLen = body.length + tailLen
  const msg = new Uint8Array(headerLength(payloadLen) + payloadLen)
  let pos = writeHeader(msg, 0, payloadLen, true)
  msg.set(body, pos)
  pos = writeInt(msg, pos + body.length, chainId)
  msg[pos] = 0x80
  msg[pos + 1] = 0x80
  return {
    tx: { nonce, gasLimit, fees: { type: 'legacy', gasPrice }, op, signature },
    hash: bytesToHex(keccak256(raw)),
    raw,
    signingHash: keccak256(msg),
    rs: rsBytes(raw, it[7], it[8]),
  }
}

function decode1559(raw: Uint8Array, chainId: bigint, rowLimits: boolean): UnrecoveredTransaction {
  const { items, start } = outerList(raw, 1)
  if (items.length !== 12) malformed(`an EIP-1559 transaction has 12 fields, got ${items.length}`)
  const it = items as [
    RlpItem,
    RlpItem,
    RlpItem,
    RlpItem,
    RlpItem,
    RlpItem,
    RlpItem,
    RlpItem,
    RlpItem,
    RlpItem,
    RlpItem,
    RlpItem,
  ]
  const txChainId = readInt(raw, it[0], 32, 'chainId')
  const nonce = readInt(raw, it[1], 8, 'nonce')
  const maxPriorityFeePerGas = readInt(raw, it[2], 32, 'maxPriorityFeePerGas')
  const maxFeePerGas = readInt(raw, it[3], 32, 'maxFeePerGas')
  const gasLimit = readInt(raw, it[4], 8, 'gasLimit')
  const toItem = it[5]
  const value = readInt(raw, it[6], 32, 'value')
  const data = readString(raw, it[7], 'data')
  const accessList = it[8]
  if (!accessList.list) malformed('accessList must be an RLP list')
  const yParityValue = readInt(raw, it[9], 1, 'yParity')
  const r = readInt(raw, it[10], 32, 'r')
  const s = readInt(raw, it[11], 32, 's')
  if (txChainId !== chainId) wrongChain(txChainId, chainId)
  if (accessList.end !== accessList.start) {
    throw new L2kitError(
      'ACCESS_LIST_UNSUPPORTED',
      'EIP-1559 transactions must have an empty access list on this L2 (there is no EVM state to pre-warm)',
    )
  }
  if (yParityValue > 1n)
    throw new L2kitError('INVALID_SIGNATURE', `yParity must be 0 or 1, got ${yParityValue}`)
  const yParity = Number(yParityValue) as 0 | 1
  const op = classify(destination(raw, toItem), value, data)
  if (rowLimits)
    checkRowLimits({ nonce, gasLimit, fees: { type: 'eip1559', maxFeePerGas, maxPriorityFeePerGas } })
  const signature: Signature = { r, s, yParity }
  checkSignature(signature)

  // Signing payload: 0x02 ‖ rlp(fields 0..8), i.e. the raw fields without yParity, r, s.
  const body = raw.subarray(start, accessList.end)
  const msg = new Uint8Array(1 + headerLength(body.length) + body.length)
  msg[0] = 0x02
  msg.set(body, writeHeader(msg, 1, body.length, true))
  return {
    tx: { nonce, gasLimit, fees: { type: 'eip1559', maxFeePerGas, maxPriorityFeePerGas }, op, signature },
    hash: bytesToHex(keccak256(raw)),
    raw,
    signingHash: keccak256(msg),
    rs: rsBytes(raw, it[10], it[11]),
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

function unsignedFields(tx: L2Tx, chainId: bigint): { fields: RlpField[]; typeByte?: number } {
  checkSizes(tx)
  const { to, value, data } = callParts(tx.op)
  if (tx.fees.type === 'legacy') {
    return { fields: [tx.nonce, tx.fees.gasPrice, tx.gasLimit, to, value, data] }
  }
  return {
    fields: [
      chainId,
      tx.nonce,
      tx.fees.maxPriorityFeePerGas,
      tx.fees.maxFeePerGas,
      tx.gasLimit,
      to,
      value,
      data,
      [],
    ],
    typeByte: 0x02,
  }
}

function signingPayload(tx: L2Tx, chainId: bigint): Uint8Array {
  const { fields, typeByte } = unsignedFields(tx, chainId)
  if (typeByte === undefined) return encodeList([...fields, chainId, 0n, 0n])
  return encodeList(fields, typeByte)
}

/** The hash a wallet signs for `tx` on chain `chainId` (EIP-155 for legacy, EIP-1559 otherwise), as bytes. */
export function signingHashBytes(tx: L2Tx, chainId: bigint): Uint8Array {
  return keccak256(signingPayload(tx, chainId))
}

/** The hash a wallet signs for `tx` on chain `chainId`. */
export function signingHash(tx: L2Tx, chainId: bigint): Hex {
  return bytesToHex(signingHashBytes(tx, chainId))
}

/**
 * The exact raw signed transaction `tx` came from (byte-identical to what the wallet produced, given
 * `decodeRawTransaction` accepted it): its keccak is the tx hash and its signature recovers the same sender.
 */
export function encodeRawTransaction(tx: L2Tx, chainId: bigint): Uint8Array {
  const { fields, typeByte } = unsignedFields(tx, chainId)
  const { r, s, yParity } = tx.signature
  if (r < 0n || r >= TWO_POW_256 || s < 0n || s >= TWO_POW_256 || (yParity !== 0 && yParity !== 1)) {
    throw new L2kitError('INVALID_SIGNATURE', 'signature values out of range', {
      details: { yParity: String(yParity) },
    })
  }
  if (typeByte === undefined) return encodeList([...fields, chainId * 2n + 35n + BigInt(yParity), r, s])
  return encodeList([...fields, BigInt(yParity), r, s], typeByte)
}

/** Standard Ethereum tx hash: keccak256 of the raw signed bytes. */
export function txHash(raw: Uint8Array | Hex): Hex {
  return bytesToHex(keccak256(typeof raw === 'string' ? hexToBytes(raw, 'MALFORMED_TRANSACTION') : raw))
}

/** Signer of `tx` on chain `chainId` (lowercase). Throws `INVALID_SIGNATURE` if the signature is not canonical. */
export function recoverSender(tx: L2Tx, chainId: bigint): Address {
  checkSignature(tx.signature)
  const rs = new Uint8Array(64)
  rs.set(bigintToBytes(tx.signature.r, 32), 0)
  rs.set(bigintToBytes(tx.signature.s, 32), 32)
  return recoverAddressFromBytes(signingHashBytes(tx, chainId), rs, tx.signature.yParity)
}
