/**
 * Tendermint consensus (Buchman, Kwon, Milosevic 2018, "The latest gossip on BFT consensus", Algorithm 1) as a
 * pure state machine for one validator (or an observer without a key).
 *
 * The caller feeds events (`start`, `receiveProposal`, `receiveVote`, `receiveBlock`, `proposeBlock`, `timeout`)
 * and carries out the actions each returns, in order: `persist` (make the own signed message durable, fsync, BEFORE
 * the `broadcast` that follows it), `broadcast`, `scheduleTimeout`, `requestBlock` (this node proposes and needs a
 * block: answer with `proposeBlock`), `needBlock` (a block hash the machine must know the validity of: fetch and
 * check it, answer with `receiveBlock`), `decide` (with the commit certificate) and `evidence` (a double sign).
 *
 * No I/O, no clock, no randomness: timeouts are requested as actions and come back as events, block validity is
 * the caller's verdict, signatures are deterministic (RFC 6979).
 *
 * Line numbers in comments (L22, L36, …) refer to Algorithm 1 of the paper. Where this departs from its letter
 * (safety is unchanged): a block is known by the caller's verdict on its hash, not only through the round's
 * proposal message (L36, L49), so a node an equivocating proposer fed another proposal still follows a quorum once
 * it fetched the block; the proposer arms the propose timeout too (as Tendermint does); and a decided height ends
 * there: the caller starts the next one (after applying the block, perhaps with a new validator set).
 */
import { L2kitError } from '../../core/errors.ts'
import type { Address, Hex } from '../../core/types.ts'
import { SidechainErrorCode } from './errors.ts'
import {
  type ConsensusMessage,
  checkMessage,
  claimedSigner,
  type DoubleSignEvidence,
  type MessageSigner,
  messageKey,
  NIL_HASH,
  recoverSigner,
  type SidechainDomain,
  type SignedProposal,
  type SignedVote,
  signProposal,
  signVote,
  type VoteType,
  verifyMessage,
} from './messages.ts'
import { ValidatorSet } from './validatorSet.ts'

// ---------------------------------------------------------------------------------------------------------------
// Options

export type Step = 'propose' | 'prevote' | 'precommit'
const STEP_ORDER: Record<Step, number> = { propose: 0, prevote: 1, precommit: 2 }

/**
 * Timeouts (milliseconds) grow linearly with the round, `base + round · delta`: after the network stabilises
 * (GST) some round's timeouts exceed the message delay, which is all liveness needs, without knowing the delay.
 */
export type ConsensusOptions = {
  timeoutProposeMs: number
  timeoutProposeDeltaMs: number
  timeoutPrevoteMs: number
  timeoutPrevoteDeltaMs: number
  timeoutPrecommitMs: number
  timeoutPrecommitDeltaMs: number
  /** Messages for a round more than this ahead of the current one are refused (bounds memory per peer). */
  maxFutureRounds: number
  /** Next-height messages buffered per validator before `start` of that height (further ones are refused). */
  maxBufferedPerValidator: number
  /**
   * Conflicting votes (second and later votes of one validator for one round and type) kept per validator and
   * height. Honest validators never reach it; it bounds the memory a double-signing validator (already caught:
   * its first conflict is the evidence) can make us spend.
   */
  maxEquivocationsPerValidator: number
}

export const defaultConsensusOptions: ConsensusOptions = Object.freeze({
  timeoutProposeMs: 3000,
  timeoutProposeDeltaMs: 500,
  timeoutPrevoteMs: 1000,
  timeoutPrevoteDeltaMs: 500,
  timeoutPrecommitMs: 1000,
  timeoutPrecommitDeltaMs: 500,
  maxFutureRounds: 64,
  maxBufferedPerValidator: 64,
  maxEquivocationsPerValidator: 256,
})

/** Every problem with `options` (empty when valid). */
export function consensusOptionsProblems(options: ConsensusOptions): string[] {
  const problems: string[] = []
  const int = (k: keyof ConsensusOptions, min: number, max: number) => {
    const v = options[k]
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      problems.push(`${k} must be an integer in [${min}, ${max}], got ${String(v)}`)
    }
  }
  const HOUR = 3_600_000
  int('timeoutProposeMs', 1, HOUR)
  int('timeoutProposeDeltaMs', 0, HOUR)
  int('timeoutPrevoteMs', 1, HOUR)
  int('timeoutPrevoteDeltaMs', 0, HOUR)
  int('timeoutPrecommitMs', 1, HOUR)
  int('timeoutPrecommitDeltaMs', 0, HOUR)
  int('maxFutureRounds', 1, 10_000)
  int('maxBufferedPerValidator', 1, 10_000)
  int('maxEquivocationsPerValidator', 1, 100_000)
  for (const k of Object.keys(options)) {
    if (!(k in defaultConsensusOptions)) problems.push(`unknown option '${k}'`)
  }
  return problems
}

