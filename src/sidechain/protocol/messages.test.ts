import { hashTypedData } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes } from '../../core/bytes.ts'
import { L2kitError } from '../../core/errors.ts'
import { SECP256K1_N } from '../../core/signature.ts'
import { errorCodeOf } from '../../core/testing.ts'
import type { Hex } from '../../core/types.ts'
import { ConsensusMachine } from './consensus.ts'
import { SidechainErrorCode } from './errors.ts'
import {
  type ConsensusMessage,
  checkMessage,
  decodeMessage,
  encodeMessage,
  MAX_HEIGHT,
  MAX_MESSAGE_BYTES,
  MAX_ROUND,
  messageKey,
  NIL_HASH,
  proposalDigest,
  recoverSigner,
  type SignedProposal,
  type SignedVote,
  signProposal,
  signVote,
  verifyEvidence,
  verifyMessage,
  voteDigest,
} from './messages.ts'
import { TEST_DOMAIN, type TestValidator, testBlockHash, testValidators, xorshift } from './testing.ts'

const { validators, set } = testValidators([1n, 1n, 1n, 1n])
const [v0, v1] = validators as [TestValidator, TestValidator]
const outsider = testValidators([1n, 1n, 1n, 1n, 1n]).validators.find((v) => !set.has(v.address))
const X = testBlockHash('x')
const Y = testBlockHash('y')

const viemDomain = {
  name: 'l2kit sidechain',
  version: '1',
  chainId: TEST_DOMAIN.chainId,
  verifyingContract: TEST_DOMAIN.stakeManager,
} as const
const VOTE_TYPES = {
  Vote: [
    { name: 'voteType', type: 'uint8' },
    { name: 'height', type: 'uint64' },
    { name: 'round', type: 'uint32' },
    { name: 'blockHash', type: 'bytes32' },
  ],
} as const
const PROPOSAL_TYPES = {
  Proposal: [
    { name: 'height', type: 'uint64' },
    { name: 'round', type: 'uint32' },
    { name: 'polRound', type: 'int32' },
    { name: 'blockHash', type: 'bytes32' },
  ],
} as const

const codeOf = errorCodeOf

const samples: ConsensusMessage[] = [
  signProposal(TEST_DOMAIN, { height: 1n, round: 0, polRound: -1, blockHash: X }, v0.signer),
  signProposal(TEST_DOMAIN, { height: 9n, round: 5, polRound: 3, blockHash: Y }, v1.signer),
  signVote(TEST_DOMAIN, { type: 'prevote', height: 1n, round: 0, blockHash: NIL_HASH }, v0.signer),
  signVote(TEST_DOMAIN, { type: 'precommit', height: 1n, round: 0, blockHash: X }, v1.signer),
  signVote(TEST_DOMAIN, { type: 'prevote', height: MAX_HEIGHT, round: MAX_ROUND, blockHash: Y }, v0.signer),
]

