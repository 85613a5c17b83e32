/**
 * The three signed consensus messages (proposal, prevote, precommit), their EIP-712 digests, and their strict binary
 * codec.
 *
 * Signatures are 65-byte secp256k1 `r ‖ s ‖ v` over EIP-712 digests, domain
 * `{ name: "l2kit sidechain", version: "1", chainId: <L1 chain id>, verifyingContract: <L1 StakeManager> }`, so an L1
 * contract can check two conflicting votes of one validator with `ecrecover` and slash it (double-sign evidence).
 * The signed structs do not contain the validator: the signer is recovered, and the message's `validator` /
 * `proposer` field only says whom to expect (so a non-member is refused before any signature work).
 *
 * Wire format (all integers big-endian, fixed width; exactly one encoding per message):
 *
 *   proposal  (134 bytes)  0x01 ‖ height u64 ‖ round u32 ‖ polRound i32 ‖ blockHash[32] ‖ proposer[20] ‖ sig[65]
 *   prevote   (130 bytes)  0x02 ‖ height u64 ‖ round u32 ‖ blockHash[32] ‖ validator[20] ‖ sig[65]
 *   precommit (130 bytes)  0x03 ‖ height u64 ‖ round u32 ‖ blockHash[32] ‖ validator[20] ‖ sig[65]
 *
 * `polRound` is -1 or a round below `round`; a proposal's block hash is never nil (32 zero bytes), a vote's may be;
 * the signature must be canonical (0 < r < n, 0 < s ≤ n/2, v ∈ {27, 28}).
 */
import { ByteReader, ByteWriter, bytesToHex, concatBytes, hexToBytes, isAddress } from '../../core/bytes.ts'
import {
  abiWord,
  type Eip712Domain,
  signDigest65,
  signerOf65,
  typedDataDigest,
  typeHash,
} from '../../core/eip712.ts'
import { L2kitError } from '../../core/errors.ts'
import { keccak256 } from '../../core/hash.ts'
import { privateKeyToAddress, SECP256K1_HALF_N, SECP256K1_N } from '../../core/signature.ts'
import type { Address, Hex } from '../../core/types.ts'
import { SidechainErrorCode } from './errors.ts'
import type { Validator, ValidatorSet } from './validatorSet.ts'

/** Where signatures are valid: the L1 chain and the StakeManager contract that holds the validators' stake. */
export type SidechainDomain = { chainId: bigint; stakeManager: Address }

/** The `nil` block hash: a vote for no block. */
export const NIL_HASH: Hex = `0x${'00'.repeat(32)}`
/** Largest encoded message (a proposal); `decodeMessage` refuses longer input before reading it. */
export const MAX_MESSAGE_BYTES = 134
/** Largest height (u64 on the wire and in the signed struct). */
export const MAX_HEIGHT = (1n << 64n) - 1n
/** Largest round (u32). */
export const MAX_ROUND = 0xffff_ffff
/** Largest proof-of-lock round (int32). */
export const MAX_POL_ROUND = 0x7fff_ffff

export type VoteType = 'prevote' | 'precommit'

/** A proposal of `blockHash` for (height, round); `polRound` ≥ 0 says the proposer saw > ⅔ prevotes for it then. */
export type Proposal = {
  type: 'proposal'
  height: bigint
  round: number
  /** -1, or the round (< `round`) whose > ⅔ prevotes for `blockHash` justify re-proposing it (proof of lock). */
  polRound: number
  blockHash: Hex
  proposer: Address
}
/** A prevote or precommit for `blockHash` (or `NIL_HASH`) at (height, round). */
export type Vote = {
  type: VoteType
  height: bigint
  round: number
  blockHash: Hex
  validator: Address
}
export type SignedProposal = Proposal & { signature: Hex }
export type SignedVote = Vote & { signature: Hex }
/** Any signed consensus message. */
export type ConsensusMessage = SignedProposal | SignedVote

/** The proposal's or the vote's signer as the message claims it. */
export function claimedSigner(message: ConsensusMessage): Address {
  return message.type === 'proposal' ? message.proposer : message.validator
}

// ---------------------------------------------------------------------------------------------------------------
// EIP-712

/** `voteType` in the signed `Vote` struct (0 is deliberately unused: an all-zero struct is no vote). */
export const VOTE_TYPE_CODE = { prevote: 1, precommit: 2 } as const

const VOTE_TYPEHASH = typeHash('Vote(uint8 voteType,uint64 height,uint32 round,bytes32 blockHash)')
const PROPOSAL_TYPEHASH = typeHash('Proposal(uint64 height,uint32 round,int32 polRound,bytes32 blockHash)')

