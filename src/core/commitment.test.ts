import { keccak_256 } from '@noble/hashes/sha3.js'
import { describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes } from './bytes.ts'
import {
  encodeStateHeaderPacked,
  STATE_HEADER_PACKED_BYTES,
  type StateHeader,
  stateCommitment,
  stateRootOfHeader,
} from './commitment.ts'
import { isL2kitError } from './errors.ts'

const header: StateHeader = {
  accountsRoot: `0x${'11'.repeat(31)}a1`,
  withdrawalsRoot: `0x${'22'.repeat(31)}b2`,
  addressesRoot: `0x${'33'.repeat(31)}c3`,
  accountCount: 0x0102030405060708n,
  withdrawalCount: 9n,
  depositCount: (1n << 64n) - 1n,
  blockNumber: 0xabcdefn,
  tokenCount: 0x1234,
}

/** abi.encodePacked by hand: fixed-width big-endian hex fields, concatenated. */
function handPacked(h: StateHeader): string {
  const u = (v: bigint | number, bytes: number) =>
    BigInt(v)
      .toString(16)
      .padStart(bytes * 2, '0')
  return (
    h.accountsRoot.slice(2) +
    h.withdrawalsRoot.slice(2) +
    h.addressesRoot.slice(2) +
    u(h.accountCount, 8) +
    u(h.withdrawalCount, 8) +
    u(h.depositCount, 8) +
    u(h.blockNumber, 8) +
    u(h.tokenCount, 2)
  )
}

describe('state commitment', () => {
  it('packs the header exactly as abi.encodePacked (130 bytes) and hashes it with keccak256', () => {
    const hand = handPacked(header)
    expect(hand.length).toBe(2 * 130)
    expect(STATE_HEADER_PACKED_BYTES).toBe(130)
    expect(bytesToHex(encodeStateHeaderPacked(header))).toBe(`0x${hand}`)
    expect(stateCommitment(header)).toBe(bytesToHex(keccak_256(hexToBytes(hand))))
  })

  it('changes with every field', () => {
    const base = stateCommitment(header)
    const variants: Partial<StateHeader>[] = [
      { accountsRoot: `0x${'00'.repeat(32)}` },
      { withdrawalsRoot: `0x${'00'.repeat(32)}` },
      { addressesRoot: `0x${'00'.repeat(32)}` },
      { accountCount: 1n },
      { withdrawalCount: 10n },
      { depositCount: 0n },
      { blockNumber: 1n },
      { tokenCount: 0x1235 },
    ]
    for (const v of variants) expect(stateCommitment({ ...header, ...v })).not.toBe(base)
  })

  it('computes the state root from the two roots only', () => {
    const expected = bytesToHex(
      keccak_256(hexToBytes(header.accountsRoot.slice(2) + header.withdrawalsRoot.slice(2))),
    )
    expect(stateRootOfHeader(header)).toBe(expected)
    const other: StateHeader = { ...header, addressesRoot: `0x${'00'.repeat(32)}`, blockNumber: 5n }
    expect(stateRootOfHeader(other)).toBe(expected)
  })

  it('rejects fields that do not fit their Solidity types', () => {
    const bad: Partial<StateHeader>[] = [
      { accountCount: 1n << 64n },
      { withdrawalCount: -1n },
      { blockNumber: 1n << 64n },
      { tokenCount: 0x10000 },
      { tokenCount: 1.5 },
      { accountsRoot: '0x1234' },
      { addressesRoot: `0x${'zz'.repeat(32)}` },
    ]
    for (const b of bad) {
      try {
        stateCommitment({ ...header, ...b })
        expect.unreachable(`accepted ${JSON.stringify(b, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`)
      } catch (error) {
        expect(isL2kitError(error, 'INVALID_STATE_HEADER')).toBe(true)
      }
    }
  })
})
