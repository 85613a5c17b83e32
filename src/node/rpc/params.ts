/** Parsing of Ethereum JSON-RPC parameters: every malformed one is -32602 with a message that says why. */
import { isAddress } from 'viem'
import type { Address, Hex } from '../../core/types.ts'
import type { CallRequest } from './chainView.ts'
import { invalidParams } from './errors.ts'

/** Tags that name the newest state: `latest`, `pending`, `safe`, `finalized` (every block is final at once). */
export function isHeadTag(v: unknown): boolean {
  return v === 'latest' || v === 'pending' || v === 'safe' || v === 'finalized'
}

export function param<T = unknown>(params: unknown[], i: number, name: string): T {
  if (params.length <= i) throw invalidParams(`missing parameter ${i + 1} (${name})`)
  return params[i] as T
}

/** A 20-byte address, lowercased. */
export function addressParam(params: unknown[], i: number, name: string): Address {
  const v = param(params, i, name)
  if (typeof v !== 'string' || !isAddress(v, { strict: false }))
    throw invalidParams(`${name} must be a 0x-prefixed 20-byte address`)
  return v.toLowerCase() as Address
}

export function isHash(v: unknown): v is Hex {
  return typeof v === 'string' && /^0x[0-9a-fA-F]{64}$/.test(v)
}

/** A 32-byte hash parameter, lowercased; anything else (`""`, `[]`, short hex) is -32602 with a clear message. */
export function hashParam(params: unknown[], i: number, name: string): Hex {
  const v = param(params, i, name)
  if (!isHash(v)) {
    throw invalidParams(
      `${name} must be a 0x-prefixed 32-byte hex string (66 characters), got ${JSON.stringify(v)?.slice(0, 80)}`,
    )
  }
  return v.toLowerCase() as Hex
}

/** A hex quantity (or a safe non-negative JSON integer, which some clients send). */
export function quantity(v: unknown, name: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v)
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]+$/.test(v))
    throw invalidParams(`${name} must be a hex quantity`)
  return BigInt(v)
}

/** The fields of an eth_call / eth_estimateGas object the chain reads (`data`, else `input`, else empty). */
export function callRequest(v: unknown): CallRequest {
  const o = (v ?? {}) as Record<string, unknown>
  const data = typeof o.data === 'string' ? o.data : typeof o.input === 'string' ? o.input : '0x'
  return {
    ...(typeof o.from === 'string' ? { from: o.from.toLowerCase() as Address } : {}),
    ...(typeof o.to === 'string' ? { to: o.to.toLowerCase() as Address } : {}),
    data: data as Hex,
  }
}

/** A non-negative integer amount (wei or token units): decimal string, 0x quantity, or a safe integer number. */
export function amountParam(v: unknown, what: string, { positive = true } = {}): bigint {
  let x: bigint
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) x = BigInt(v)
  else if (typeof v === 'string' && /^(0|[1-9][0-9]{0,77})$/.test(v)) x = BigInt(v)
  else if (typeof v === 'string' && /^0x(0|[1-9a-fA-F][0-9a-fA-F]{0,63})$/.test(v)) x = BigInt(v)
  else throw invalidParams(`${what} must be an integer amount (decimal string or 0x quantity)`)
  if (x >= 1n << 256n) throw invalidParams(`${what} does not fit 256 bits`)
  if (positive && x <= 0n) throw invalidParams(`${what} must be more than 0`)
  return x
}
