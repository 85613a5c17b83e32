/**
 * The validator set of one sidechain height: who may vote, with what voting power, what a quorum is, and who
 * proposes in each round. Pure and immutable: the set for the next height is `set.next()`.
 *
 * Thresholds are in voting power, never in head counts: a quorum is strictly more than ⅔ of the total power (any two
 * quorums then share more than ⅓, so at least one honest validator while the Byzantine hold less than ⅓), and the
 * round-skip threshold is strictly more than ⅓ (at least one honest validator is among any such group).
 *
 * Proposers follow Tendermint's proposer-priority algorithm (a smooth weighted round-robin): every step each
 * validator's priority grows by its power, the highest priority proposes (ties to the lower address) and pays the
 * total power back. Over any window of steps a validator proposes in proportion to its power, within one slot.
 * As in Tendermint, the priorities are part of the set: the set of height h + 1 is the set of height h advanced by
 * one step (`next()`), and round r of a height is r further steps (`proposer(r)`), so the proposer of (height,
 * round) is a pure function of the set at the height and the round.
 */
import { isAddress } from '../../core/bytes.ts'
import { L2kitError } from '../../core/errors.ts'
import type { Address } from '../../core/types.ts'
import { SidechainErrorCode } from './errors.ts'

/** One validator: its L1/signing address (lowercase) and its voting power (> 0, from its stake). */
export type Validator = { readonly address: Address; readonly power: bigint }

/** A validator with its proposer priority: what a node persists to rebuild the exact set of a height. */
/** The L1 StakeManager's validator set at one epoch, in canonical order. */
export type EpochSet = { epoch: bigint; validators: Validator[] }

export type ValidatorWithPriority = Validator & { readonly proposerPriority: bigint }

/** Largest number of validators in a set (bounds the work per message and per round). */
export const MAX_VALIDATORS = 10_000
/** Total voting power must stay below this (stake in wei fits easily; keeps every sum small). */
export const MAX_TOTAL_POWER = 1n << 128n
/** A persisted proposer priority must be within ±this (anything larger is corrupt data, not a real history). */
const MAX_PRIORITY_MAGNITUDE = 1n << 192n

/** Every reason `validators` is not a valid set in canonical form (empty when it is). */
export function validatorSetProblems(validators: readonly Validator[]): string[] {
  const problems: string[] = []
  if (!Array.isArray(validators)) return ['the validator set must be an array']
  if (validators.length === 0) problems.push('the validator set is empty')
  if (validators.length > MAX_VALIDATORS) {
    problems.push(`the validator set has ${validators.length} validators, at most ${MAX_VALIDATORS} allowed`)
  }
  let total = 0n
  let previous: Address | undefined
  validators.forEach((v, i) => {
    if (v === null || typeof v !== 'object') {
      problems.push(`validator ${i} is not an object`)
      return
    }
    if (typeof v.address !== 'string' || !isAddress(v.address) || v.address !== v.address.toLowerCase()) {
      problems.push(`validator ${i}: the address must be 20 bytes of lowercase 0x-hex`)
    } else {
      // Canonical order is strictly ascending address: it makes duplicates adjacent (and so forbidden by the same
      // check) and gives every set exactly one representation, which a later set hash and L1 checkpoint need.
      if (previous !== undefined && v.address <= previous) {
        problems.push(
          v.address === previous
            ? `validator ${i}: duplicate address ${v.address}`
            : `validator ${i}: addresses must be in ascending order (${v.address} after ${previous})`,
        )
      }
      previous = v.address
    }
    if (typeof v.power !== 'bigint' || v.power <= 0n) {
      problems.push(`validator ${i}: the voting power must be a bigint > 0`)
    } else {
      total += v.power
    }
  })
  if (total >= MAX_TOTAL_POWER) problems.push('the total voting power must be below 2^128')
  return problems
}

/** The same validators in canonical (ascending address, lowercase) order; does not validate anything else. */
export function sortValidators(validators: readonly Validator[]): Validator[] {
  return validators
    .map((v) => ({ address: v.address.toLowerCase() as Address, power: v.power }))
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
}

function invalidSet(problems: string[]): never {
  throw new L2kitError(
    SidechainErrorCode.invalidValidatorSet,
    `invalid validator set: ${problems.join('; ')}`,
    {
      details: { problems },
    },
  )
}

/**
 * The first half of Tendermint's `IncrementProposerPriority`: a copy of `priorities` with their spread brought back
 * within 2·total (only data restored from elsewhere can exceed it) and centred on zero. A walk from fresh (zero)
 * priorities never needs either: the spread stays below 2·total and the sum stays 0.
 */
function normalizedPriorities(priorities: readonly bigint[], total: bigint): bigint[] {
  const p = [...priorities]
  const n = BigInt(p.length)
  let min = p[0] as bigint
  let max = min
  for (const x of p) {
    if (x < min) min = x
    if (x > max) max = x
  }
  const diffMax = 2n * total
  if (max - min > diffMax) {
    const ratio = (max - min + diffMax - 1n) / diffMax
    for (let i = 0; i < p.length; i++) p[i] = (p[i] as bigint) / ratio // truncates toward zero, as Go does
  }
  let sum = 0n
  for (const x of p) sum += x
  // Floor division (Go's big.Int Div is Euclidean: the same for a positive divisor).
  const avg = sum >= 0n ? sum / n : -((-sum + n - 1n) / n)
  if (avg !== 0n) for (let i = 0; i < p.length; i++) p[i] = (p[i] as bigint) - avg
  return p
}