describe('EIP-712 digests and signatures', () => {
  it('equal viem hashTypedData for votes and proposals (int32 polRound -1 included)', () => {
    for (const [type, code] of [
      ['prevote', 1],
      ['precommit', 2],
    ] as const) {
      expect(bytesToHex(voteDigest(TEST_DOMAIN, { type, height: 77n, round: 3, blockHash: X }))).toBe(
        hashTypedData({
          domain: viemDomain,
          types: VOTE_TYPES,
          primaryType: 'Vote',
          message: { voteType: code, height: 77n, round: 3, blockHash: X },
        }),
      )
    }
    for (const polRound of [-1, 0, 4]) {
      expect(
        bytesToHex(
          proposalDigest(TEST_DOMAIN, { type: 'proposal', height: 5n, round: 6, polRound, blockHash: Y }),
        ),
      ).toBe(
        hashTypedData({
          domain: viemDomain,
          types: PROPOSAL_TYPES,
          primaryType: 'Proposal',
          message: { height: 5n, round: 6, polRound, blockHash: Y },
        }),
      )
    }
  })

  it('signs exactly what a wallet signs (eth_signTypedData_v4), so L1 recovers the same validator', async () => {
    const vote = signVote(TEST_DOMAIN, { type: 'precommit', height: 12n, round: 1, blockHash: X }, v0.signer)
    const walletSig = await privateKeyToAccount(v0.key).signTypedData({
      domain: viemDomain,
      types: VOTE_TYPES,
      primaryType: 'Vote',
      message: { voteType: 2, height: 12n, round: 1, blockHash: X },
    })
    expect(vote.signature).toBe(walletSig)
    expect(recoverSigner(TEST_DOMAIN, vote)).toBe(v0.address)
  })

  it('verifies members and refuses strangers (before any signature work) and forged signatures', () => {
    const vote = samples[3] as SignedVote
    expect(verifyMessage(TEST_DOMAIN, vote, set).address).toBe(v1.address)
    const stranger = signVote(
      TEST_DOMAIN,
      { type: 'prevote', height: 1n, round: 0, blockHash: X },
      (outsider as TestValidator).signer,
    )
    expect(codeOf(() => verifyMessage(TEST_DOMAIN, stranger, set))).toBe(SidechainErrorCode.notValidator)
    // v1's signature claimed by v0
    expect(codeOf(() => verifyMessage(TEST_DOMAIN, { ...vote, validator: v0.address }, set))).toBe(
      SidechainErrorCode.badSignature,
    )
    // the same signature over another block
    expect(codeOf(() => verifyMessage(TEST_DOMAIN, { ...vote, blockHash: Y }, set))).toBe(
      SidechainErrorCode.badSignature,
    )
    // another domain (another chain or StakeManager): not valid here
    expect(codeOf(() => verifyMessage({ ...TEST_DOMAIN, chainId: 1n }, vote, set))).toBe(
      SidechainErrorCode.badSignature,
    )
  })

  it('checks double-sign evidence as L1 will', () => {
    const a = signVote(TEST_DOMAIN, { type: 'prevote', height: 3n, round: 1, blockHash: X }, v0.signer)
    const b = signVote(TEST_DOMAIN, { type: 'prevote', height: 3n, round: 1, blockHash: Y }, v0.signer)
    expect(verifyEvidence(TEST_DOMAIN, { kind: 'duplicateVote', first: a, second: b })).toBe(v0.address)
    const p1 = signProposal(TEST_DOMAIN, { height: 3n, round: 1, polRound: -1, blockHash: X }, v0.signer)
    const p2 = signProposal(TEST_DOMAIN, { height: 3n, round: 1, polRound: 0, blockHash: X }, v0.signer)
    expect(verifyEvidence(TEST_DOMAIN, { kind: 'duplicateProposal', first: p1, second: p2 })).toBe(v0.address)
    const bad = (first: SignedVote, second: SignedVote) =>
      codeOf(() => verifyEvidence(TEST_DOMAIN, { kind: 'duplicateVote', first, second }))
    expect(bad(a, a)).toBe(SidechainErrorCode.invalidEvidence) // same content
    const otherRound = signVote(
      TEST_DOMAIN,
      { type: 'prevote', height: 3n, round: 2, blockHash: Y },
      v0.signer,
    )
    expect(bad(a, otherRound)).toBe(SidechainErrorCode.invalidEvidence)
    const otherType = signVote(
      TEST_DOMAIN,
      { type: 'precommit', height: 3n, round: 1, blockHash: Y },
      v0.signer,
    )
    expect(bad(a, otherType)).toBe(SidechainErrorCode.invalidEvidence)
    const otherSigner = signVote(
      TEST_DOMAIN,
      { type: 'prevote', height: 3n, round: 1, blockHash: Y },
      v1.signer,
    )
    expect(bad(a, otherSigner)).toBe(SidechainErrorCode.invalidEvidence)
    expect(bad(a, { ...b, signature: otherSigner.signature, validator: v0.address })).toBe(
      SidechainErrorCode.invalidEvidence,
    )
  })
})