/** Defaults completed with `options`, validated; throws `SIDECHAIN_INVALID_OPTIONS` listing every problem. */
export function resolveConsensusOptions(options: Partial<ConsensusOptions> = {}): ConsensusOptions {
  const resolved = { ...defaultConsensusOptions, ...options }
  const problems = consensusOptionsProblems(resolved)
  if (problems.length > 0) {
    throw new L2kitError(
      SidechainErrorCode.invalidOptions,
      `invalid consensus options: ${problems.join('; ')}`,
      {
        details: { problems },
      },
    )
  }
  return resolved
}

/** The timeout of `step` in `round`, in milliseconds. */
export function timeoutMs(options: ConsensusOptions, step: Step, round: number): number {
  const [base, delta] =
    step === 'propose'
      ? [options.timeoutProposeMs, options.timeoutProposeDeltaMs]
      : step === 'prevote'
        ? [options.timeoutPrevoteMs, options.timeoutPrevoteDeltaMs]
        : [options.timeoutPrecommitMs, options.timeoutPrecommitDeltaMs]
  return Math.min(base + round * delta, Number.MAX_SAFE_INTEGER)
}

// ---------------------------------------------------------------------------------------------------------------
// Actions, state, persistence

export type ConsensusAction =
  /** Make this own signed message durable (fsync) before carrying out the next action. */
  | { type: 'persist'; message: ConsensusMessage }
  /** Send to every validator (and gossip on). */
  | { type: 'broadcast'; message: ConsensusMessage }
  /** Call `timeout(height, round, step)` after `ms` milliseconds. */
  | { type: 'scheduleTimeout'; height: bigint; round: number; step: Step; ms: number }
  /** This node proposes in (height, round) and has no block to re-propose: build one, answer with `proposeBlock`. */
  | { type: 'requestBlock'; height: bigint; round: number }
  /** Fetch and check this block, answer with `receiveBlock` (asked once per block hash and height). */
  | { type: 'needBlock'; height: bigint; blockHash: Hex }
  /** `blockHash` is decided at `height`; `commit` is > ⅔ of the power's precommits for it in `round`. */
  | { type: 'decide'; height: bigint; round: number; blockHash: Hex; commit: SignedVote[] }
  /** A validator signed two different messages for one (height, round, type): the L1 slashing input. */
  | { type: 'evidence'; evidence: DoubleSignEvidence }

/** What the machine believes now (read-only view). */
export type ConsensusState = {
  height: bigint | undefined
  round: number
  step: Step
  decided: boolean
  /** The block this node precommitted last at this height, and the round it did (-1: none). */
  lockedValue: Hex | undefined
  lockedRound: number
  /** The latest block this node saw > ⅔ prevotes for at this height (what it re-proposes), and the round. */
  validValue: Hex | undefined
  validRound: number
}

/** Messages counted at one (height, round). */
export type RoundMessages = {
  proposal: SignedProposal | undefined
  prevotes: SignedVote[]
  precommits: SignedVote[]
}

/**
 * What a validator persists to restart without double signing: the height, its validator set (with priorities), and
 * every message it signed at that height (the `persist` actions). Lock and round are derived from these.
 */
export type PersistedConsensusState = {
  height: bigint
  validators: ValidatorSet
  ownMessages: readonly ConsensusMessage[]
}

/** The machine's collaborators: the signing domain, and this validator's signer (none for an observer). */
export type ConsensusModules = { domain: SidechainDomain; signer?: MessageSigner }

// ---------------------------------------------------------------------------------------------------------------
// Per-round bookkeeping

/**
 * The votes of one type in one round. As in the paper, every distinct signed (validator, block) vote counts toward
 * its block: an equivocating validator's power may count for two blocks, which is harmless while the Byzantine hold
 * less than ⅓ (two quorums would still need more than ⅓ to sign both), and necessary for liveness: every honest node
 * must end with the same view once gossip delivered the same messages, whichever of the two it got first. The
 * "any block" total counts each validator once.
 */
class Tally {
  /** Each validator's first vote: what the "any block" total counts. */
  readonly first = new Map<Address, SignedVote>()
  readonly byBlock = new Map<Hex, Map<Address, SignedVote>>()
  readonly powerFor = new Map<Hex, bigint>()
  total = 0n

  has(vote: SignedVote): boolean {
    return this.byBlock.get(vote.blockHash)?.has(vote.validator) ?? false
  }

  add(vote: SignedVote, power: bigint): void {
    if (!this.first.has(vote.validator)) {
      this.first.set(vote.validator, vote)
      this.total += power
    }
    let voters = this.byBlock.get(vote.blockHash)
    if (voters === undefined) {
      voters = new Map()
      this.byBlock.set(vote.blockHash, voters)
    }
    voters.set(vote.validator, vote)
    this.powerFor.set(vote.blockHash, (this.powerFor.get(vote.blockHash) ?? 0n) + power)
  }

  power(blockHash: Hex): bigint {
    return this.powerFor.get(blockHash) ?? 0n
  }

  votesFor(blockHash: Hex): SignedVote[] {
    return [...(this.byBlock.get(blockHash)?.values() ?? [])].sort((a, b) =>
      a.validator < b.validator ? -1 : 1,
    )
  }
}

