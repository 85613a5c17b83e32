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

/** The numeric fields of a call object, parsed when present (null = absent, as geth treats it). */
const CALL_QUANTITIES = ['value', 'gas', 'gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas', 'nonce'] as const

/**
 * The fields of an eth_call / eth_estimateGas / eth_createAccessList object: `data`, else `input`, else empty (both
 * given and different is geth's error); `from`/`to` lowercased as given; `value`, `gas`, fees and `nonce` parsed
 * leniently (hex quantity or safe integer) when present; an `accessList`. Unknown fields (`type`, `chainId`,
 * blob fields) are ignored, as geth ignores what does not apply to a call.
 */
export function callRequest(v: unknown): CallRequest {
  if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v)))
    throw invalidParams('the call must be a transaction object')
  const o = (v ?? {}) as Record<string, unknown>
  if (
    typeof o.data === 'string' &&
    typeof o.input === 'string' &&
    o.data.toLowerCase() !== o.input.toLowerCase()
  )
    throw invalidParams(
      'both "data" and "input" are set and not equal. Please use "input" to pass transaction call data',
    )
  const data = typeof o.input === 'string' ? o.input : typeof o.data === 'string' ? o.data : '0x'
  const out: CallRequest = {
    ...(typeof o.from === 'string' ? { from: o.from.toLowerCase() as Address } : {}),
    ...(typeof o.to === 'string' ? { to: o.to.toLowerCase() as Address } : {}),
    data: data as Hex,
  }
  for (const field of CALL_QUANTITIES) {
    const x = o[field]
    if (x !== undefined && x !== null) out[field] = quantity(x, field)
  }
  if (o.accessList !== undefined && o.accessList !== null) out.accessList = accessListParam(o.accessList)
  return out
}

function accessListParam(v: unknown): NonNullable<CallRequest['accessList']> {
  if (!Array.isArray(v)) throw invalidParams('accessList must be a list of {address, storageKeys}')
  return v.map((item) => {
    const o = (item ?? {}) as Record<string, unknown>
    if (typeof o.address !== 'string' || !isAddress(o.address, { strict: false }))
      throw invalidParams('accessList entries need an address')
    const keys = o.storageKeys ?? []
    if (!Array.isArray(keys) || !keys.every(isHash))
      throw invalidParams('accessList storageKeys must be 32-byte hashes')
    return {
      address: o.address.toLowerCase() as Address,
      storageKeys: keys.map((k) => (k as string).toLowerCase() as Hex),
    }
  })
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
