/**
 * Byte helpers used by every codec: hex <-> bytes, big-endian integers, addresses, and a growable `ByteWriter`
 * plus a bounds-checked `ByteReader` that raises a typed `L2kitError` (with the caller's error code) on
 * truncated or malformed input instead of reading garbage.
 *
 * Addresses produced by l2kit core are always lowercase hex (cheap and canonical: two equal addresses are
 * equal strings). Checksumming is a display concern.
 */
import { type ErrorCode, L2kitError } from './errors.ts'
import type { Address, Hex } from './types.ts'
import { readVarbig, readVarint, varbigLength, varintLength, writeVarbig, writeVarint } from './varint.ts'

const HEX_BYTE: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))
// Char code -> nibble value, 255 for non-hex characters.
const NIBBLE = new Uint8Array(256).fill(255)
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i
for (let i = 0; i < 6; i++) {
  NIBBLE[65 + i] = 10 + i
  NIBBLE[97 + i] = 10 + i
}

/** `0x`-prefixed lowercase hex of `bytes`. */
export function bytesToHex(bytes: Uint8Array): Hex {
  let out = '0x'
  for (let i = 0; i < bytes.length; i++) out += HEX_BYTE[bytes[i] as number]
  return out as Hex
}

/** True for a `0x`-prefixed string of hex digits with an even length. */
export function isHex(value: unknown): value is Hex {
  return typeof value === 'string' && /^0x(?:[0-9a-fA-F]{2})*$/.test(value)
}

/**
 * Bytes of a hex string (`0x` prefix optional, even length, either case). Throws `L2kitError(code)` otherwise.
 */
export function hexToBytes(hex: string, code: ErrorCode = 'INVALID_HEX'): Uint8Array {
  const start = hex.startsWith('0x') || hex.startsWith('0X') ? 2 : 0
  const len = hex.length - start
  if (len % 2 !== 0) {
    throw new L2kitError(code, 'hex string has an odd number of digits', { details: { length: hex.length } })
  }
  const out = new Uint8Array(len / 2)
  for (let i = 0, j = start; i < out.length; i++, j += 2) {
    const hi = NIBBLE[hex.charCodeAt(j) & 0xff] as number
    const lo = NIBBLE[hex.charCodeAt(j + 1) & 0xff] as number
    if (hi === 255 || lo === 255 || hex.charCodeAt(j) > 0xff || hex.charCodeAt(j + 1) > 0xff) {
      throw new L2kitError(code, `invalid hex character near position ${j}`, { details: { position: j } })
    }
    out[i] = (hi << 4) | lo
  }
  return out
}

/** One array holding all `parts` in order. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0
  for (const p of parts) total += p.length
  const out = new Uint8Array(total)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

/** Byte-wise equality. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Big-endian unsigned integer of `bytes` (empty = 0). */
export function bytesToBigint(bytes: Uint8Array): bigint {
  if (bytes.length <= 6) {
    let n = 0
    for (let i = 0; i < bytes.length; i++) n = n * 256 + (bytes[i] as number)
    return BigInt(n)
  }
  let hex = '0x'
  for (let i = 0; i < bytes.length; i++) hex += HEX_BYTE[bytes[i] as number]
  return BigInt(hex)
}

/** Writes `value` big-endian into `target[offset .. offset+length)`; throws if it does not fit. */
export function writeBigintBE(target: Uint8Array, offset: number, value: bigint, length: number): void {
  if (value < 0n || value >> BigInt(length * 8) !== 0n) {
    throw new L2kitError('VALUE_OUT_OF_RANGE', `${value} does not fit in ${length} unsigned bytes`, {
      details: { value: value.toString(), length },
    })
  }
  if (value <= 0xffff_ffffn) {
    let n = Number(value)
    for (let i = offset + length - 1; i >= offset; i--) {
      target[i] = n & 0xff
      n >>>= 8
    }
    return
  }
  const hex = value.toString(16).padStart(length * 2, '0')
  for (let i = 0; i < length; i++) {
    target[offset + i] =
      ((NIBBLE[hex.charCodeAt(2 * i)] as number) << 4) | (NIBBLE[hex.charCodeAt(2 * i + 1)] as number)
  }
}

/** `value` as exactly `length` big-endian bytes; throws `VALUE_OUT_OF_RANGE` if it does not fit. */
export function bigintToBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length)
  writeBigintBE(out, 0, value, length)
  return out
}

/** Bytes needed for `value` without leading zeros (0 for zero). `value` must be >= 0. */
export function minimalByteLength(value: bigint): number {
  if (value === 0n) return 0
  if (value <= 0xffff_ffffn) {
    const n = Number(value)
    return n < 0x100 ? 1 : n < 0x1_0000 ? 2 : n < 0x100_0000 ? 3 : 4
  }
  return (value.toString(16).length + 1) >> 1
}

/** `value` big-endian without leading zeros (empty for zero), as RLP and ABI-free formats want it. */
export function bigintToMinimalBytes(value: bigint): Uint8Array {
  return bigintToBytes(value, minimalByteLength(value))
}

/** True for a `0x`-prefixed 40-hex-digit string (any case). */
export function isAddress(value: unknown): value is Address {
  return typeof value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(value)
}

/** Lowercase form of an address; throws `INVALID_ADDRESS` if it is not 20 bytes of hex. */
export function normalizeAddress(value: string): Address {
  if (!isAddress(value)) {
    throw new L2kitError('INVALID_ADDRESS', `not an address: ${JSON.stringify(value).slice(0, 60)}`, {
      details: { value: String(value).slice(0, 60) },
    })
  }
  return value.toLowerCase() as Address
}

