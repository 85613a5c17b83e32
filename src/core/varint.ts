/**
 * Unsigned LEB128 varints (7 bits per byte, low bits first, high bit = "more bytes follow"), for `number`
 * (up to `Number.MAX_SAFE_INTEGER`) and `bigint` (up to a caller-chosen bit width).
 *
 * Decoding is strict: an encoding with a redundant trailing zero group (e.g. `0x80 0x00` for 0) is rejected, so
 * every value has exactly one encoding — codecs built on these varints round-trip byte for byte.
 */
import { type ErrorCode, L2kitError } from './errors.ts'

/** Error code used when the caller does not pass its own. */
export const INVALID_VARINT = 'INVALID_VARINT'

/** A decoded value and the offset just past its encoding. */
export type VarintRead<T> = { value: T; next: number }

const TWO_POW_32 = 0x1_0000_0000

function assertVarintNumber(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new L2kitError(INVALID_VARINT, `varint value must be a non-negative safe integer, got ${n}`, {
      details: { value: n },
    })
  }
}

function assertVarintBigint(v: bigint): void {
  if (v < 0n) {
    throw new L2kitError(INVALID_VARINT, `varint value must be non-negative, got ${v}`, {
      details: { value: v.toString() },
    })
  }
}

/** Bytes the varint encoding of `n` takes (1..8). */
export function varintLength(n: number): number {
  assertVarintNumber(n)
  let len = 1
  while (n >= 0x80) {
    n = Math.floor(n / 0x80)
    len++
  }
  return len
}

/** Bytes the varint encoding of `v` takes. */
export function varbigLength(v: bigint): number {
  assertVarintBigint(v)
  if (v <= BigInt(Number.MAX_SAFE_INTEGER)) return varintLength(Number(v))
  return Math.ceil(v.toString(2).length / 7)
}

/**
 * Writes `n` at `offset` in `target` (which must have room: see `varintLength`). Returns the offset after it.
 */
export function writeVarint(target: Uint8Array, offset: number, n: number): number {
  assertVarintNumber(n)
  // Fast path with 32-bit operations, then plain arithmetic for the rare large values.
  while (n >= TWO_POW_32) {
    target[offset++] = (n % 0x80) | 0x80
    n = Math.floor(n / 0x80)
  }
  while (n >= 0x80) {
    target[offset++] = (n & 0x7f) | 0x80
    n >>>= 7
  }
  target[offset++] = n
  return offset
}

/** Writes `v` at `offset` in `target` (room: `varbigLength`). Returns the offset after it. */
export function writeVarbig(target: Uint8Array, offset: number, v: bigint): number {
  assertVarintBigint(v)
  while (v > 0xffff_ffffn) {
    target[offset++] = Number(v & 0x7fn) | 0x80
    v >>= 7n
  }
  return writeVarint(target, offset, Number(v))
}

/** The varint encoding of `n`. */
export function encodeVarint(n: number): Uint8Array {
  const out = new Uint8Array(varintLength(n))
  writeVarint(out, 0, n)
  return out
}

/** The varint encoding of `v`. */
export function encodeVarbig(v: bigint): Uint8Array {
  const out = new Uint8Array(varbigLength(v))
  writeVarbig(out, 0, v)
  return out
}

function fail(code: ErrorCode, message: string, offset: number): never {
  throw new L2kitError(code, message, { details: { offset } })
}

/**
 * Reads a varint that must fit a safe integer (and be `<= max`). Throws `L2kitError(code)` when the data ends
 * early, the encoding is not minimal, or the value is too large.
 */
export function readVarint(
  bytes: Uint8Array,
  offset: number,
  max: number = Number.MAX_SAFE_INTEGER,
  code: ErrorCode = INVALID_VARINT,
): VarintRead<number> {
  const start = offset
  let value = 0
  let scale = 1
  for (;;) {
    if (offset >= bytes.length) fail(code, `varint at offset ${start} is truncated`, start)
    const b = bytes[offset++] as number
    value += (b & 0x7f) * scale
    if (b < 0x80) {
      if (b === 0 && offset - start > 1)
        fail(code, `varint at offset ${start} is not minimally encoded`, start)
      break
    }
    scale *= 0x80
    // 8 groups = 56 bits already exceed 2^53; a ninth byte can only be an overflow.
    if (offset - start >= 8) fail(code, `varint at offset ${start} is too long`, start)
  }
  if (value > max) fail(code, `varint at offset ${start} is ${value}, above the limit ${max}`, start)
  return { value, next: offset }
}

/**
 * Reads a varint as a bigint below `2^maxBits`. Throws `L2kitError(code)` when the data ends early, the encoding
 * is not minimal, or the value does not fit.
 */
export function readVarbig(
  bytes: Uint8Array,
  offset: number,
  maxBits = 256,
  code: ErrorCode = INVALID_VARINT,
): VarintRead<bigint> {
  const start = offset
  const maxLen = Math.ceil(maxBits / 7)
  // Accumulate 28-bit chunks in numbers and fold them into the bigint, to keep small values cheap.
  let result = 0n
  let shift = 0n
  let chunk = 0
  let chunkBits = 0
  for (;;) {
    if (offset >= bytes.length) fail(code, `varint at offset ${start} is truncated`, start)
    if (offset - start >= maxLen)
      fail(code, `varint at offset ${start} is longer than ${maxBits} bits`, start)
    const b = bytes[offset++] as number
    chunk |= (b & 0x7f) << chunkBits
    chunkBits += 7
    if (b < 0x80) {
      if (b === 0 && offset - start > 1)
        fail(code, `varint at offset ${start} is not minimally encoded`, start)
      break
    }
    if (chunkBits === 28) {
      result |= BigInt(chunk >>> 0) << shift
      shift += 28n
      chunk = 0
      chunkBits = 0
    }
  }
  result |= BigInt(chunk >>> 0) << shift
  if (result >> BigInt(maxBits) !== 0n)
    fail(code, `varint at offset ${start} does not fit in ${maxBits} bits`, start)
  return { value: result, next: offset }
}