class RoundState {
  proposal: SignedProposal | undefined
  conflictingProposal: SignedProposal | undefined
  readonly prevotes = new Tally()
  readonly precommits = new Tally()
  /** `type:validator` pairs already reported as double signers in this round. */
  readonly evidenced = new Set<string>()
  /** Distinct validators that sent anything for this round, and their power (the L55 round-skip rule). */
  readonly senders = new Set<Address>()
  senderPower = 0n
  // "for the first time" guards of L34, L36 and L47
  prevoteTimeoutScheduled = false
  precommitTimeoutScheduled = false
  lockRuleDone = false

  tally(type: VoteType): Tally {
    return type === 'prevote' ? this.prevotes : this.precommits
  }

  addSender(address: Address, power: bigint): void {
    if (this.senders.has(address)) return
    this.senders.add(address)
    this.senderPower += power
  }
}

type Buffered = { message: ConsensusMessage; blockValid: boolean | undefined }

function slotKey(message: { type: ConsensusMessage['type']; round: number }): string {
  return `${message.type}:${message.round}`
}

function refuse(code: SidechainErrorCode, message: string, details: Record<string, unknown> = {}): never {
  throw new L2kitError(code, message, { details })
}

// ---------------------------------------------------------------------------------------------------------------
// The machine

export class ConsensusMachine {
  readonly options: ConsensusOptions
  private readonly domain: SidechainDomain
  private readonly signer: MessageSigner | undefined

  private height: bigint | undefined
  private validators: ValidatorSet | undefined
  private round = 0
  private step: Step = 'propose'
  private decided = false
  private lockedValue: Hex | undefined
  private lockedRound = -1
  private validValue: Hex | undefined
  private validRound = -1
  private rounds = new Map<number, RoundState>()
  /** The caller's verdicts on blocks of this height (true: valid), first verdict wins. */
  private blocks = new Map<Hex, boolean>()
  private blocksAsked = new Set<Hex>()
  private blocksRequested = new Set<number>()
  /** Conflicting votes counted per validator at this height (bounded: `maxEquivocationsPerValidator`). */
  private equivocations = new Map<Address, number>()
  /** Every message this node signed at this height, by (type, round): the double-sign guard. */
  private own = new Map<string, ConsensusMessage>()
  /** Next-height messages, checked and kept until `start(height + 1)`. */
  private future: Buffered[] = []
  private futureKeys = new Set<Hex>()
  private futurePerValidator = new Map<Address, number>()

  constructor(options: Partial<ConsensusOptions>, modules: ConsensusModules) {
    this.options = resolveConsensusOptions(options)
    this.domain = modules.domain
    this.signer = modules.signer
  }

  /** The current beliefs (height, round, step, lock, valid value). */
  get state(): ConsensusState {
    return {
      height: this.height,
      round: this.round,
      step: this.step,
      decided: this.decided,
      lockedValue: this.lockedValue,
      lockedRound: this.lockedRound,
      validValue: this.validValue,
      validRound: this.validRound,
    }
  }

  /** The validator set of the current height (undefined before `start`/`restore`). */
  get validatorSet(): ValidatorSet | undefined {
    return this.validators
  }

  /** The messages counted at `round` of the current height. */
  messagesAt(round: number): RoundMessages {
    const rs = this.rounds.get(round)
    return {
      proposal: rs?.proposal,
      prevotes: rs === undefined ? [] : [...rs.prevotes.byBlock.values()].flatMap((m) => [...m.values()]),
      precommits: rs === undefined ? [] : [...rs.precommits.byBlock.values()].flatMap((m) => [...m.values()]),
    }
  }

  /** Every message this node signed at the current height (what its `persist` actions wrote). */
  ownMessages(): ConsensusMessage[] {
    return [...this.own.values()]
  }

  /**
   * Starts `height` (the first one, or the next after a decision; a higher one after catching up). Without
   * `validators` the set is the previous height's advanced to this height (same members). Next-height messages
   * received before are replayed.
   */
  start(height: bigint, validators?: ValidatorSet): ConsensusAction[] {
    if (typeof height !== 'bigint' || height < 0n) refuse(SidechainErrorCode.wrongHeight, 'a height is a u64')
    const previous = this.height
    if (previous !== undefined && height <= previous) {
      refuse(SidechainErrorCode.wrongHeight, `cannot start height ${height} at height ${previous}`, {
        height: height.toString(),
        current: previous.toString(),
      })
    }
    let set = validators
    if (set === undefined) {
      if (this.validators === undefined || previous === undefined) {
        refuse(SidechainErrorCode.invalidState, 'the first start needs the validator set')
      }
      set = this.validators
      for (let h = previous; h < height; h++) set = set.next()
    }
    const buffered = previous !== undefined && height === previous + 1n ? this.future : []
    this.resetHeight(height, set)
    const out: ConsensusAction[] = []
    this.startRound(0, out)
    for (const b of buffered) {
      try {
        out.push(...this.receive(b.message, b.blockValid, true))
      } catch (e) {
        // Buffered messages were checked against the previous height's set; a validator that left is dropped here.
        if (!(e instanceof L2kitError)) throw e
      }
    }
    this.evaluate(out)
    return out
  }

