/**
 * Channel states as ChannelHub sees them (docs/channels.md, "L1 contracts"): the channel id, HTLC hashing, the
 * EIP-712 digests of states, revocations and cooperative closes, and the 65-byte signatures over them. Pure; the
 * contracts' view helpers (`hashState`, …) give the same digests, which the end-to-end tests check.
 */
import { encodeAbiParameters } from 'viem'
import { bytesToHex, concatBytes, hexToBytes } from '../../core/bytes.ts'
import {
  abiWord,
  domainSeparatorOf,
  type Eip712Domain,
  signDigest65,
  signerOf65,
  typedDataDigest,
  typeHash,
} from '../../core/eip712.ts'
import { L2kitError } from '../../core/errors.ts'
import { keccak256 } from '../../core/hash.ts'
import type { Address, Hex } from '../../core/types.ts'
import { ChannelErrorCode } from './errors.ts'

/** The contract's cap on pending HTLCs in one state (bounds settle's gas). */
export const MAX_HTLCS = 64
/** Dispute window bounds enforced by ChannelHub.open (seconds). */
export const MIN_DISPUTE_WINDOW = 1n
/** ChannelHub's phases of a channel, by the number `status(channelId)` returns. */
export const CHANNEL_PHASES = ['none', 'open', 'closing', 'settled'] as const
export type ChannelPhase = (typeof CHANNEL_PHASES)[number]

export const MAX_DISPUTE_WINDOW = 30n * 24n * 3600n

/** A channel's fixed parameters; its id is derived from them, the chain id and the hub address. */
export type ChannelParams = {
  partyA: Address
  partyB: Address
  /** the zero address for ETH */
  token: Address
  total: bigint
  /** seconds */
  disputeWindow: bigint
  nonce: bigint
}

/** 0: offered by A (B claims it with the preimage); 1: offered by B. */
export type HtlcDirection = 0 | 1

export type Htlc = {
  direction: HtlcDirection
  amount: bigint
  /** sha256 of the preimage */
  paymentHash: Hex
  /** L1 block timestamp (seconds) after which the sender may take it back */
  expiry: bigint
}

/** A state both parties sign. `seq` 0 is the implicit opening state (all funds with A, no signatures). */
export type ChannelState = {
  channelId: Hex
  seq: bigint
  balanceA: bigint
  balanceB: bigint
  htlcs: readonly Htlc[]
}

/** Where the typed data is valid: the EIP-712 domain's chain id and verifying contract. */
export type ChannelDomain = { chainId: bigint; hub: Address }

const STATE_TYPEHASH = typeHash(
  'State(bytes32 channelId,uint64 seq,uint256 balanceA,uint256 balanceB,bytes32 htlcsHash)',
)
const REVOCATION_TYPEHASH = typeHash('Revocation(bytes32 channelId,uint64 seq)')
const COOP_CLOSE_TYPEHASH = typeHash('CooperativeClose(bytes32 channelId,uint256 balanceA,uint256 balanceB)')

const CHANNEL_TUPLE = {
  type: 'tuple',
  components: [
    { name: 'partyA', type: 'address' },
    { name: 'partyB', type: 'address' },
    { name: 'token', type: 'address' },
    { name: 'total', type: 'uint256' },
    { name: 'disputeWindow', type: 'uint64' },
    { name: 'nonce', type: 'uint64' },
  ],
} as const

const word = abiWord

const bytes32 = (h: Hex) => hexToBytes(h, ChannelErrorCode.invalidState)

/** `keccak256(abi.encode(block.chainid, hub, channel))`, as ChannelHub.channelId. */
export function channelIdOf(domain: ChannelDomain, params: ChannelParams): Hex {
  const encoded = encodeAbiParameters(
    [{ type: 'uint256' }, { type: 'address' }, CHANNEL_TUPLE],
    [domain.chainId, domain.hub, params],
  )
  return bytesToHex(keccak256(hexToBytes(encoded)))
}

/**
 * `keccak256(abi.encode(htlcs))` for an `Htlc[]` (the empty array included). Encoded by hand (every state signed or
 * checked hashes it; viem's generic encoder cost ~0.1 ms): offset 0x20 ‖ length ‖ per HTLC its four static words.
 * Values out of their ABI types' range are refused, as viem refuses them; state.test.ts checks the bytes against viem.
 */
export function htlcsHash(htlcs: readonly Htlc[]): Hex {
  const out = new Uint8Array(64 + 128 * htlcs.length)
  out[31] = 0x20
  out.set(word(BigInt(htlcs.length)), 32)
  htlcs.forEach((h, i) => {
    const at = 64 + 128 * i
    if (h.direction !== 0 && h.direction !== 1) invalidHtlc(i, 'direction must be 0 or 1')
    if (typeof h.amount !== 'bigint' || h.amount < 0n || h.amount >= 1n << 256n)
      invalidHtlc(i, 'amount must be a uint256')
    if (typeof h.expiry !== 'bigint' || h.expiry < 0n || h.expiry >= 1n << 64n)
      invalidHtlc(i, 'expiry must be a uint64')
    const hash = typeof h.paymentHash === 'string' ? bytes32(h.paymentHash) : new Uint8Array(0)
    if (hash.length !== 32) invalidHtlc(i, 'payment hash must be 32 bytes')
    out[at + 31] = h.direction
    out.set(word(h.amount), at + 32)
    out.set(hash, at + 64)
    out.set(word(h.expiry), at + 96)
  })
  return bytesToHex(keccak256(out))
}

