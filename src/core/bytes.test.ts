import { describe, expect, it } from 'vitest'
import {
  addressToBytes,
  ByteReader,
  ByteWriter,
  bigintToBytes,
  bigintToMinimalBytes,
  bytesToAddress,
  bytesToBigint,
  bytesToHex,
  concatBytes,
  equalBytes,
  hexToBytes,
  isAddress,
  isHex,
  normalizeAddress,
} from './bytes.ts'
import { isL2kitError } from './errors.ts'

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return isL2kitError(error) ? error.code : `non-l2kit: ${String(error)}`
  }
  return undefined
}

describe('hex', () => {
  it('converts both ways, either case, with or without 0x', () => {
    expect(bytesToHex(new Uint8Array([0, 1, 0xab, 0xff]))).toBe('0x0001abff')
    expect([...hexToBytes('0x0001ABff')]).toEqual([0, 1, 0xab, 0xff])
    expect([...hexToBytes('0001abff')]).toEqual([0, 1, 0xab, 0xff])
    expect(hexToBytes('0x').length).toBe(0)
  })

  it('rejects odd lengths and non-hex characters with a typed error', () => {
    expect(code(() => hexToBytes('0x123'))).toBe('INVALID_HEX')
    expect(code(() => hexToBytes('0xzz'))).toBe('INVALID_HEX')
    expect(code(() => hexToBytes('0x1\u0130'))).toBe('INVALID_HEX')
    expect(code(() => hexToBytes('0xgg', 'INVALID_SIGNATURE'))).toBe('INVALID_SIGNATURE')
  })

  it('recognizes hex strings and addresses', () => {
    expect(isHex('0x')).toBe(true)
    expect(isHex('0xabc')).toBe(false)
    expect(isAddress('0x000000000000000000000000000000000000dEaD')).toBe(true)
    expect(isAddress('0x00')).toBe(false)
    expect(normalizeAddress('0x000000000000000000000000000000000000dEaD')).toBe(
      '0x000000000000000000000000000000000000dead',
    )
    expect(code(() => normalizeAddress('0x1234'))).toBe('INVALID_ADDRESS')
    const a = '0x00112233445566778899aabbccddeeff00112233'
    expect(bytesToAddress(addressToBytes(a))).toBe(a)
  })
})

describe('integers', () => {
  it('converts big-endian integers of any size', () => {
    expect(bytesToBigint(new Uint8Array())).toBe(0n)
    expect(bytesToBigint(new Uint8Array([1, 0]))).toBe(256n)
    const big = 2n ** 255n + 12345n
    expect(bytesToBigint(bigintToBytes(big, 32))).toBe(big)
    expect([...bigintToBytes(258n, 4)]).toEqual([0, 0, 1, 2])
    expect(bigintToMinimalBytes(0n).length).toBe(0)
    expect([...bigintToMinimalBytes(0x1_0000_0000n)]).toEqual([1, 0, 0, 0, 0])
    expect(code(() => bigintToBytes(256n, 1))).toBe('VALUE_OUT_OF_RANGE')
    expect(code(() => bigintToBytes(-1n, 1))).toBe('VALUE_OUT_OF_RANGE')
    expect(code(() => bigintToBytes(2n ** 256n, 32))).toBe('VALUE_OUT_OF_RANGE')
  })

  it('concatenates and compares', () => {
    expect([...concatBytes(new Uint8Array([1]), new Uint8Array(), new Uint8Array([2, 3]))]).toEqual([1, 2, 3])
    expect(equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true)
    expect(equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false)
    expect(equalBytes(new Uint8Array([1]), new Uint8Array([1, 3]))).toBe(false)
  })
})

describe('ByteWriter / ByteReader', () => {
  it('round-trips every field type and grows past its initial capacity', () => {
    const w = new ByteWriter(16)
    const blob = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff)
    w.u8(7)
      .u32be(0xdeadbeef)
      .varint(300)
      .varbig(2n ** 200n)
      .uintBE(2n ** 100n, 20)
      .bytes(blob)
    w.bytes(addressToBytes('0x00112233445566778899aabbccddeeff00112233'))
    const out = w.finish()
    expect(out.length).toBe(w.length)
    const r = new ByteReader(out)
    expect(r.u8()).toBe(7)
    expect(r.u32be()).toBe(0xdeadbeef)
    expect(r.varint()).toBe(300)
    expect(r.varbig()).toBe(2n ** 200n)
    expect(r.uintBE(20)).toBe(2n ** 100n)
    expect(equalBytes(r.bytesCopy(1000), blob)).toBe(true)
    expect(r.address()).toBe('0x00112233445566778899aabbccddeeff00112233')
    expect(r.remaining).toBe(0)
    r.end()
  })

  it('throws its own error code on truncation and trailing bytes', () => {
    const r = new ByteReader(new Uint8Array([1, 2]), 'INVALID_BATCH')
    expect(code(() => r.u32be())).toBe('INVALID_BATCH')
    expect(code(() => r.end())).toBe('INVALID_BATCH')
    expect(code(() => new ByteReader(new Uint8Array([0x80])).varint())).toBe('MALFORMED_DATA')
    expect(code(() => new ByteReader(new Uint8Array(19)).address())).toBe('MALFORMED_DATA')
    expect(code(() => new ByteReader(new Uint8Array(3)).bytesView(4))).toBe('MALFORMED_DATA')
  })

  it('rejects out-of-range writes', () => {
    expect(code(() => new ByteWriter().u8(256))).toBe('VALUE_OUT_OF_RANGE')
    expect(code(() => new ByteWriter().u32be(-1))).toBe('VALUE_OUT_OF_RANGE')
    expect(code(() => new ByteWriter().uintBE(256n, 1))).toBe('VALUE_OUT_OF_RANGE')
  })
})