  /**
   * Resumes a validator after a restart from what it persisted: the height, its set, the messages it signed. The
   * lock is its last non-nil precommit, the round and step its last signed message's; it never signs a different
   * message for a (round, type) it signed before. Only on a fresh machine.
   */
  restore(state: PersistedConsensusState): ConsensusAction[] {
    if (this.height !== undefined) refuse(SidechainErrorCode.invalidState, 'restore only a fresh machine')
    const signer = this.signer
    if (signer === undefined) refuse(SidechainErrorCode.invalidState, 'restore needs the validator signer')
    const bad = (why: string): never => refuse(SidechainErrorCode.invalidState, `cannot restore: ${why}`)
    if (typeof state.height !== 'bigint' || state.height < 0n) bad('the height is not a u64')
    if (!(state.validators instanceof ValidatorSet)) bad('the validator set is missing')
    const mine: ConsensusMessage[] = []
    const slots = new Map<string, ConsensusMessage>()
    for (const m of state.ownMessages) {
      checkMessage(m)
      if (m.height !== state.height) bad(`a persisted message is for height ${m.height}`)
      if (claimedSigner(m) !== signer.address || recoverSigner(this.domain, m) !== signer.address) {
        bad('a persisted message is not signed by this validator')
      }
      const earlier = slots.get(slotKey(m))
      if (earlier !== undefined) {
        if (messageKey(earlier) === messageKey(m)) continue
        bad(`the persisted messages already sign two different ${m.type}s in round ${m.round}`)
      }
      slots.set(slotKey(m), m)
      mine.push(m)
    }
    this.resetHeight(state.height, state.validators)
    const set = state.validators
    const myPower = set.powerOf(signer.address)
    if (myPower === 0n && mine.length > 0)
      bad('this validator signed messages at a height whose set lacks it')
    for (const m of mine) {
      this.own.set(slotKey(m), m)
      const rs = this.roundState(m.round)
      if (m.type === 'proposal') {
        rs.proposal = m
        this.blocks.set(m.blockHash, true) // we proposed it, so we had checked it
      } else {
        rs.tally(m.type).add(m, myPower)
      }
      rs.addSender(signer.address, myPower)
    }
    // The lock is what the last non-nil precommit committed to (L36 sets both together, nothing else sets the
    // lock), so it is rebuilt exactly. The valid value may have been newer; the lock is a safe stand-in for it.
    for (const m of mine) {
      if (m.type === 'precommit' && m.blockHash !== NIL_HASH && m.round > this.lockedRound) {
        this.lockedRound = m.round
        this.lockedValue = m.blockHash
      }
    }
    if (this.lockedValue !== undefined) {
      this.validValue = this.lockedValue
      this.validRound = this.lockedRound
      this.blocks.set(this.lockedValue, true) // it was valid when we precommitted it
    }
    this.round = mine.reduce((r, m) => Math.max(r, m.round), 0)
    const at = (type: string) => this.own.has(`${type}:${this.round}`)
    this.step = at('precommit') ? 'precommit' : at('prevote') ? 'prevote' : 'propose'

    const out: ConsensusAction[] = []
    // Re-send what we signed (it may never have left before the crash); peers drop what they already have.
    for (const m of mine) out.push({ type: 'broadcast', message: m })
    if (this.step === 'propose') {
      if (this.isProposer(this.round) && !at('proposal')) this.propose(out)
      this.scheduleTimeout('propose', out)
    } else {
      this.scheduleTimeout(this.step, out)
    }
    this.evaluate(out)
    return out
  }

  /**
   * A proposal from a peer, with the caller's verdict on its block (`undefined`: not known yet; the machine then
   * asks with `needBlock`). Throws a typed error (and changes nothing) for a malformed message, a non-validator, the
   * wrong proposer, a bad signature, a duplicate, a round too far ahead or a full buffer.
   */
  receiveProposal(message: SignedProposal, blockValid?: boolean): ConsensusAction[] {
    checkMessage(message)
    if ((message as ConsensusMessage).type !== 'proposal')
      refuse(SidechainErrorCode.malformedMessage, 'not a proposal')
    return this.receive(message, blockValid, false)
  }

  /** A prevote or precommit from a peer. Throws like `receiveProposal` (and changes nothing). */
  receiveVote(message: SignedVote): ConsensusAction[] {
    checkMessage(message)
    if ((message as ConsensusMessage).type === 'proposal')
      refuse(SidechainErrorCode.malformedMessage, 'not a vote')
    return this.receive(message, undefined, false)
  }