describe('binary codec', () => {
  it('round-trips every message type, byte for byte', () => {
    for (const m of samples) {
      const bytes = encodeMessage(m)
      expect(bytes.length).toBe(m.type === 'proposal' ? 134 : 130)
      expect(decodeMessage(bytes)).toEqual(m)
      expect(encodeMessage(decodeMessage(bytes))).toEqual(bytes)
    }
  })

  it('lays out fields big-endian at fixed offsets (polRound as two’s complement int32)', () => {
    const p = samples[0] as SignedProposal
    const hex = bytesToHex(encodeMessage(p)).slice(2)
    expect(hex.slice(0, 2)).toBe('01')
    expect(hex.slice(2, 18)).toBe('0000000000000001')
    expect(hex.slice(18, 26)).toBe('00000000')
    expect(hex.slice(26, 34)).toBe('ffffffff')
    expect(`0x${hex.slice(34, 98)}`).toBe(X)
    expect(`0x${hex.slice(98, 138)}`).toBe(p.proposer)
    expect(`0x${hex.slice(138)}`).toBe(p.signature)
    const v = samples[4] as SignedVote
    const vhex = bytesToHex(encodeMessage(v)).slice(2)
    expect(vhex.slice(0, 26)).toBe('02ffffffffffffffffffffffff')
  })

  it('has exactly one encoding per message: every non-canonical variant is refused', () => {
    const proposal = encodeMessage(samples[1] as SignedProposal)
    const vote = encodeMessage(samples[3] as SignedVote)
    const withByte = (b: Uint8Array, at: number, value: number) => {
      const c = b.slice()
      c[at] = value
      return c
    }
    const highS = (b: Uint8Array) => {
      // (r, n − s) with the other v is the same signature in the malleable form EIP-2 forbids
      const c = b.slice()
      const off = c.length - 65
      const s = BigInt(bytesToHex(c.subarray(off + 32, off + 64)))
      c.set(hexToBytes((SECP256K1_N - s).toString(16).padStart(64, '0')), off + 32)
      c[off + 64] = c[off + 64] === 27 ? 28 : 27
      return c
    }
    const polRoundAt = 13
    const cases: Uint8Array[] = [
      new Uint8Array(0),
      new Uint8Array([0x01]),
      withByte(vote, 0, 0x00),
      withByte(vote, 0, 0x04),
      withByte(vote, 0, 0x01), // a vote's length with a proposal's type
      withByte(proposal, 0, 0x02), // and the other way round
      proposal.slice(0, -1),
      new Uint8Array([...vote, 0]),
      new Uint8Array(MAX_MESSAGE_BYTES + 1),
      withByte(vote, vote.length - 1, 0), // v = 0
      withByte(vote, vote.length - 1, 1), // v = 1
      highS(vote),
      highS(proposal),
      (() => {
        const c = vote.slice()
        c.fill(0, c.length - 65, c.length - 33) // r = 0
        return c
      })(),
      (() => {
        const c = proposal.slice()
        c.set([0xff, 0xff, 0xff, 0xfe], polRoundAt) // polRound -2
        return c
      })(),
      (() => {
        const c = proposal.slice()
        c.set([0, 0, 0, 5], polRoundAt) // polRound = round (5)
        return c
      })(),
      (() => {
        const c = proposal.slice()
        c.fill(0, 17, 49) // a proposal of the nil block
        return c
      })(),
    ]
    for (const c of cases) expect(codeOf(() => decodeMessage(c))).toBe(SidechainErrorCode.malformedMessage)
    expect(codeOf(() => decodeMessage('0x01' as unknown as Uint8Array))).toBe(
      SidechainErrorCode.malformedMessage,
    )
  })

  it('refuses in-memory messages that are not canonical either', () => {
    const vote = samples[3] as SignedVote
    const proposal = samples[1] as SignedProposal
    const cases: unknown[] = [
      null,
      [],
      { ...vote, extra: 1 },
      { ...vote, type: 'vote' },
      { ...vote, height: 1 },
      { ...vote, height: -1n },
      { ...vote, height: MAX_HEIGHT + 1n },
      { ...vote, round: 1.5 },
      { ...vote, round: MAX_ROUND + 1 },
      { ...vote, blockHash: X.toUpperCase().replace('0X', '0x') },
      { ...vote, blockHash: '0x1234' },
      { ...vote, validator: vote.validator.replace(/[a-f]/, 'A') },
      { ...vote, signature: `${vote.signature.slice(0, -2)}00` },
      (() => {
        const { signature: _, ...rest } = vote
        return rest
      })(),
      { ...proposal, polRound: -2 },
      { ...proposal, polRound: proposal.round },
      { ...proposal, polRound: 0.5 },
      { ...proposal, blockHash: NIL_HASH },
      { ...proposal, validator: proposal.proposer },
    ]
    for (const c of cases) {
      expect(codeOf(() => checkMessage(c))).toBe(SidechainErrorCode.malformedMessage)
      if (c !== null && typeof c === 'object' && !Array.isArray(c)) {
        expect(codeOf(() => encodeMessage(c as ConsensusMessage))).toBe(SidechainErrorCode.malformedMessage)
      }
    }
  })

  it('survives 12,000 mutated messages through decode, verify and a running machine: typed errors only, nothing changes', () => {
    // a machine at height 2, round 0, holding a proposal and a prevote, to feed what decodes
    const proposer = validators.find((v) => v.address === set.next().proposer(0)) as TestValidator
    const me = validators.find((v) => v !== proposer) as TestValidator
    const machine = new ConsensusMachine({}, { domain: TEST_DOMAIN, signer: me.signer })
    machine.start(1n, set)
    machine.start(2n)
    const proposal = signProposal(
      TEST_DOMAIN,
      { height: 2n, round: 0, polRound: -1, blockHash: X },
      proposer.signer,
    )
    machine.receiveProposal(proposal, true)
    const other = validators.find((v) => v !== me) as TestValidator
    const prevote = signVote(
      TEST_DOMAIN,
      { type: 'prevote', height: 2n, round: 0, blockHash: X },
      other.signer,
    )
    machine.receiveVote(prevote)
    const snapshot = () =>
      JSON.stringify(
        [machine.state, machine.messagesAt(0), machine.messagesAt(1), machine.ownMessages()],
        (_, v) => (typeof v === 'bigint' ? v.toString() : v),
      )
    const frozen = snapshot()

    const originals = [...samples, proposal, prevote].map(encodeMessage)
    const originalKeys = new Set(originals.map(bytesToHex))
    const rng = xorshift(0x5eed)
    const mutate = (b: Uint8Array): Uint8Array => {
      let out = b.slice()
      const ops = 1 + rng.int(3)
      for (let i = 0; i < ops; i++) {
        const at = rng.int(Math.max(1, out.length))
        switch (rng.int(7)) {
          case 0: // flip one bit
            if (out.length > 0) out[at] = (out[at] as number) ^ (1 << rng.int(8))
            break
          case 1: // random byte
            if (out.length > 0) out[at] = rng.int(256)
            break
          case 2: // truncate
            out = out.slice(0, at)
            break
          case 3: // extend
            out = new Uint8Array([...out, ...Array.from({ length: 1 + rng.int(4) }, () => rng.int(256))])
            break
          case 4: // type byte
            if (out.length > 0) out[0] = rng.int(5)
            break
          case 5: // splice another message's tail
            out = new Uint8Array([...out.slice(0, at), ...rng.pick(originals).slice(at)])
            break
          default:
            {
              // a field of the same width taken from another message (height, round or block hash)
              const other = rng.pick(originals)
              const start = rng.pick([1, 9, 13, 17])
              if (out.length >= start + 4) out.set(other.slice(start, start + 4), start)
            }
            break
        }
      }
      return out
    }

    let decoded = 0
    let refused = 0
    const codes = new Set<string>()
    for (let i = 0; i < 12_000; i++) {
      const bytes = mutate(rng.pick(originals))
      try {
        const m = decodeMessage(bytes)
        decoded++
        // canonical: what decodes re-encodes to the very same bytes
        expect(bytesToHex(encodeMessage(m))).toBe(bytesToHex(bytes))
        verifyMessage(TEST_DOMAIN, m, set)
        // only an unchanged original can carry a valid signature
        expect(originalKeys.has(messageKey(m))).toBe(true)
        if (m.type === 'proposal') machine.receiveProposal(m, true)
        else machine.receiveVote(m)
      } catch (e) {
        if (!(e instanceof L2kitError) || !e.code.startsWith('SIDECHAIN_')) throw e
        codes.add(e.code)
        refused++
      }
    }
    expect(decoded).toBeGreaterThan(1_000)
    expect(refused).toBeGreaterThan(10_000)
    expect(codes).toContain(SidechainErrorCode.malformedMessage)
    expect(codes).toContain(SidechainErrorCode.badSignature)
    expect(snapshot()).toBe(frozen)
  })
})

describe('signing helpers', () => {
  it('sign with the signer’s address as validator / proposer, and refuse what is not well formed', () => {
    const p = signProposal(TEST_DOMAIN, { height: 4n, round: 2, polRound: 1, blockHash: Y }, v1.signer)
    expect(p.proposer).toBe(v1.address)
    expect(recoverSigner(TEST_DOMAIN, p)).toBe(v1.address)
    expect(
      codeOf(() => signProposal(TEST_DOMAIN, { height: 4n, round: 2, polRound: 2, blockHash: Y }, v1.signer)),
    ).toBe(SidechainErrorCode.malformedMessage)
    expect(
      codeOf(() =>
        signVote(TEST_DOMAIN, { type: 'prevote', height: 4n, round: 2, blockHash: '0x12' as Hex }, v1.signer),
      ),
    ).toBe(SidechainErrorCode.malformedMessage)
  })
})
