/**
 * The state commitment of the fraud-proof game (docs/optimistic.md, "State commitment"): the TypeScript mirror
 * of contracts/src/optimistic/StateCommitment.sol. One trace leaf is `stateCommitment(header)`.
 */
import { bytesToHex, hexToBytes, writeBigintBE } from './bytes.ts'
import { L2kitError } from './errors.ts'
import { keccak256 } from './hash.ts'
import type { Hex } from './types.ts'

/** Preimage of a trace leaf (`StateCommitment.StateHeader`). */
export type StateHeader = {
  accountsRoot: Hex
  withdrawalsRoot: Hex
  addressesRoot: Hex
  /** uint64 */
  accountCount: bigint
  /** uint64 */
  withdrawalCount: bigint
  /** uint64 */
  depositCount: bigint
  /** uint64: the number of the last closed L2 block (genesis 0). */
  blockNumber: bigint
  /** uint16: the largest token index of any deposit applied so far. */
  tokenCount: number
}

/** Length of `abi.encodePacked(StateHeader)`: 3 × 32 + 4 × 8 + 2. */
export const STATE_HEADER_PACKED_BYTES = 130

const TWO_POW_64 = 1n << 64n

function bad(field: string, problem: string): never {
  throw new L2kitError('INVALID_STATE_HEADER', `state header ${field} ${problem}`, { details: { field } })
}

function root(value: Hex, field: string): Uint8Array {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(value))
    bad(field, `must be 32 bytes of 0x-hex, got ${String(value).slice(0, 80)}`)
  return hexToBytes(value)
}

function uint64(value: bigint, field: string): bigint {
  if (typeof value !== 'bigint' || value < 0n || value >= TWO_POW_64)
    bad(field, `must be a uint64, got ${String(value)}`)
  return value
}

/**
 * `abi.encodePacked(accountsRoot, withdrawalsRoot, addressesRoot, uint64 accountCount, uint64 withdrawalCount,
 * uint64 depositCount, uint64 blockNumber, uint16 tokenCount)`, 130 bytes. Throws `INVALID_STATE_HEADER` when a
 * field does not fit its Solidity type.
 */
export function encodeStateHeaderPacked(h: StateHeader): Uint8Array {
  const out = new Uint8Array(STATE_HEADER_PACKED_BYTES)
  out.set(root(h.accountsRoot, 'accountsRoot'), 0)
  out.set(root(h.withdrawalsRoot, 'withdrawalsRoot'), 32)
  out.set(root(h.addressesRoot, 'addressesRoot'), 64)
  writeBigintBE(out, 96, uint64(h.accountCount, 'accountCount'), 8)
  writeBigintBE(out, 104, uint64(h.withdrawalCount, 'withdrawalCount'), 8)
  writeBigintBE(out, 112, uint64(h.depositCount, 'depositCount'), 8)
  writeBigintBE(out, 120, uint64(h.blockNumber, 'blockNumber'), 8)
  const t = h.tokenCount
  if (!Number.isInteger(t) || t < 0 || t > 0xffff) bad('tokenCount', `must be a uint16, got ${String(t)}`)
  out[128] = t >> 8
  out[129] = t & 0xff
  return out
}

/** `StateCommitment.commitment(h)`: keccak256 of the 130-byte packed header; a trace leaf. */
export function stateCommitment(h: StateHeader): Hex {
  return bytesToHex(keccak256(encodeStateHeaderPacked(h)))
}

/** `StateCommitment.stateRoot(h)` = `keccak256(accountsRoot ‖ withdrawalsRoot)`, what withdrawals prove against. */
export function stateRootOfHeader(h: Pick<StateHeader, 'accountsRoot' | 'withdrawalsRoot'>): Hex {
  const packed = new Uint8Array(64)
  packed.set(root(h.accountsRoot, 'accountsRoot'), 0)
  packed.set(root(h.withdrawalsRoot, 'withdrawalsRoot'), 32)
  return bytesToHex(keccak256(packed))
}