  /** The caller's verdict on a block of the current height (answer to `needBlock`, or unasked). */
  receiveBlock(height: bigint, blockHash: Hex, valid: boolean): ConsensusAction[] {
    if (!/^0x[0-9a-f]{64}$/.test(blockHash) || blockHash === NIL_HASH) {
      refuse(SidechainErrorCode.malformedMessage, 'a block hash is 32 bytes of lowercase 0x-hex, not nil')
    }
    if (height !== this.currentHeight() || this.decided) return []
    if (!this.blocks.has(blockHash)) this.blocks.set(blockHash, valid)
    const out: ConsensusAction[] = []
    this.evaluate(out)
    return out
  }

  /**
   * The block this node proposes in (height, round), the answer to `requestBlock`. A late answer (the round moved
   * on) is ignored; a second, different block for a round already proposed is refused (`SIDECHAIN_DOUBLE_SIGN_REFUSED`).
   */
  proposeBlock(height: bigint, round: number, blockHash: Hex): ConsensusAction[] {
    if (!/^0x[0-9a-f]{64}$/.test(blockHash) || blockHash === NIL_HASH) {
      refuse(SidechainErrorCode.malformedMessage, 'a block hash is 32 bytes of lowercase 0x-hex, not nil')
    }
    if (height !== this.currentHeight() || this.decided || round !== this.round || this.step !== 'propose')
      return []
    if (!this.isProposer(round))
      refuse(SidechainErrorCode.invalidState, `this node is not the proposer of round ${round}`)
    const earlier = this.own.get(`proposal:${round}`)
    if (earlier !== undefined && earlier.blockHash !== blockHash) {
      refuse(SidechainErrorCode.doubleSignRefused, `already proposed ${earlier.blockHash} in round ${round}`)
    }
    const out: ConsensusAction[] = []
    if (!this.blocks.has(blockHash)) this.blocks.set(blockHash, true) // our own block: valid by construction
    this.castProposal(blockHash, -1, out)
    this.evaluate(out)
    return out
  }

  /** A timeout the machine scheduled has expired (L57, L61, L65); stale ones do nothing. */
  timeout(height: bigint, round: number, step: Step): ConsensusAction[] {
    if (height !== this.currentHeight() || this.decided || round !== this.round) return []
    const out: ConsensusAction[] = []
    if (step === 'propose' && this.step === 'propose') {
      // L57: no acceptable proposal in time.
      this.castVote('prevote', NIL_HASH, out)
      this.step = 'prevote'
    } else if (step === 'prevote' && this.step === 'prevote') {
      // L61: > ⅔ prevoted, but not for one block.
      this.castVote('precommit', NIL_HASH, out)
      this.step = 'precommit'
    } else if (step === 'precommit') {
      // L65: > ⅔ precommitted, but not for one block: next round.
      this.startRound(this.round + 1, out)
    } else {
      return []
    }
    this.evaluate(out)
    return out
  }

  // -------------------------------------------------------------------------------------------------------------
  // Receiving

  private currentHeight(): bigint {
    if (this.height === undefined) refuse(SidechainErrorCode.invalidState, 'the machine has not started')
    return this.height
  }

  private receive(
    message: ConsensusMessage,
    blockValid: boolean | undefined,
    verified: boolean,
  ): ConsensusAction[] {
    const height = this.currentHeight()
    // Late messages are normal (a slow peer); they cannot change a finished height.
    if (message.height < height || (message.height === height && this.decided)) return []
    if (message.height > height) {
      this.buffer(message, blockValid)
      return []
    }
    if (message.round > this.round + this.options.maxFutureRounds) {
      refuse(SidechainErrorCode.wrongRound, `round ${message.round} is too far ahead of ${this.round}`, {
        round: message.round,
      })
    }
    const out: ConsensusAction[] = []
    if (message.type === 'proposal') this.addProposal(message, blockValid, verified, out)
    else this.addVote(message, verified, out)
    this.evaluate(out)
    return out
  }

  /** The validator set of this height, with `address`'s power; throws `SIDECHAIN_NOT_VALIDATOR` for a non-member. */
  private memberPower(address: Address): bigint {
    const power = (this.validators as ValidatorSet).powerOf(address)
    if (power === 0n) refuse(SidechainErrorCode.notValidator, `${address} is not a validator at this height`)
    return power
  }

  private checkSignature(message: ConsensusMessage): void {
    const signer = recoverSigner(this.domain, message)
    const claimed = claimedSigner(message)
    if (signer !== claimed) {
      refuse(SidechainErrorCode.badSignature, `the signature is not by ${claimed}`, {
        claimed,
        recovered: signer,
      })
    }
  }