/** The EIP-712 domain of sidechain consensus messages. */
export function sidechainEip712Domain(domain: SidechainDomain): Eip712Domain {
  return {
    name: 'l2kit sidechain',
    version: '1',
    chainId: domain.chainId,
    verifyingContract: domain.stakeManager,
  }
}

/** An int as one ABI word: two's complement over 256 bits, as Solidity encodes `int32` in `abi.encode`. */
function signedWord(x: number): Uint8Array {
  return abiWord(x < 0 ? (1n << 256n) + BigInt(x) : BigInt(x))
}

/** EIP-712 digest a validator signs for a vote. The caller has checked the fields (`checkMessage`). */
export function voteDigest(domain: SidechainDomain, vote: Omit<Vote, 'validator'>): Uint8Array {
  return typedDataDigest(
    sidechainEip712Domain(domain),
    keccak256(
      concatBytes(
        VOTE_TYPEHASH,
        abiWord(BigInt(VOTE_TYPE_CODE[vote.type])),
        abiWord(vote.height),
        abiWord(BigInt(vote.round)),
        hexToBytes(vote.blockHash, SidechainErrorCode.malformedMessage),
      ),
    ),
  )
}

/** EIP-712 digest a proposer signs for a proposal. The caller has checked the fields (`checkMessage`). */
export function proposalDigest(domain: SidechainDomain, proposal: Omit<Proposal, 'proposer'>): Uint8Array {
  return typedDataDigest(
    sidechainEip712Domain(domain),
    keccak256(
      concatBytes(
        PROPOSAL_TYPEHASH,
        abiWord(proposal.height),
        abiWord(BigInt(proposal.round)),
        signedWord(proposal.polRound),
        hexToBytes(proposal.blockHash, SidechainErrorCode.malformedMessage),
      ),
    ),
  )
}

/** The digest signed in `message`. */
export function messageDigest(domain: SidechainDomain, message: Proposal | Vote): Uint8Array {
  return message.type === 'proposal' ? proposalDigest(domain, message) : voteDigest(domain, message)
}

// ---------------------------------------------------------------------------------------------------------------
// Field checks (shared by the codec and by callers handing over messages they built in memory)

function malformed(reason: string, details: Record<string, unknown> = {}): never {
  throw new L2kitError(SidechainErrorCode.malformedMessage, `malformed consensus message: ${reason}`, {
    details,
  })
}

const HASH_RE = /^0x[0-9a-f]{64}$/
const SIG_RE = /^0x[0-9a-f]{130}$/

/** Why a signature's bytes are not canonical, or undefined (the checks OpenZeppelin's ECDSA makes). */
function signatureProblem(sig: Uint8Array): string | undefined {
  const r = BigInt(bytesToHex(sig.subarray(0, 32)))
  const s = BigInt(bytesToHex(sig.subarray(32, 64)))
  const v = sig[64] as number
  if (r === 0n || r >= SECP256K1_N) return 'signature r out of range'
  if (s === 0n || s > SECP256K1_HALF_N) return 'signature s is zero or high (EIP-2)'
  if (v !== 27 && v !== 28) return 'signature v must be 27 or 28'
  return undefined
}

/**
 * Throws `SIDECHAIN_MALFORMED_MESSAGE` unless `message` is exactly one of the three shapes with every field in
 * range and in canonical form (lowercase hex, canonical signature, no extra fields): what `decodeMessage` returns.
 */
