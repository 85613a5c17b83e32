import { encodeAbiParameters, hashTypedData, keccak256 } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { bytesToHex } from '../../core/bytes.ts'
import { isL2kitError } from '../../core/errors.ts'
import type { Address, Hex } from '../../core/types.ts'
import {
  type ChannelDomain,
  type ChannelParams,
  type ChannelState,
  channelIdOf,
  cooperativeCloseDigest,
  htlcsHash,
  isSignedBy,
  openingState,
  revocationDigest,
  signDigest,
  signerOf,
  stateDigest,
  stateProblem,
} from './state.ts'

const KEY_A: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
const KEY_B: Hex = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a'
const A = privateKeyToAccount(KEY_A)
const B = privateKeyToAccount(KEY_B)
const domain: ChannelDomain = {
  chainId: 31337n,
  hub: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Address,
}
const params: ChannelParams = {
  partyA: A.address,
  partyB: B.address,
  token: '0x0000000000000000000000000000000000000000',
  total: 10n ** 18n,
  disputeWindow: 60n,
  nonce: 1n,
}
const id = channelIdOf(domain, params)
const hash1 = `0x${'11'.repeat(32)}` as Hex
const state: ChannelState = {
  channelId: id,
  seq: 5n,
  balanceA: 6n * 10n ** 17n,
  balanceB: 3n * 10n ** 17n,
  htlcs: [{ direction: 0, amount: 10n ** 17n, paymentHash: hash1, expiry: 1_900_000_000n }],
}
const viemDomain = {
  name: 'l2kit channels',
  version: '1',
  chainId: domain.chainId,
  verifyingContract: domain.hub,
} as const