  private addVote(vote: SignedVote, verified: boolean, out: ConsensusAction[]): void {
    const power = this.memberPower(vote.validator)
    const rs = this.roundState(vote.round)
    const tally = rs.tally(vote.type)
    // Duplicates are recognised before any signature work: a copy changes nothing, whoever signed it.
    if (tally.has(vote)) {
      refuse(
        SidechainErrorCode.duplicateMessage,
        `this ${vote.type} of ${vote.validator} in round ${vote.round} is known`,
      )
    }
    const first = tally.first.get(vote.validator)
    const equivocations = this.equivocations.get(vote.validator) ?? 0
    if (first !== undefined && equivocations >= this.options.maxEquivocationsPerValidator) {
      refuse(
        SidechainErrorCode.equivocationLimit,
        `${vote.validator} has equivocated too often at this height`,
      )
    }
    if (!verified) this.checkSignature(vote)
    if (first !== undefined) {
      this.equivocations.set(vote.validator, equivocations + 1)
      // One piece of evidence per (validator, round, type) is all L1 needs to slash.
      if (!rs.evidenced.has(`${vote.type}:${vote.validator}`)) {
        rs.evidenced.add(`${vote.type}:${vote.validator}`)
        out.push({ type: 'evidence', evidence: { kind: 'duplicateVote', first, second: vote } })
      }
    }
    tally.add(vote, power)
    rs.addSender(vote.validator, power)
  }

  private addProposal(
    proposal: SignedProposal,
    blockValid: boolean | undefined,
    verified: boolean,
    out: ConsensusAction[],
  ): void {
    const power = this.memberPower(proposal.proposer)
    const expected = (this.validators as ValidatorSet).proposer(proposal.round)
    if (proposal.proposer !== expected) {
      refuse(
        SidechainErrorCode.wrongProposer,
        `${proposal.proposer} does not propose round ${proposal.round}`,
        {
          expected,
        },
      )
    }
    const rs = this.roundState(proposal.round)
    const first = rs.proposal
    if (
      first !== undefined &&
      ((first.blockHash === proposal.blockHash && first.polRound === proposal.polRound) ||
        rs.conflictingProposal !== undefined)
    ) {
      refuse(SidechainErrorCode.duplicateMessage, `the proposal of round ${proposal.round} is known`)
    }
    if (!verified) this.checkSignature(proposal)
    if (blockValid !== undefined && !this.blocks.has(proposal.blockHash)) {
      this.blocks.set(proposal.blockHash, blockValid)
    }
    if (first !== undefined) {
      // The first proposal is the one L22/L28 act on; the second is evidence (its block may still be decided
      // through a quorum, see ruleLock/ruleDecide, since the verdict on it is recorded above).
      rs.conflictingProposal = proposal
      out.push({ type: 'evidence', evidence: { kind: 'duplicateProposal', first, second: proposal } })
      return
    }
    rs.proposal = proposal
    rs.addSender(proposal.proposer, power)
    this.askForBlock(proposal.blockHash, out)
  }

  /** Keeps a next-height message (checked: member of this set, signed by it) within the per-validator bound. */
  private buffer(message: ConsensusMessage, blockValid: boolean | undefined): void {
    const height = this.height as bigint
    if (message.height !== height + 1n) {
      refuse(SidechainErrorCode.wrongHeight, `height ${message.height} is too far ahead of ${height}`, {
        height: message.height.toString(),
      })
    }
    if (message.round > this.options.maxFutureRounds) {
      refuse(SidechainErrorCode.wrongRound, `round ${message.round} is too far ahead for the next height`)
    }
    const key = messageKey(message)
    if (this.futureKeys.has(key))
      refuse(SidechainErrorCode.duplicateMessage, 'this message is already buffered')
    // The next height's set is not known yet; members are checked against this one (the same members unless the
    // set changes at this height, when a newcomer's early messages are dropped and gossiped again later).
    verifyMessage(this.domain, message, this.validators as ValidatorSet)
    const signer = claimedSigner(message)
    const count = this.futurePerValidator.get(signer) ?? 0
    if (count >= this.options.maxBufferedPerValidator) {
      refuse(SidechainErrorCode.bufferFull, `the next-height buffer of ${signer} is full`)
    }
    this.futurePerValidator.set(signer, count + 1)
    this.futureKeys.add(key)
    this.future.push({ message, blockValid })
  }

  // -------------------------------------------------------------------------------------------------------------
  // The rules of Algorithm 1, applied until none fires

  private evaluate(out: ConsensusAction[]): void {
    // Each firing rule moves the state strictly forward (height, round, step or a once-only flag), so this ends.
    for (;;) {
      if (this.decided || this.ruleDecide(out)) return
      if (this.ruleSkipRound(out)) continue
      if (this.ruleProposal(out)) continue
      if (this.ruleLock(out)) continue
      if (this.rulePrecommitNil(out)) continue
      this.ruleScheduleTimeouts(out)
      return
    }
  }

  /**
   * L49: > ⅔ precommits for a block in any round of this height, and the block is valid: decide. The paper asks for
   * the proposal message only to learn the block behind the hash; here the caller's verdict stands for it, so a node
   * that got a different proposal from an equivocating proposer still decides once it fetched the block.
   */
  private ruleDecide(out: ConsensusAction[]): boolean {
    const set = this.validators as ValidatorSet
    for (const [round, rs] of this.rounds) {
      for (const [blockHash, power] of rs.precommits.powerFor) {
        if (blockHash === NIL_HASH || !set.isQuorum(power)) continue
        const verdict = this.blocks.get(blockHash)
        if (verdict === undefined) this.askForBlock(blockHash, out)
        if (verdict !== true) continue
        const commit = rs.precommits.votesFor(blockHash)
        this.decided = true
        out.push({ type: 'decide', height: this.height as bigint, round, blockHash, commit })
        return true
      }
    }
    return false
  }