export function checkMessage(message: unknown): asserts message is ConsensusMessage {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) malformed('not an object')
  const m = message as Record<string, unknown>
  const isProposal = m.type === 'proposal'
  if (!isProposal && m.type !== 'prevote' && m.type !== 'precommit') malformed('unknown message type')
  const fields = isProposal
    ? ['type', 'height', 'round', 'polRound', 'blockHash', 'proposer', 'signature']
    : ['type', 'height', 'round', 'blockHash', 'validator', 'signature']
  for (const k of Object.keys(m)) if (!fields.includes(k)) malformed(`unknown field '${k}'`)
  for (const k of fields) if (!(k in m)) malformed(`missing field '${k}'`)
  if (typeof m.height !== 'bigint' || m.height < 0n || m.height > MAX_HEIGHT)
    malformed('height must be a u64')
  if (typeof m.round !== 'number' || !Number.isInteger(m.round) || m.round < 0 || m.round > MAX_ROUND) {
    malformed('round must be a u32')
  }
  if (typeof m.blockHash !== 'string' || !HASH_RE.test(m.blockHash)) {
    malformed('blockHash must be 32 bytes of lowercase 0x-hex')
  }
  const signer = isProposal ? m.proposer : m.validator
  if (typeof signer !== 'string' || !isAddress(signer) || signer !== signer.toLowerCase()) {
    malformed('the signer must be a lowercase address')
  }
  if (typeof m.signature !== 'string' || !SIG_RE.test(m.signature)) {
    malformed('signature must be 65 bytes of lowercase 0x-hex')
  }
  const sigProblem = signatureProblem(hexToBytes(m.signature))
  if (sigProblem !== undefined) malformed(sigProblem)
  if (isProposal) {
    const pol = m.polRound
    if (typeof pol !== 'number' || !Number.isInteger(pol) || pol < -1 || pol > MAX_POL_ROUND) {
      malformed('polRound must be -1 or an int32 ≥ 0')
    }
    if (pol >= (m.round as number)) malformed('polRound must be below the round')
    if (m.blockHash === NIL_HASH) malformed('a proposal cannot propose the nil block')
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Binary codec

const TYPE_BYTE = { proposal: 0x01, prevote: 0x02, precommit: 0x03 } as const
const PROPOSAL_BYTES = 1 + 8 + 4 + 4 + 32 + 20 + 65
const VOTE_BYTES = 1 + 8 + 4 + 32 + 20 + 65

/** The wire bytes of a message; throws `SIDECHAIN_MALFORMED_MESSAGE` for one that `checkMessage` refuses. */
export function encodeMessage(message: ConsensusMessage): Uint8Array {
  checkMessage(message)
  const w = new ByteWriter(PROPOSAL_BYTES)
  w.u8(TYPE_BYTE[message.type])
  w.uintBE(message.height, 8)
  w.u32be(message.round)
  if (message.type === 'proposal') w.u32be(message.polRound >>> 0) // two's complement: -1 is 0xffffffff
  w.bytes(hexToBytes(message.blockHash))
  w.bytes(hexToBytes(claimedSigner(message)))
  w.bytes(hexToBytes(message.signature))
  return w.finish()
}

/**
 * Decodes one message and checks it like `checkMessage`; any other input (wrong length or type byte, polRound out of
 * range, nil proposal, non-canonical signature) throws `SIDECHAIN_MALFORMED_MESSAGE` and nothing else. Does not
 * check the signature against a signer (`verifyMessage` does).
 */
export function decodeMessage(bytes: Uint8Array): ConsensusMessage {
  if (!(bytes instanceof Uint8Array)) malformed('expected bytes')
  if (bytes.length > MAX_MESSAGE_BYTES) malformed(`longer than ${MAX_MESSAGE_BYTES} bytes`)
  if (bytes.length === 0) malformed('empty')
  const r = new ByteReader(bytes, SidechainErrorCode.malformedMessage)
  const typeByte = r.u8()
  let message: ConsensusMessage
  if (typeByte === TYPE_BYTE.proposal) {
    if (bytes.length !== PROPOSAL_BYTES)
      malformed(`a proposal is ${PROPOSAL_BYTES} bytes, got ${bytes.length}`)
    const height = r.uintBE(8)
    const round = r.u32be()
    const polRound = r.u32be() | 0 // back to int32
    message = {
      type: 'proposal',
      height,
      round,
      polRound,
      blockHash: bytesToHex(r.bytesView(32)),
      proposer: r.address(),
      signature: bytesToHex(r.bytesView(65)),
    }
  } else if (typeByte === TYPE_BYTE.prevote || typeByte === TYPE_BYTE.precommit) {
    if (bytes.length !== VOTE_BYTES) malformed(`a vote is ${VOTE_BYTES} bytes, got ${bytes.length}`)
    message = {
      type: typeByte === TYPE_BYTE.prevote ? 'prevote' : 'precommit',
      height: r.uintBE(8),
      round: r.u32be(),
      blockHash: bytesToHex(r.bytesView(32)),
      validator: r.address(),
      signature: bytesToHex(r.bytesView(65)),
    }
  } else {
    return malformed(`unknown message type byte ${typeByte}`)
  }
  r.end()
  checkMessage(message)
  return message
}

// ---------------------------------------------------------------------------------------------------------------
// Signing and verification

/** What signs consensus messages for one validator: its address and a signer of 32-byte digests. */
export type MessageSigner = { readonly address: Address; signDigest(digest: Uint8Array): Hex }

/** A signer holding a secp256k1 private key (deterministic RFC 6979 signatures: pure). */
export function privateKeySigner(privateKey: Hex | Uint8Array): MessageSigner {
  const key =
    typeof privateKey === 'string' ? hexToBytes(privateKey, 'INVALID_PRIVATE_KEY') : privateKey.slice()
  return { address: privateKeyToAddress(key), signDigest: (digest) => signDigest65(digest, key) }
}

/** Signs a vote (its `validator` is the signer's address). */
export function signVote(
  domain: SidechainDomain,
  vote: Omit<Vote, 'validator'>,
  signer: MessageSigner,
): SignedVote {
  const unsigned: Vote = {
    type: vote.type,
    height: vote.height,
    round: vote.round,
    blockHash: vote.blockHash,
    validator: signer.address,
  }
  const signed: SignedVote = { ...unsigned, signature: signer.signDigest(voteDigest(domain, unsigned)) }
  checkMessage(signed)
  return signed
}

/** Signs a proposal (its `proposer` is the signer's address). */
export function signProposal(
  domain: SidechainDomain,
  proposal: Omit<Proposal, 'proposer' | 'type'>,
  signer: MessageSigner,
): SignedProposal {
  const unsigned: Proposal = {
    type: 'proposal',
    height: proposal.height,
    round: proposal.round,
    polRound: proposal.polRound,
    blockHash: proposal.blockHash,
    proposer: signer.address,
  }
  const signed: SignedProposal = {
    ...unsigned,
    signature: signer.signDigest(proposalDigest(domain, unsigned)),
  }
  checkMessage(signed)
  return signed
}

/** The address that signed `message` (recovered; `SIDECHAIN_BAD_SIGNATURE` if none can be). */
export function recoverSigner(domain: SidechainDomain, message: ConsensusMessage): Address {
  return signerOf65(messageDigest(domain, message), message.signature, SidechainErrorCode.badSignature)
}

/**
 * Checks a message from a peer: well formed, its claimed signer a member of `validators`, and the signature by that
 * signer. Returns the member. Throws `SIDECHAIN_MALFORMED_MESSAGE`, `SIDECHAIN_NOT_VALIDATOR` (checked before any
 * signature work) or `SIDECHAIN_BAD_SIGNATURE`.
 */
export function verifyMessage(
  domain: SidechainDomain,
  message: ConsensusMessage,
  validators: ValidatorSet,
): Validator {
  checkMessage(message)
  const claimed = claimedSigner(message)
  const index = validators.indexOf(claimed)
  if (index < 0) {
    throw new L2kitError(SidechainErrorCode.notValidator, `${claimed} is not a validator at this height`, {
      details: { signer: claimed },
    })
  }
  const signer = recoverSigner(domain, message)
  if (signer !== claimed) {
    throw new L2kitError(SidechainErrorCode.badSignature, `the signature is not by ${claimed}`, {
      details: { claimed, recovered: signer },
    })
  }
  return validators.validators[index] as Validator
}

// ---------------------------------------------------------------------------------------------------------------
// Double-sign evidence

/**
 * Two valid signatures of one validator over different contents for the same (height, round, type): what an L1
 * contract needs to slash it (both messages carry everything to rebuild their digests).
 */
export type DoubleSignEvidence =
  | { kind: 'duplicateVote'; first: SignedVote; second: SignedVote }
  | { kind: 'duplicateProposal'; first: SignedProposal; second: SignedProposal }

/** Whether two messages are for the same signing slot (same signer, height, round and type). */
export function sameSlot(a: ConsensusMessage, b: ConsensusMessage): boolean {
  return (
    a.type === b.type && a.height === b.height && a.round === b.round && claimedSigner(a) === claimedSigner(b)
  )
}

/** Whether two messages of one slot sign different contents (what makes them a double sign). */
export function conflicting(a: ConsensusMessage, b: ConsensusMessage): boolean {
  if (!sameSlot(a, b)) return false
  if (a.blockHash !== b.blockHash) return true
  return a.type === 'proposal' && b.type === 'proposal' && a.polRound !== b.polRound
}

/**
 * Checks evidence as the L1 contract will: both messages well formed, same slot, different contents, both
 * signatures recover to the accused validator. Returns the validator; throws `SIDECHAIN_INVALID_EVIDENCE` (or the
 * malformed/bad-signature code of the message at fault).
 */
export function verifyEvidence(domain: SidechainDomain, evidence: DoubleSignEvidence): Address {
  checkMessage(evidence.first)
  checkMessage(evidence.second)
  const bad = (reason: string): never => {
    throw new L2kitError(SidechainErrorCode.invalidEvidence, `invalid double-sign evidence: ${reason}`)
  }
  if ((evidence.kind === 'duplicateProposal') !== (evidence.first.type === 'proposal'))
    bad('kind and type differ')
  if (!sameSlot(evidence.first, evidence.second)) bad('the messages are not for the same slot')
  if (!conflicting(evidence.first, evidence.second)) bad('the messages sign the same content')
  const accused = claimedSigner(evidence.first)
  if (recoverSigner(domain, evidence.first) !== accused) bad('the first signature is not by the accused')
  if (recoverSigner(domain, evidence.second) !== accused) bad('the second signature is not by the accused')
  return accused
}

/** The wire bytes as hex: a compact identity for a message (dedupe in a network, logs). */
export function messageKey(message: ConsensusMessage): Hex {
  return bytesToHex(encodeMessage(message))
}