describe('channel state digests', () => {
  it('hash HTLC lists exactly as keccak256(abi.encode(Htlc[])) (viem’s encoder), and refuse out-of-range fields', () => {
    const HTLC_ARRAY = {
      type: 'tuple[]',
      components: [
        { name: 'direction', type: 'uint8' },
        { name: 'amount', type: 'uint256' },
        { name: 'paymentHash', type: 'bytes32' },
        { name: 'expiry', type: 'uint64' },
      ],
    } as const
    const lists = [
      [],
      state.htlcs,
      Array.from({ length: 64 }, (_, i) => ({
        direction: (i % 2) as 0 | 1,
        amount: i === 0 ? (1n << 256n) - 1n : BigInt(i) * 12_345_678_901n,
        paymentHash: `0x${i.toString(16).padStart(2, '0').repeat(32)}` as Hex,
        expiry: i === 1 ? (1n << 64n) - 1n : BigInt(i),
      })),
    ]
    for (const htlcs of lists) {
      expect(htlcsHash(htlcs)).toBe(keccak256(encodeAbiParameters([HTLC_ARRAY], [htlcs])))
    }
    const bad = (h: Partial<(typeof state.htlcs)[number]>) => {
      try {
        htlcsHash([{ ...(state.htlcs[0] as (typeof state.htlcs)[number]), ...h }])
        return 'accepted'
      } catch (e) {
        return isL2kitError(e, 'CHANNEL_INVALID_STATE') ? 'refused' : String(e)
      }
    }
    expect(bad({ amount: 1n << 256n })).toBe('refused')
    expect(bad({ amount: -1n })).toBe('refused')
    expect(bad({ expiry: 1n << 64n })).toBe('refused')
    expect(bad({ direction: 2 as 0 })).toBe('refused')
    expect(bad({ paymentHash: '0x11' })).toBe('refused')
  })

  it('match viem’s EIP-712 hashing of the same typed data (what a wallet signs)', () => {
    const viemState = hashTypedData({
      domain: viemDomain,
      primaryType: 'State',
      types: {
        State: [
          { name: 'channelId', type: 'bytes32' },
          { name: 'seq', type: 'uint64' },
          { name: 'balanceA', type: 'uint256' },
          { name: 'balanceB', type: 'uint256' },
          { name: 'htlcsHash', type: 'bytes32' },
        ],
      },
      message: { ...state, htlcsHash: htlcsHash(state.htlcs) },
    })
    expect(bytesToHex(stateDigest(domain, state))).toBe(viemState)
    const viemRevocation = hashTypedData({
      domain: viemDomain,
      primaryType: 'Revocation',
      types: {
        Revocation: [
          { name: 'channelId', type: 'bytes32' },
          { name: 'seq', type: 'uint64' },
        ],
      },
      message: { channelId: id, seq: 4n },
    })
    expect(bytesToHex(revocationDigest(domain, id, 4n))).toBe(viemRevocation)
    const viemCoop = hashTypedData({
      domain: viemDomain,
      primaryType: 'CooperativeClose',
      types: {
        CooperativeClose: [
          { name: 'channelId', type: 'bytes32' },
          { name: 'balanceA', type: 'uint256' },
          { name: 'balanceB', type: 'uint256' },
        ],
      },
      message: { channelId: id, balanceA: 1n, balanceB: 2n },
    })
    expect(bytesToHex(cooperativeCloseDigest(domain, id, 1n, 2n))).toBe(viemCoop)
  })

  it('signatures recover to the signer and match viem’s signTypedData byte for byte', async () => {
    const digest = stateDigest(domain, state)
    const sig = signDigest(digest, KEY_A)
    expect(signerOf(digest, sig)).toBe(A.address.toLowerCase())
    expect(isSignedBy(digest, sig, A.address)).toBe(true)
    expect(isSignedBy(digest, sig, B.address)).toBe(false)
    const viaViem = await A.signTypedData({
      domain: viemDomain,
      primaryType: 'State',
      types: {
        State: [
          { name: 'channelId', type: 'bytes32' },
          { name: 'seq', type: 'uint64' },
          { name: 'balanceA', type: 'uint256' },
          { name: 'balanceB', type: 'uint256' },
          { name: 'htlcsHash', type: 'bytes32' },
        ],
      },
      message: { ...state, htlcsHash: htlcsHash(state.htlcs) },
    })
    expect(sig).toBe(viaViem)
  })

  it('rejects malformed and high-s signatures with CHANNEL_BAD_SIGNATURE', () => {
    const digest = stateDigest(domain, state)
    const sig = signDigest(digest, KEY_A)
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
    const s = BigInt(`0x${sig.slice(66, 130)}`)
    const v = Number.parseInt(sig.slice(130), 16)
    const highS =
      `${sig.slice(0, 66)}${(n - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}` as Hex
    for (const bad of [
      highS,
      `${sig.slice(0, 130)}1d` as Hex,
      '0x1234' as Hex,
      `0x${'00'.repeat(65)}` as Hex,
    ]) {
      let caught: unknown
      try {
        signerOf(digest, bad)
      } catch (e) {
        caught = e
      }
      expect(isL2kitError(caught, 'CHANNEL_BAD_SIGNATURE')).toBe(true)
    }
  })

  it('binds the id to the chain, the hub and every parameter', () => {
    expect(channelIdOf({ ...domain, chainId: 1n }, params)).not.toBe(id)
    expect(channelIdOf(domain, { ...params, nonce: 2n })).not.toBe(id)
    expect(channelIdOf(domain, { ...params, total: 1n })).not.toBe(id)
    expect(channelIdOf(domain, params)).toBe(id)
  })
})

describe('stateProblem', () => {
  it('accepts the opening state and a balanced state', () => {
    expect(stateProblem(id, params, openingState(id, params))).toBeUndefined()
    expect(stateProblem(id, params, state)).toBeUndefined()
  })
  it('rejects sums that do not add up, zero HTLCs, other channels', () => {
    expect(stateProblem(id, params, { ...state, balanceA: state.balanceA + 1n })).toMatch(/add up/)
    expect(
      stateProblem(id, params, {
        ...state,
        balanceA: state.balanceA + 10n ** 17n,
        htlcs: [{ ...(state.htlcs[0] as ChannelState['htlcs'][number]), amount: 0n }],
      }),
    ).toMatch(/> 0/)
    expect(stateProblem(`0x${'22'.repeat(32)}`, params, state)).toMatch(/another channel/)
  })
})