  /**
   * L55: validators with > ⅓ of the power already speak in a higher round, so at least one honest one moved there:
   * follow them instead of waiting out this round's timeouts.
   */
  private ruleSkipRound(out: ConsensusAction[]): boolean {
    const set = this.validators as ValidatorSet
    let target = -1
    for (const [round, rs] of this.rounds) {
      if (round > this.round && round > target && set.exceedsOneThird(rs.senderPower)) target = round
    }
    if (target < 0) return false
    this.startRound(target, out)
    return true
  }

  /**
   * L22 and L28: the proposal of this round while in the propose step. A fresh proposal (polRound -1) gets our
   * prevote if the block is valid and we are not locked on another; a re-proposal (polRound vr) also if its proof of
   * lock (> ⅔ prevotes for it in vr) is at least as recent as our lock, which is what lets a locked node move on.
   */
  private ruleProposal(out: ConsensusAction[]): boolean {
    if (this.step !== 'propose') return false
    const proposal = this.rounds.get(this.round)?.proposal
    if (proposal === undefined) return false
    const v = proposal.blockHash
    const verdict = this.blocks.get(v)
    if (verdict === undefined) return false // waiting for the block (or for the propose timeout)
    const vr = proposal.polRound
    let acceptable: boolean
    if (vr === -1) {
      acceptable = this.lockedRound === -1 || this.lockedValue === v
    } else {
      const pol = this.rounds.get(vr)?.prevotes.power(v) ?? 0n
      if (!(this.validators as ValidatorSet).isQuorum(pol)) return false // L28 waits for its proof of lock
      acceptable = this.lockedRound <= vr || this.lockedValue === v
    }
    this.castVote('prevote', verdict && acceptable ? v : NIL_HASH, out)
    this.step = 'prevote'
    return true
  }

  /**
   * L36: > ⅔ prevotes for a valid block in this round (once per round, from the prevote step on). In the prevote
   * step we lock on it and precommit it; in any case it becomes the valid value we would re-propose. As in
   * ruleDecide, the block is known by the caller's verdict rather than by this round's proposal message.
   */
  private ruleLock(out: ConsensusAction[]): boolean {
    if (STEP_ORDER[this.step] < STEP_ORDER.prevote) return false
    const rs = this.rounds.get(this.round)
    if (rs === undefined || rs.lockRuleDone) return false
    const set = this.validators as ValidatorSet
    for (const [v, power] of rs.prevotes.powerFor) {
      if (v === NIL_HASH || !set.isQuorum(power)) continue
      const verdict = this.blocks.get(v)
      if (verdict === undefined) this.askForBlock(v, out)
      if (verdict !== true) continue
      rs.lockRuleDone = true
      if (this.step === 'prevote') {
        this.lockedValue = v
        this.lockedRound = this.round
        this.castVote('precommit', v, out)
        this.step = 'precommit'
      }
      this.validValue = v
      this.validRound = this.round
      return true
    }
    return false
  }

  /** L44: > ⅔ prevoted nil in this round: precommit nil without waiting for the prevote timeout. */
  private rulePrecommitNil(out: ConsensusAction[]): boolean {
    if (this.step !== 'prevote') return false
    const rs = this.rounds.get(this.round)
    if (rs === undefined || !(this.validators as ValidatorSet).isQuorum(rs.prevotes.power(NIL_HASH)))
      return false
    this.castVote('precommit', NIL_HASH, out)
    this.step = 'precommit'
    return true
  }

