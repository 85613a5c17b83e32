/**
 * JSON with the values l2kit carries that plain JSON loses: bigints (amounts up to 2^256) and bytes.
 * - `toTaggedJson` / `fromTaggedJson`: an exact round trip (stores, deployment files): a bigint is written as
 *   `{"$bigint":"…"}` and bytes as `{"$bytes":"0x…"}`; reading also accepts the `"$n:…"` strings deployment files
 *   written before this codec used.
 * - `jsonSafe`: a one-way copy for output (JSON-RPC results, `--json` lines): bigints as hex quantities or decimal
 *   strings, bytes as hex, cycles and functions dropped.
 */

const LEGACY_BIGINT_PREFIX = '$n:'

function bytesToHexString(bytes: Uint8Array): string {
  let out = '0x'
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

function hexStringToBytes(hex: string): Uint8Array {
  const body = hex.slice(2)
  const out = new Uint8Array(body.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(body.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** A `JSON.stringify` replacer that tags bigints and bytes (use with a `function`, it reads `this[key]`). */
export function taggedJsonReplacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key]
  if (typeof raw === 'bigint') return { $bigint: raw.toString() }
  if (raw instanceof Uint8Array) return { $bytes: bytesToHexString(raw) }
  return value
}

/** The `JSON.parse` reviver of `taggedJsonReplacer`. */
export function taggedJsonReviver(_key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.startsWith(LEGACY_BIGINT_PREFIX)) {
    const digits = value.slice(LEGACY_BIGINT_PREFIX.length)
    return /^-?[0-9]+$/.test(digits) ? BigInt(digits) : value
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value)
    if (keys.length === 1) {
      const tagged = value as { $bigint?: unknown; $bytes?: unknown }
      if (typeof tagged.$bigint === 'string') return BigInt(tagged.$bigint)
      if (typeof tagged.$bytes === 'string') return hexStringToBytes(tagged.$bytes)
    }
  }
  return value
}

export function toTaggedJson(value: unknown): string {
  return JSON.stringify(value, taggedJsonReplacer)
}

export function fromTaggedJson<T>(text: string): T {
  return JSON.parse(text, taggedJsonReviver) as T
}

export function bigintToQuantity(value: bigint): string {
  return value < 0n ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`
}

/**
 * A JSON-safe copy of `value`: bigints as hex quantities or decimal strings, bytes as hex, cycles and
 * functions dropped.
 */
export function jsonSafe(value: unknown, bigints: 'hex' | 'decimal', seen = new WeakSet<object>()): unknown {
  if (typeof value === 'bigint') return bigints === 'hex' ? bigintToQuantity(value) : value.toString()
  if (value instanceof Uint8Array) return bytesToHexString(value)
  if (typeof value === 'function' || typeof value === 'symbol') return undefined
  if (typeof value !== 'object' || value === null) return value
  if (seen.has(value)) return '[circular]'
  seen.add(value)
  try {
    if (Array.isArray(value)) return value.map((item) => jsonSafe(item, bigints, seen) ?? null)
    if (value instanceof Error) return { name: value.name, message: value.message }
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      const safe = jsonSafe(v, bigints, seen)
      if (safe !== undefined) out[k] = safe
    }
    return out
  } finally {
    seen.delete(value)
  }
}