/** The 20 bytes of an address. Throws `INVALID_ADDRESS` if it is not one. */
export function addressToBytes(address: Address): Uint8Array {
  if (!isAddress(address)) normalizeAddress(address)
  return hexToBytes(address)
}

/** Lowercase address of 20 bytes (`bytes.subarray(offset, offset + 20)`). */
export function bytesToAddress(bytes: Uint8Array, offset = 0): Address {
  if (offset < 0 || offset + 20 > bytes.length) {
    throw new L2kitError('INVALID_ADDRESS', 'an address needs 20 bytes', {
      details: { available: bytes.length - offset },
    })
  }
  let out = '0x'
  for (let i = offset; i < offset + 20; i++) out += HEX_BYTE[bytes[i] as number]
  return out as Address
}

/** An append-only byte buffer that grows as needed. */
export class ByteWriter {
  private buf: Uint8Array
  private pos = 0

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity))
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos
  }

  private ensure(extra: number): void {
    const need = this.pos + extra
    if (need <= this.buf.length) return
    let cap = this.buf.length * 2
    while (cap < need) cap *= 2
    const next = new Uint8Array(cap)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
  }

  /** One byte (0..255). */
  u8(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) {
      throw new L2kitError('VALUE_OUT_OF_RANGE', `${value} is not a byte`, { details: { value } })
    }
    this.ensure(1)
    this.buf[this.pos++] = value
    return this
  }

  /** Raw bytes. */
  bytes(value: Uint8Array): this {
    this.ensure(value.length)
    this.buf.set(value, this.pos)
    this.pos += value.length
    return this
  }

  /** Unsigned 32-bit big-endian. */
  u32be(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
      throw new L2kitError('VALUE_OUT_OF_RANGE', `${value} is not a uint32`, { details: { value } })
    }
    this.ensure(4)
    this.buf[this.pos++] = value >>> 24
    this.buf[this.pos++] = (value >>> 16) & 0xff
    this.buf[this.pos++] = (value >>> 8) & 0xff
    this.buf[this.pos++] = value & 0xff
    return this
  }

  /** Unsigned big-endian integer in exactly `length` bytes. */
  uintBE(value: bigint, length: number): this {
    this.ensure(length)
    writeBigintBE(this.buf, this.pos, value, length)
    this.pos += length
    return this
  }

  /** Unsigned LEB128 varint of a safe integer. */
  varint(value: number): this {
    this.ensure(varintLength(value))
    this.pos = writeVarint(this.buf, this.pos, value)
    return this
  }

  /** Unsigned LEB128 varint of a bigint. */
  varbig(value: bigint): this {
    this.ensure(varbigLength(value))
    this.pos = writeVarbig(this.buf, this.pos, value)
    return this
  }

  /** The bytes written (a copy; the writer can keep going). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos)
  }
}

/**
 * A cursor over bytes. Every read is bounds-checked; any problem throws `L2kitError(code)` with the reason and
 * offset, so a decoder built on it never throws anything else on arbitrary input.
 */
export class ByteReader {
  readonly bytes: Uint8Array
  readonly code: ErrorCode
  offset = 0

  constructor(bytes: Uint8Array, code: ErrorCode = 'MALFORMED_DATA') {
    this.bytes = bytes
    this.code = code
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.bytes.length - this.offset
  }

  /** Throws this reader's error with `reason`. */
  fail(reason: string, details: Record<string, unknown> = {}): never {
    throw new L2kitError(this.code, reason, { details: { offset: this.offset, ...details } })
  }

  private need(n: number, what: string): void {
    if (n > this.bytes.length - this.offset) {
      this.fail(`data ends early: ${what} needs ${n} bytes, ${this.bytes.length - this.offset} left`, {
        needed: n,
      })
    }
  }

  u8(): number {
    this.need(1, 'a byte')
    return this.bytes[this.offset++] as number
  }

  /** The next `n` bytes as a view (not a copy). */
  bytesView(n: number, what = 'a field'): Uint8Array {
    this.need(n, what)
    const out = this.bytes.subarray(this.offset, this.offset + n)
    this.offset += n
    return out
  }

  /** The next `n` bytes as a copy. */
  bytesCopy(n: number, what = 'a field'): Uint8Array {
    return this.bytesView(n, what).slice()
  }

  u32be(): number {
    this.need(4, 'a uint32')
    const b = this.bytes
    const o = this.offset
    this.offset += 4
    return (
      (((b[o] as number) << 24) |
        ((b[o + 1] as number) << 16) |
        ((b[o + 2] as number) << 8) |
        (b[o + 3] as number)) >>>
      0
    )
  }

  /** Big-endian unsigned integer of `length` bytes. */
  uintBE(length: number): bigint {
    return bytesToBigint(this.bytesView(length, `a ${length}-byte integer`))
  }

  /** A minimal varint no larger than `max`. */
  varint(max: number = Number.MAX_SAFE_INTEGER): number {
    const r = readVarint(this.bytes, this.offset, max, this.code)
    this.offset = r.next
    return r.value
  }

  /** A minimal varint below `2^maxBits`. */
  varbig(maxBits = 256): bigint {
    const r = readVarbig(this.bytes, this.offset, maxBits, this.code)
    this.offset = r.next
    return r.value
  }

  /** A 20-byte address (lowercase). */
  address(): Address {
    this.need(20, 'an address')
    const a = bytesToAddress(this.bytes, this.offset)
    this.offset += 20
    return a
  }

  /** Throws unless every byte was read. */
  end(): void {
    if (this.offset !== this.bytes.length) {
      this.fail(`${this.bytes.length - this.offset} unexpected trailing bytes`, {
        trailing: this.bytes.length - this.offset,
      })
    }
  }
}