  /**
   * L34 and L47: once > ⅔ of the power voted in this round (for anything), give the stragglers a timeout's worth
   * of time, then move on. Scheduling only; the step does not change.
   */
  private ruleScheduleTimeouts(out: ConsensusAction[]): void {
    const rs = this.rounds.get(this.round)
    if (rs === undefined) return
    const set = this.validators as ValidatorSet
    if (this.step === 'prevote' && !rs.prevoteTimeoutScheduled && set.isQuorum(rs.prevotes.total)) {
      rs.prevoteTimeoutScheduled = true
      this.scheduleTimeout('prevote', out)
    }
    if (!rs.precommitTimeoutScheduled && set.isQuorum(rs.precommits.total)) {
      rs.precommitTimeoutScheduled = true
      this.scheduleTimeout('precommit', out)
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Own actions

  /** StartRound (L11): the proposer proposes (its valid value if any, else a new block); everyone arms L57. */
  private startRound(round: number, out: ConsensusAction[]): void {
    this.round = round
    this.step = 'propose'
    if (this.isProposer(round)) this.propose(out)
    // Tendermint arms the propose timeout for the proposer too: if its own block never comes, it prevotes nil
    // with the others instead of holding the round up.
    this.scheduleTimeout('propose', out)
  }

  private propose(out: ConsensusAction[]): void {
    if (this.validValue !== undefined) {
      this.castProposal(this.validValue, this.validRound, out)
    } else if (!this.blocksRequested.has(this.round)) {
      this.blocksRequested.add(this.round)
      out.push({ type: 'requestBlock', height: this.height as bigint, round: this.round })
    }
  }

  private isProposer(round: number): boolean {
    return (
      this.signer !== undefined && (this.validators as ValidatorSet).proposer(round) === this.signer.address
    )
  }

  private scheduleTimeout(step: Step, out: ConsensusAction[]): void {
    out.push({
      type: 'scheduleTimeout',
      height: this.height as bigint,
      round: this.round,
      step,
      ms: timeoutMs(this.options, step, this.round),
    })
  }

  private askForBlock(blockHash: Hex, out: ConsensusAction[]): void {
    if (this.blocks.has(blockHash) || this.blocksAsked.has(blockHash)) return
    this.blocksAsked.add(blockHash)
    out.push({ type: 'needBlock', height: this.height as bigint, blockHash })
  }

  /**
   * Signs, persists, broadcasts and counts our vote of this round, unless we signed this (round, type) before:
   * then that earlier vote stands, whatever the rules want now. This is the double-sign guard; after `restore` it
   * holds the votes signed before the restart.
   */
  private castVote(type: VoteType, blockHash: Hex, out: ConsensusAction[]): void {
    const signer = this.signer
    const set = this.validators as ValidatorSet
    if (signer === undefined || !set.has(signer.address)) return // an observer only follows
    const slot = `${type}:${this.round}`
    const earlier = this.own.get(slot) ?? this.roundState(this.round).tally(type).first.get(signer.address)
    if (earlier !== undefined) {
      this.own.set(slot, earlier)
      out.push({ type: 'broadcast', message: earlier })
      return
    }
    const vote = signVote(
      this.domain,
      { type, height: this.height as bigint, round: this.round, blockHash },
      signer,
    )
    this.own.set(slot, vote)
    out.push({ type: 'persist', message: vote }, { type: 'broadcast', message: vote })
    this.addVote(vote, true, out)
  }

  /** Like `castVote` for our proposal of this round (the block is valid: we built or locked it). */
  private castProposal(blockHash: Hex, polRound: number, out: ConsensusAction[]): void {
    const signer = this.signer as MessageSigner
    const slot = `proposal:${this.round}`
    const earlier = this.own.get(slot)
    if (earlier !== undefined) {
      out.push({ type: 'broadcast', message: earlier })
      return
    }
    const proposal = signProposal(
      this.domain,
      { height: this.height as bigint, round: this.round, polRound, blockHash },
      signer,
    )
    this.own.set(slot, proposal)
    out.push({ type: 'persist', message: proposal }, { type: 'broadcast', message: proposal })
    this.addProposal(proposal, true, true, out)
  }

  // -------------------------------------------------------------------------------------------------------------
  // Housekeeping

  private roundState(round: number): RoundState {
    let rs = this.rounds.get(round)
    if (rs === undefined) {
      rs = new RoundState()
      this.rounds.set(round, rs)
    }
    return rs
  }

  private resetHeight(height: bigint, validators: ValidatorSet): void {
    this.height = height
    this.validators = validators
    this.round = 0
    this.step = 'propose'
    this.decided = false
    this.lockedValue = undefined
    this.lockedRound = -1
    this.validValue = undefined
    this.validRound = -1
    this.rounds = new Map()
    this.blocks = new Map()
    this.blocksAsked = new Set()
    this.blocksRequested = new Set()
    this.own = new Map()
    this.equivocations = new Map()
    this.future = []
    this.futureKeys = new Set()
    this.futurePerValidator = new Map()
  }
}

/**
 * Checks a commit certificate (from `decide`, or from a peer during block sync): precommits for `blockHash` at
 * `height`, one round, distinct members of `validators`, valid signatures, > ⅔ of the power. Returns the round;
 * throws `SIDECHAIN_INVALID_COMMIT`, or the member / signature error of the precommit at fault.
 */
export function verifyCommit(
  domain: SidechainDomain,
  validators: ValidatorSet,
  height: bigint,
  blockHash: Hex,
  commit: readonly SignedVote[],
): number {
  const bad = (why: string): never => refuse(SidechainErrorCode.invalidCommit, `invalid commit: ${why}`)
  const first = commit[0]
  if (first === undefined) return bad('no precommits')
  const seen = new Set<Address>()
  let power = 0n
  for (const vote of commit) {
    checkMessage(vote)
    if (vote.type !== 'precommit') bad('not a precommit')
    if (vote.height !== height || vote.round !== first.round || vote.blockHash !== blockHash) {
      bad('precommits for different heights, rounds or blocks')
    }
    if (seen.has(vote.validator)) bad(`two precommits of ${vote.validator}`)
    seen.add(vote.validator)
    power += verifyMessage(domain, vote, validators).power
  }
  if (!validators.isQuorum(power)) bad(`${power} of ${validators.totalPower} is not more than two thirds`)
  return first.round
}