function invalidHtlc(index: number, why: string): never {
  throw new L2kitError(ChannelErrorCode.invalidState, `HTLC ${index}: ${why}`)
}

/** A state as ChannelHub's `State` struct takes it: the HTLCs replaced by their hash. */
export function stateTuple(state: ChannelState): {
  channelId: Hex
  seq: bigint
  balanceA: bigint
  balanceB: bigint
  htlcsHash: Hex
} {
  return {
    channelId: state.channelId,
    seq: state.seq,
    balanceA: state.balanceA,
    balanceB: state.balanceB,
    htlcsHash: htlcsHash(state.htlcs),
  }
}

const eip712Domain = (domain: ChannelDomain): Eip712Domain => ({
  name: 'l2kit channels',
  version: '1',
  chainId: domain.chainId,
  verifyingContract: domain.hub,
})

/** The EIP-712 domain separator of a hub. */
export function domainSeparator(domain: ChannelDomain): Uint8Array {
  return domainSeparatorOf(eip712Domain(domain))
}

function typedDigest(domain: ChannelDomain, structHash: Uint8Array): Uint8Array {
  return typedDataDigest(eip712Domain(domain), structHash)
}

/** EIP-712 digest of a state (what both parties sign). */
export function stateDigest(domain: ChannelDomain, state: ChannelState): Uint8Array {
  return typedDigest(
    domain,
    keccak256(
      concatBytes(
        STATE_TYPEHASH,
        bytes32(state.channelId),
        word(state.seq),
        word(state.balanceA),
        word(state.balanceB),
        bytes32(htlcsHash(state.htlcs)),
      ),
    ),
  )
}

/** EIP-712 digest of a revocation of every state with sequence number ≤ `seq`. */
export function revocationDigest(domain: ChannelDomain, channelId: Hex, seq: bigint): Uint8Array {
  return typedDigest(domain, keccak256(concatBytes(REVOCATION_TYPEHASH, bytes32(channelId), word(seq))))
}

/** EIP-712 digest of a cooperative close at these balances. */
export function cooperativeCloseDigest(
  domain: ChannelDomain,
  channelId: Hex,
  balanceA: bigint,
  balanceB: bigint,
): Uint8Array {
  return typedDigest(
    domain,
    keccak256(concatBytes(COOP_CLOSE_TYPEHASH, bytes32(channelId), word(balanceA), word(balanceB))),
  )
}

/** A 65-byte `r ‖ s ‖ v` signature (v 27/28, low s) over a digest, as ChannelHub checks it. */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array | Hex): Hex {
  return signDigest65(digest, privateKey)
}

/**
 * The address that signed `digest` with the 65-byte `signature`, or a `CHANNEL_BAD_SIGNATURE` error for one
 * ChannelHub would reject (wrong length, high s, v not 27/28, unrecoverable).
 */
export function signerOf(digest: Uint8Array, signature: Hex): Address {
  return signerOf65(digest, signature, ChannelErrorCode.badSignature)
}

/** Whether `signature` over `digest` is by `expected` (false for a malformed signature too). */
export function isSignedBy(digest: Uint8Array, signature: Hex, expected: Address): boolean {
  try {
    return signerOf(digest, signature) === expected.toLowerCase()
  } catch {
    return false
  }
}

/** The implicit opening state: everything with A, no HTLCs. */
export function openingState(channelId: Hex, params: ChannelParams): ChannelState {
  return { channelId, seq: 0n, balanceA: params.total, balanceB: 0n, htlcs: [] }
}

/** Sum of the HTLCs each side has offered. */
export function htlcTotals(htlcs: readonly Htlc[]): { offeredByA: bigint; offeredByB: bigint } {
  let offeredByA = 0n
  let offeredByB = 0n
  for (const h of htlcs) {
    if (h.direction === 0) offeredByA += h.amount
    else offeredByB += h.amount
  }
  return { offeredByA, offeredByB }
}

/**
 * Why a state would be rejected by ChannelHub for this channel (ids, sums, HTLC count and fields), or undefined.
 * Signatures are checked separately.
 */
export function stateProblem(channelId: Hex, params: ChannelParams, state: ChannelState): string | undefined {
  if (state.channelId.toLowerCase() !== channelId.toLowerCase()) return 'the state is for another channel'
  if (state.seq < 0n || state.seq >= 1n << 64n) return 'seq must fit a uint64'
  if (state.balanceA < 0n || state.balanceB < 0n) return 'balances must not be negative'
  if (state.htlcs.length > MAX_HTLCS) return `at most ${MAX_HTLCS} HTLCs may be pending`
  let sum = state.balanceA + state.balanceB
  for (const h of state.htlcs) {
    if (h.direction !== 0 && h.direction !== 1) return 'an HTLC direction must be 0 or 1'
    if (h.amount <= 0n) return 'an HTLC amount must be > 0'
    if (h.expiry < 0n || h.expiry >= 1n << 64n) return 'an HTLC expiry must fit a uint64'
    if (!/^0x[0-9a-fA-F]{64}$/.test(h.paymentHash)) return 'a payment hash is 32 bytes of hex'
    sum += h.amount
  }
  if (sum !== params.total) {
    return `balances and HTLCs add up to ${sum}, the channel holds ${params.total}`
  }
  return undefined
}
