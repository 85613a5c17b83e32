/** The arithmetic mapping between a bridged token's index (1..255) and its L2 address. */
import { L2_TOKEN_ADDRESS_PREFIX, MAX_TOKENS } from './constants.ts'
import { L2kitError } from './errors.ts'
import type { Address } from './types.ts'

/** L2 address of bridged token `tokenIndex` (1..255): the token prefix and the index as two lowercase hex digits. */
export function l2TokenAddress(tokenIndex: number): Address {
  if (!Number.isInteger(tokenIndex) || tokenIndex < 1 || tokenIndex > MAX_TOKENS) {
    throw new L2kitError('INVALID_TOKEN_INDEX', `token index must be 1..${MAX_TOKENS}, got ${tokenIndex}`, {
      details: { tokenIndex },
    })
  }
  return `${L2_TOKEN_ADDRESS_PREFIX}${tokenIndex.toString(16).padStart(2, '0')}` as Address
}

/** Token index (1..255) whose L2 address is `address` (any case), or undefined if it is not a token address. */
export function tokenIndexFromL2Address(address: string): number | undefined {
  if (address.length !== 42) return undefined
  const lower = address.toLowerCase()
  if (!lower.startsWith(L2_TOKEN_ADDRESS_PREFIX)) return undefined
  const digits = lower.slice(40)
  if (!/^[0-9a-f]{2}$/.test(digits)) return undefined
  const index = Number.parseInt(digits, 16)
  return index >= 1 ? index : undefined
}
