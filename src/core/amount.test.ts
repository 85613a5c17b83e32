import { describe, expect, it } from 'vitest'
import {
  decodeAmount,
  encodeAmount,
  isPackable,
  MAX_PACKED_MANTISSA,
  nearestPackableAmounts,
  packAmount,
  readAmount,
  unpackAmount,
  writeAmount,
} from './amount.ts'
import { ByteReader, ByteWriter } from './bytes.ts'
import { isL2kitError, L2kitError } from './errors.ts'

const MAX_UINT256 = 2n ** 256n - 1n

function error(fn: () => unknown): L2kitError | undefined {
  try {
    fn()
  } catch (e) {
    if (e instanceof L2kitError) return e
    throw e
  }
  return undefined
}

describe('packed amounts', () => {
  it('packs into canonical form: trailing zeros go to the exponent', () => {
    expect(packAmount(0n)).toEqual({ mantissa: 0n, exponent: 0 })
    expect(packAmount(1n)).toEqual({ mantissa: 1n, exponent: 0 })
    expect(packAmount(10n ** 18n)).toEqual({ mantissa: 1n, exponent: 18 })
    expect(packAmount(15n * 10n ** 17n)).toEqual({ mantissa: 15n, exponent: 17 })
    expect(packAmount(1234500n)).toEqual({ mantissa: 12345n, exponent: 2 })
    expect(packAmount(10n ** 77n)).toEqual({ mantissa: 1n, exponent: 77 })
    expect(packAmount(MAX_PACKED_MANTISSA)).toEqual({ mantissa: MAX_PACKED_MANTISSA, exponent: 0 })
  })

  it('says which values fit', () => {
    expect(isPackable(0n)).toBe(true)
    expect(isPackable(MAX_PACKED_MANTISSA)).toBe(true)
    expect(isPackable(MAX_PACKED_MANTISSA + 1n)).toBe(false)
    expect(isPackable((MAX_PACKED_MANTISSA + 1n) * 10n)).toBe(false)
    expect(isPackable(MAX_PACKED_MANTISSA * 10n ** 50n)).toBe(true)
    expect(isPackable(123456789012345678901n)).toBe(false)
    expect(isPackable(-1n)).toBe(false)
    expect(isPackable(MAX_UINT256)).toBe(false)
    expect(isPackable(10n ** 77n)).toBe(true)
    expect(isPackable(2n * 10n ** 77n)).toBe(false) // > uint256
  })

  it('rejects an unpackable amount with a reason and nearby values that fit', () => {
    const v = 123456789012345678901n
    const e = error(() => packAmount(v))
    expect(e?.code).toBe('AMOUNT_NOT_PACKABLE')
    expect(e?.message).toContain('21 significant digits')
    expect(e?.message).toContain('12345678901234567890')
    expect(e?.details.suggestedBelow).toBe('123456789012345678900')
    expect(e?.details.suggestedAbove).toBe('123456789012345678910')
    expect(isPackable(BigInt(e?.details.suggestedBelow as string))).toBe(true)
    expect(isPackable(BigInt(e?.details.suggestedAbove as string))).toBe(true)
    expect(error(() => packAmount(-5n))?.message).toContain('negative')
    expect(error(() => packAmount(MAX_UINT256 + 1n))?.message).toContain('uint256')
  })

  it('suggests the closest packable values around a value', () => {
    const cases = [
      123456789012345678901n,
      MAX_PACKED_MANTISSA + 1n,
      18446744073709551615_9n, // floor mantissa is 2^64-1, the next one up (2^64) does not fit
      10n ** 30n + 1n,
      MAX_UINT256,
    ]
    for (const v of cases) {
      const { below, above } = nearestPackableAmounts(v)
      expect(below).toBeLessThanOrEqual(v)
      expect(isPackable(below)).toBe(true)
      if (above !== undefined) {
        expect(above).toBeGreaterThanOrEqual(v)
        expect(isPackable(above)).toBe(true)
      }
    }
    expect(nearestPackableAmounts(18446744073709551615_9n)).toEqual({
      below: 18446744073709551615_0n,
      above: 1844674407370955162_00n,
    })
    expect(nearestPackableAmounts(MAX_UINT256).above).toBeUndefined()
    expect(nearestPackableAmounts(42n)).toEqual({ below: 42n, above: 42n })
  })

  it('encodes as exponent byte + varint mantissa and round-trips', () => {
    expect([...encodeAmount(0n)]).toEqual([0, 0])
    expect([...encodeAmount(15n * 10n ** 17n)]).toEqual([17, 15])
    expect([...encodeAmount(300n)]).toEqual([2, 3])
    expect([...encodeAmount(301n)]).toEqual([0, 0xad, 0x02])
    const values = [
      0n,
      1n,
      7n,
      10n ** 18n,
      123456n * 10n ** 12n,
      MAX_PACKED_MANTISSA,
      MAX_PACKED_MANTISSA * 10n ** 57n,
    ]
    values.push(10n ** 77n)
    const w = new ByteWriter()
    for (const v of values) {
      expect(decodeAmount(encodeAmount(v))).toBe(v)
      writeAmount(w, v)
    }
    const r = new ByteReader(w.finish())
    for (const v of values) expect(readAmount(r)).toBe(v)
    r.end()
  })

  it('rejects non-canonical and out-of-range encodings, so every amount has one encoding', () => {
    const bad = [
      [1, 0], // zero with a non-zero exponent
      [0, 10], // mantissa ending in 0
      [2, 20], // mantissa ending in 0
      [78, 1], // exponent above 77
      [77, 2], // 2e77 > uint256
      [0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02], // mantissa 2^64
      [0, 0x80, 0], // non-minimal varint
      [0], // truncated
      [],
      [0, 1, 0], // trailing byte
    ]
    for (const bytes of bad) {
      const e = error(() => decodeAmount(Uint8Array.from(bytes)))
      expect(e?.code, JSON.stringify(bytes)).toBe('INVALID_AMOUNT')
    }
    expect(error(() => unpackAmount({ mantissa: 10n, exponent: 0 }))?.code).toBe('INVALID_AMOUNT')
    expect(unpackAmount({ mantissa: 15n, exponent: 17 })).toBe(15n * 10n ** 17n)
  })

  it('has exactly one encoding per value over all two-byte inputs', () => {
    const seen = new Map<bigint, string>()
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 128; b++) {
        const bytes = Uint8Array.from([a, b])
        let v: bigint
        try {
          v = decodeAmount(bytes)
        } catch (e) {
          expect(isL2kitError(e, 'INVALID_AMOUNT')).toBe(true)
          continue
        }
        expect(seen.has(v), `${v} decoded twice`).toBe(false)
        seen.set(v, `${a},${b}`)
        expect([...encodeAmount(v)]).toEqual([a, b])
      }
    }
  })
})
