/**
 * Packed amounts: `value = mantissa * 10^exponent`, the form every L2 transfer/withdrawal amount must fit so that
 * batches stay small (`1.5 ETH` is mantissa 15, exponent 17: three bytes instead of 32).
 *
 * Canonical form: trailing decimal zeros are moved into the exponent (0 is mantissa 0, exponent 0). A value is
 * packable iff it is a uint256 and its canonical mantissa is below 2^64 (so ~19 significant digits); the
 * exponent is then at most 77 automatically. Encoding: 1 byte exponent, then the mantissa as a varint. Decoding
 * rejects non-canonical encodings, so every amount has exactly one encoding.
 */
import { ByteReader, type ByteWriter } from './bytes.ts'
import { L2kitError } from './errors.ts'
import { encodeVarbig } from './varint.ts'

/** Largest mantissa a packed amount holds (2^64 - 1). */
export const MAX_PACKED_MANTISSA = (1n << 64n) - 1n
/** Largest exponent a packed amount holds. */
export const MAX_PACKED_EXPONENT = 77
const MAX_UINT256 = (1n << 256n) - 1n
const TWO_POW_64 = 1n << 64n

/** A packed amount in canonical form. */
export type PackedAmount = { mantissa: bigint; exponent: number }

const POW10: bigint[] = [1n]
for (let i = 1; i <= MAX_PACKED_EXPONENT + 1; i++) POW10.push((POW10[i - 1] as bigint) * 10n)

function pow10(e: number): bigint {
  return POW10[e] ?? 10n ** BigInt(e)
}

/** Canonical (mantissa, exponent) of a non-negative value, whatever the mantissa's size. */
function canonical(value: bigint): PackedAmount {
  if (value === 0n) return { mantissa: 0n, exponent: 0 }
  let m = value
  let e = 0
  // Strip zeros eight at a time first: most wallet amounts have many (1 ETH = 10^18 wei).
  while (m % 100_000_000n === 0n) {
    m /= 100_000_000n
    e += 8
  }
  while (m % 10n === 0n) {
    m /= 10n
    e++
  }
  return { mantissa: m, exponent: e }
}

/** True iff `value` is a uint256 whose canonical mantissa is below 2^64. */
export function isPackable(value: bigint): boolean {
  if (value < 0n || value > MAX_UINT256) return false
  return canonical(value).mantissa < TWO_POW_64
}

/**
 * The packable amounts closest to `value` from below and above (equal to `value` when it is packable).
 * `above` is undefined when no packable uint256 is >= value. Negative values give 0 for both.
 */
export function nearestPackableAmounts(value: bigint): { below: bigint; above: bigint | undefined } {
  if (value < 0n) return { below: 0n, above: 0n }
  if (value > MAX_UINT256) return { below: largestPackableUint256(), above: undefined }
  if (isPackable(value)) return { below: value, above: value }
  // Smallest k such that floor(value / 10^k) fits 64 bits: rounding to 10^k keeps the most digits.
  let k = 0
  let q = value
  while (q >= TWO_POW_64) {
    q /= 10n
    k++
  }
  const below = q * pow10(k)
  let above: bigint | undefined = (q + 1n) * pow10(k)
  if (!isPackable(above)) above = ((value + pow10(k + 1) - 1n) / pow10(k + 1)) * pow10(k + 1)
  if (above > MAX_UINT256 || !isPackable(above)) above = undefined
  return { below, above }
}

function largestPackableUint256(): bigint {
  return nearestPackableAmounts(MAX_UINT256).below
}

/** Canonical packed form of `value`; throws `AMOUNT_NOT_PACKABLE` (saying why, with nearby values) if none. */
export function packAmount(value: bigint): PackedAmount {
  if (value < 0n) {
    throw new L2kitError('AMOUNT_NOT_PACKABLE', `amount ${value} is negative; amounts are unsigned`, {
      details: { amount: value.toString() },
    })
  }
  if (value > MAX_UINT256) {
    throw new L2kitError('AMOUNT_NOT_PACKABLE', `amount ${value} does not fit in a uint256`, {
      details: { amount: value.toString() },
    })
  }
  const p = canonical(value)
  if (p.mantissa < TWO_POW_64) return p
  const { below, above } = nearestPackableAmounts(value)
  const digits = p.mantissa.toString().length
  throw new L2kitError(
    'AMOUNT_NOT_PACKABLE',
    `amount ${value} cannot be sent on this L2: transfer and withdrawal amounts must be m * 10^e with m < 2^64 ` +
      `(about 19 significant digits), but this one has ${digits} significant digits (${p.mantissa}). ` +
      `Round it, e.g. to ${below}${above === undefined ? '' : ` or ${above}`}.`,
    {
      details: {
        amount: value.toString(),
        mantissa: p.mantissa.toString(),
        exponent: p.exponent,
        suggestedBelow: below.toString(),
        ...(above === undefined ? {} : { suggestedAbove: above.toString() }),
      },
    },
  )
}

/** The value of a packed amount. Throws `INVALID_AMOUNT` unless it is canonical and a uint256. */
export function unpackAmount(packed: PackedAmount): bigint {
  const reason = packedAmountProblem(packed.mantissa, packed.exponent)
  if (reason !== undefined) {
    throw new L2kitError('INVALID_AMOUNT', reason, {
      details: { mantissa: packed.mantissa.toString(), exponent: packed.exponent },
    })
  }
  return packed.mantissa * pow10(packed.exponent)
}

/** Why (mantissa, exponent) is not a canonical packed uint256 amount, or undefined if it is. */
export function packedAmountProblem(m: bigint, e: number): string | undefined {
  if (!Number.isInteger(e) || e < 0 || e > MAX_PACKED_EXPONENT) return `amount exponent ${e} is outside 0..77`
  if (m < 0n || m > MAX_PACKED_MANTISSA) return `amount mantissa ${m} is outside 0..2^64-1`
  if (m === 0n) return e === 0 ? undefined : `zero amount must have exponent 0, not ${e}`
  if (m % 10n === 0n) return `amount mantissa ${m} ends in 0 (not canonical)`
  if (m * pow10(e) > MAX_UINT256) return `amount ${m}e${e} exceeds uint256`
  return undefined
}

/** Appends the encoding of `value` (exponent byte, mantissa varint). Throws `AMOUNT_NOT_PACKABLE` if none. */
export function writeAmount(writer: ByteWriter, value: bigint): void {
  const p = packAmount(value)
  writer.u8(p.exponent).varbig(p.mantissa)
}

/** Reads one encoded amount; a non-canonical or out-of-range encoding fails with the reader's error code. */
export function readAmount(reader: ByteReader): bigint {
  const e = reader.u8()
  const m = reader.varbig(64)
  const reason = packedAmountProblem(m, e)
  if (reason !== undefined) reader.fail(reason)
  return m * pow10(e)
}

/** Bytes of one encoded amount. */
export function encodeAmount(value: bigint): Uint8Array {
  const p = packAmount(value)
  const mantissa = encodeVarbig(p.mantissa)
  const out = new Uint8Array(1 + mantissa.length)
  out[0] = p.exponent
  out.set(mantissa, 1)
  return out
}

/** The amount encoded in exactly `bytes`; throws `INVALID_AMOUNT` on any malformed or non-canonical input. */
export function decodeAmount(bytes: Uint8Array): bigint {
  const reader = new ByteReader(bytes, 'INVALID_AMOUNT')
  const value = readAmount(reader)
  reader.end()
  return value
}