/** `times` steps of the weighted round-robin on `p` (in place); returns the index chosen at each step. */
function walkPriorities(powers: readonly bigint[], total: bigint, p: bigint[], times: number): number[] {
  const chosen: number[] = []
  for (let step = 0; step < times; step++) {
    let best = 0
    for (let i = 0; i < p.length; i++) {
      const x = (p[i] as bigint) + (powers[i] as bigint)
      p[i] = x
      // Strictly greater: on a tie the earlier index, i.e. the lower address, wins (as Tendermint).
      if (x > (p[best] as bigint)) best = i
    }
    p[best] = (p[best] as bigint) - total
    chosen.push(best)
  }
  return chosen
}

/** An immutable, validated validator set with the proposer priorities of one height. */
export class ValidatorSet {
  /** The validators in canonical order (ascending address). */
  readonly validators: readonly Validator[]
  /** Sum of all voting powers. */
  readonly totalPower: bigint
  /** The smallest power strictly greater than ⅔ of the total: what a decision (or a lock) needs. */
  readonly quorum: bigint
  /** The smallest power strictly greater than ⅓ of the total: what makes a node skip to a higher round. */
  readonly skipThreshold: bigint
  private readonly priorities: readonly bigint[]
  private readonly powers: readonly bigint[]
  private readonly indexByAddress: ReadonlyMap<Address, number>
  /** Proposers of rounds 0, 1, … computed so far (rounds are walked in order, so they are cached). */
  private readonly proposers: number[] = []
  private walk: bigint[] | undefined

  private constructor(validators: readonly Validator[], priorities: readonly bigint[]) {
    this.validators = Object.freeze(
      validators.map((v) => Object.freeze({ address: v.address, power: v.power })),
    )
    this.powers = validators.map((v) => v.power)
    this.totalPower = this.powers.reduce((a, b) => a + b, 0n)
    this.quorum = (this.totalPower * 2n) / 3n + 1n
    this.skipThreshold = this.totalPower / 3n + 1n
    this.priorities = Object.freeze([...priorities])
    this.indexByAddress = new Map(validators.map((v, i) => [v.address, i]))
  }

  /**
   * A set with fresh priorities (all zero), for the height at which it takes effect. `validators` must be in
   * canonical order (`sortValidators`); throws `SIDECHAIN_INVALID_VALIDATOR_SET` listing every problem.
   */
  static create(validators: readonly Validator[]): ValidatorSet {
    const problems = validatorSetProblems(validators)
    if (problems.length > 0) invalidSet(problems)
    return new ValidatorSet(
      validators,
      validators.map(() => 0n),
    )
  }

  /** The set exactly as persisted with `toData()` (validators in canonical order, with their priorities). */
  static fromData(data: readonly ValidatorWithPriority[]): ValidatorSet {
    const problems = validatorSetProblems(data)
    if (Array.isArray(data)) {
      data.forEach((v, i) => {
        const p = v?.proposerPriority
        if (typeof p !== 'bigint' || p >= MAX_PRIORITY_MAGNITUDE || p <= -MAX_PRIORITY_MAGNITUDE) {
          problems.push(`validator ${i}: the proposer priority must be a bigint within ±2^192`)
        }
      })
    }
    if (problems.length > 0) invalidSet(problems)
    return new ValidatorSet(
      data,
      data.map((v) => v.proposerPriority),
    )
  }

  /** Plain data to persist (and `fromData` to rebuild the identical set). */
  toData(): ValidatorWithPriority[] {
    return this.validators.map((v, i) => ({
      address: v.address,
      power: v.power,
      proposerPriority: this.priorities[i] as bigint,
    }))
  }

  /** Number of validators. */
  get size(): number {
    return this.validators.length
  }

  /** Index in canonical order, or -1. */
  indexOf(address: Address): number {
    return this.indexByAddress.get(address.toLowerCase() as Address) ?? -1
  }

  has(address: Address): boolean {
    return this.indexOf(address) >= 0
  }

  /** Voting power of `address` (0 for a non-member). */
  powerOf(address: Address): bigint {
    const i = this.indexOf(address)
    return i < 0 ? 0n : (this.powers[i] as bigint)
  }

  /** Whether `power` is strictly more than ⅔ of the total. */
  isQuorum(power: bigint): boolean {
    return power >= this.quorum
  }

  /** Whether `power` is strictly more than ⅓ of the total. */
  exceedsOneThird(power: bigint): boolean {
    return power >= this.skipThreshold
  }

  /** Sum of the powers of `addresses` (each member counted once, non-members ignored). */
  powerOfAll(addresses: Iterable<Address>): bigint {
    const seen = new Set<number>()
    let total = 0n
    for (const a of addresses) {
      const i = this.indexOf(a)
      if (i >= 0 && !seen.has(i)) {
        seen.add(i)
        total += this.powers[i] as bigint
      }
    }
    return total
  }

  /** The proposer of `round` at this set's height (round 0 is the first step from the height's priorities). */
  proposer(round: number): Address {
    if (!Number.isSafeInteger(round) || round < 0) {
      throw new L2kitError(SidechainErrorCode.wrongRound, `a round is an integer ≥ 0, got ${round}`)
    }
    if (round >= this.proposers.length) {
      // Continue the walk where the last call stopped: rounds are asked for in increasing order in practice.
      // Normalised once, then stepped: Tendermint normalises once per increment call, not per step.
      this.walk ??= normalizedPriorities(this.priorities, this.totalPower)
      const missing = round + 1 - this.proposers.length
      this.proposers.push(...walkPriorities(this.powers, this.totalPower, this.walk, missing))
    }
    return (this.validators[this.proposers[round] as number] as Validator).address
  }

  /** The set of the next height: the same validators, priorities advanced by one step. */
  next(): ValidatorSet {
    const p = normalizedPriorities(this.priorities, this.totalPower)
    walkPriorities(this.powers, this.totalPower, p, 1)
    return new ValidatorSet(this.validators, p)
  }
}
