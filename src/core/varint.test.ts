import { describe, expect, it } from 'vitest'
import { isL2kitError } from './errors.ts'
import {
  encodeVarbig,
  encodeVarint,
  readVarbig,
  readVarint,
  varbigLength,
  varintLength,
  writeVarint,
} from './varint.ts'

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return isL2kitError(error) ? error.code : `non-l2kit: ${String(error)}`
  }
  return undefined
}

describe('varint', () => {
  it('encodes known LEB128 vectors', () => {
    expect([...encodeVarint(0)]).toEqual([0])
    expect([...encodeVarint(1)]).toEqual([1])
    expect([...encodeVarint(127)]).toEqual([0x7f])
    expect([...encodeVarint(128)]).toEqual([0x80, 0x01])
    expect([...encodeVarint(300)]).toEqual([0xac, 0x02])
    expect([...encodeVarint(21_000)]).toEqual([0x88, 0xa4, 0x01])
    expect([...encodeVarbig(300n)]).toEqual([0xac, 0x02])
  })

  it('round-trips numbers across every length boundary, up to MAX_SAFE_INTEGER', () => {
    const values = [
      0,
      1,
      127,
      128,
      16383,
      16384,
      2 ** 21 - 1,
      2 ** 21,
      2 ** 31,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 35,
      2 ** 49,
    ]
    values.push(Number.MAX_SAFE_INTEGER)
    for (const v of values) {
      const enc = encodeVarint(v)
      expect(enc.length).toBe(varintLength(v))
      expect(readVarint(enc, 0)).toEqual({ value: v, next: enc.length })
      expect([...encodeVarbig(BigInt(v))]).toEqual([...enc])
    }
  })

  it('round-trips bigints up to 2^256 - 1', () => {
    const values = [
      0n,
      1n,
      2n ** 28n - 1n,
      2n ** 28n,
      2n ** 56n,
      2n ** 64n - 1n,
      2n ** 64n,
      10n ** 30n,
      2n ** 256n - 1n,
    ]
    for (const v of values) {
      const enc = encodeVarbig(v)
      expect(enc.length).toBe(varbigLength(v))
      expect(readVarbig(enc, 0)).toEqual({ value: v, next: enc.length })
    }
  })

  it('writes at an offset and reads back from it', () => {
    const buf = new Uint8Array(10)
    const end = writeVarint(buf, 3, 300)
    expect(end).toBe(5)
    expect(readVarint(buf, 3)).toEqual({ value: 300, next: 5 })
  })

  it('rejects truncated, non-minimal and oversized encodings', () => {
    expect(code(() => readVarint(new Uint8Array([0x80]), 0))).toBe('INVALID_VARINT')
    expect(code(() => readVarint(new Uint8Array([]), 0))).toBe('INVALID_VARINT')
    expect(code(() => readVarint(new Uint8Array([0x80, 0x00]), 0))).toBe('INVALID_VARINT')
    expect(code(() => readVarbig(new Uint8Array([0x81, 0x80, 0x00]), 0))).toBe('INVALID_VARINT')
    expect(code(() => readVarint(encodeVarbig(2n ** 53n), 0))).toBe('INVALID_VARINT')
    expect(code(() => readVarint(encodeVarint(1000), 0, 999))).toBe('INVALID_VARINT')
    expect(code(() => readVarbig(encodeVarbig(2n ** 64n), 0, 64))).toBe('INVALID_VARINT')
    expect(readVarbig(encodeVarbig(2n ** 64n - 1n), 0, 64).value).toBe(2n ** 64n - 1n)
    expect(code(() => readVarbig(encodeVarbig(2n ** 256n), 0))).toBe('INVALID_VARINT')
    expect(code(() => readVarint(new Uint8Array(12).fill(0xff), 0))).toBe('INVALID_VARINT')
  })

  it('uses the caller error code', () => {
    expect(code(() => readVarint(new Uint8Array([0x80]), 0, 10, 'INVALID_BATCH'))).toBe('INVALID_BATCH')
  })

  it('refuses to encode negative or unsafe values', () => {
    expect(code(() => encodeVarint(-1))).toBe('INVALID_VARINT')
    expect(code(() => encodeVarint(1.5))).toBe('INVALID_VARINT')
    expect(code(() => encodeVarint(2 ** 53))).toBe('INVALID_VARINT')
    expect(code(() => encodeVarbig(-1n))).toBe('INVALID_VARINT')
  })

  it('never throws a non-l2kit error on random input', () => {
    let seed = 1
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) >>> 0
      return (seed >>> 16) & 0xff
    }
    for (let i = 0; i < 2000; i++) {
      const bytes = Uint8Array.from({ length: 1 + (i % 40) }, rnd)
      const c1 = code(() => readVarint(bytes, 0))
      const c2 = code(() => readVarbig(bytes, 0, 256))
      for (const c of [c1, c2]) if (c !== undefined) expect(c).toBe('INVALID_VARINT')
    }
  })
})
