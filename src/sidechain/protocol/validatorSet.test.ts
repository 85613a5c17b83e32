import { describe, expect, it } from 'vitest'
import { errorCodeOf } from '../../core/testing.ts'
import type { Address } from '../../core/types.ts'
import { SidechainErrorCode } from './errors.ts'
import { xorshift } from './testing.ts'
import { sortValidators, type Validator, ValidatorSet, validatorSetProblems } from './validatorSet.ts'

/** A 20-byte address whose leading bytes are `tag` (so tags sort as their bytes do). */
const addr = (tag: string): Address =>
  `0x${[...tag]
    .map((c) => c.charCodeAt(0).toString(16).padStart(2, '0'))
    .join('')
    .padEnd(40, '0')}` as Address
const numbered = (i: number): Address => `0x${(i + 1).toString(16).padStart(40, '0')}` as Address
const setOf = (powers: bigint[]) =>
  ValidatorSet.create(powers.map((power, i) => ({ address: numbered(i), power })))

const codeOf = errorCodeOf

describe('validator set thresholds', () => {
  it('needs strictly more than two thirds for a quorum and strictly more than a third to skip rounds', () => {
    const cases: [bigint[], bigint, bigint][] = [
      [[1n, 1n, 1n, 1n], 3n, 2n], // n = 4: f = 1, quorum 2f + 1
      [[1n, 1n, 1n], 3n, 2n], // exactly 2/3 (2 of 3) is not enough
      [[1n, 1n, 1n, 1n, 1n, 1n, 1n], 5n, 3n], // n = 7: f = 2
      [[10n, 20n, 30n, 40n], 67n, 34n],
      [[33n, 33n, 33n], 67n, 34n], // total 99: 66 is exactly 2/3
      [[1n], 1n, 1n],
    ]
    for (const [powers, quorum, skip] of cases) {
      const set = setOf(powers)
      expect(set.quorum).toBe(quorum)
      expect(set.skipThreshold).toBe(skip)
    }
  })

  it('computes the smallest power above 2/3 and 1/3 for any total', () => {
    const rng = xorshift(7)
    for (let i = 0; i < 500; i++) {
      const powers = Array.from({ length: 1 + rng.int(20) }, () => BigInt(1 + rng.int(1_000_000)))
      const set = setOf(powers)
      const total = set.totalPower
      expect(3n * set.quorum > 2n * total).toBe(true)
      expect(3n * (set.quorum - 1n) <= 2n * total).toBe(true)
      expect(3n * set.skipThreshold > total).toBe(true)
      expect(3n * (set.skipThreshold - 1n) <= total).toBe(true)
      // two quorums always share more than a third of the power
      expect(2n * set.quorum - total >= set.skipThreshold).toBe(true)
    }
  })

  it('weighs by power, not by head count (unequal powers)', () => {
    const set = setOf([10n, 20n, 30n, 40n])
    const [a, b, c, d] = set.validators.map((v) => v.address) as [Address, Address, Address, Address]
    expect(set.isQuorum(set.powerOfAll([d, c]))).toBe(true) // 70 of 100
    expect(set.isQuorum(set.powerOfAll([d, b]))).toBe(false) // 60: two of four validators, not enough power
    expect(set.isQuorum(set.powerOfAll([a, b, c]))).toBe(false) // 60: three of four validators, still not enough
    expect(set.exceedsOneThird(set.powerOfAll([d]))).toBe(true) // 40 > 33.3
    expect(set.exceedsOneThird(set.powerOfAll([a, b]))).toBe(false) // 30
    expect(set.powerOfAll([d, d, numbered(99)])).toBe(40n) // each member once, strangers ignored
    expect(set.powerOf(numbered(99))).toBe(0n)
  })
})

describe('validator set validation', () => {
  it('lists every problem: empty, unsorted, duplicate, non-positive power, non-canonical address', () => {
    expect(validatorSetProblems([])).toEqual(['the validator set is empty'])
    const problems = validatorSetProblems([
      { address: numbered(2), power: 1n },
      { address: numbered(1), power: 0n },
      { address: numbered(1), power: -5n },
      { address: numbered(10).toUpperCase().replace('0X', '0x') as Address, power: 1n },
      { address: '0x1234' as Address, power: 1n },
      { address: numbered(9), power: 1 as unknown as bigint },
    ])
    expect(problems).toEqual([
      'validator 1: addresses must be in ascending order (0x0000000000000000000000000000000000000002 after 0x0000000000000000000000000000000000000003)',
      'validator 1: the voting power must be a bigint > 0',
      'validator 2: duplicate address 0x0000000000000000000000000000000000000002',
      'validator 2: the voting power must be a bigint > 0',
      'validator 3: the address must be 20 bytes of lowercase 0x-hex',
      'validator 4: the address must be 20 bytes of lowercase 0x-hex',
      'validator 5: the voting power must be a bigint > 0',
    ])
    expect(codeOf(() => ValidatorSet.create([]))).toBe(SidechainErrorCode.invalidValidatorSet)
    expect(validatorSetProblems([{ address: numbered(1), power: 1n << 128n }])).toEqual([
      'the total voting power must be below 2^128',
    ])
  })

  it('sortValidators gives the canonical order that create accepts', () => {
    const shuffled: Validator[] = [
      { address: addr('foo'), power: 1n },
      { address: addr('bar'), power: 2n },
      { address: addr('baz'), power: 3n },
    ]
    expect(codeOf(() => ValidatorSet.create(shuffled))).toBe(SidechainErrorCode.invalidValidatorSet)
    const set = ValidatorSet.create(sortValidators(shuffled))
    expect(set.validators.map((v) => v.address)).toEqual([addr('bar'), addr('baz'), addr('foo')])
    expect(set.indexOf(addr('baz').toUpperCase().replace('0X', '0x') as Address)).toBe(1)
  })

  it('round-trips through toData/fromData with its priorities, and refuses corrupt priorities', () => {
    const set = setOf([5n, 1n, 9n]).next().next()
    const again = ValidatorSet.fromData(set.toData())
    for (let r = 0; r < 30; r++) expect(again.proposer(r)).toBe(set.proposer(r))
    const data = set.toData()
    expect(
      codeOf(() =>
        ValidatorSet.fromData(data.map((v, i) => (i === 0 ? { ...v, proposerPriority: 1n << 200n } : v))),
      ),
    ).toBe(SidechainErrorCode.invalidValidatorSet)
  })
})

describe('proposer selection (Tendermint proposer priority)', () => {
  it("matches Tendermint's TestProposerSelection1 sequence", () => {
    // types/validator_set_test.go: foo 1000, bar 300, baz 330, 99 steps
    const expected =
      'foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar foo baz foo foo bar foo baz foo foo bar foo baz foo foo foo baz bar foo foo foo baz foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar foo baz foo foo bar foo baz foo foo'
    const set = ValidatorSet.create(
      sortValidators([
        { address: addr('foo'), power: 1000n },
        { address: addr('bar'), power: 300n },
        { address: addr('baz'), power: 330n },
      ]),
    )
    const name = new Map([
      [addr('foo'), 'foo'],
      [addr('bar'), 'bar'],
      [addr('baz'), 'baz'],
    ])
    // Rounds of one height and heights (set.next()) walk the same sequence.
    const byRound = Array.from({ length: 99 }, (_, r) => name.get(set.proposer(r)))
    expect(byRound.join(' ')).toBe(expected)
    let s = set
    const byHeight: (string | undefined)[] = []
    for (let h = 0; h < 99; h++, s = s.next()) byHeight.push(name.get(s.proposer(0)))
    expect(byHeight.join(' ')).toBe(expected)
  })

  it('rotates equal powers in address order', () => {
    const set = setOf([7n, 7n, 7n, 7n])
    const seq = Array.from({ length: 12 }, (_, r) => set.indexOf(set.proposer(r)))
    expect(seq).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3])
  })

  it('is fair: each validator proposes in proportion to its power, within one slot over any prefix', () => {
    const rng = xorshift(2024)
    for (let trial = 0; trial < 20; trial++) {
      const powers = Array.from({ length: 2 + rng.int(8) }, () => BigInt(1 + rng.int(50)))
      const set = setOf(powers)
      const total = Number(set.totalPower)
      const counts = new Array<number>(powers.length).fill(0)
      const rounds = total * 5
      let worst = 0
      for (let r = 0; r < rounds; r++) {
        const i = set.indexOf(set.proposer(r))
        counts[i] = (counts[i] as number) + 1
        for (let j = 0; j < powers.length; j++) {
          const share = ((r + 1) * Number(powers[j])) / total
          worst = Math.max(worst, Math.abs((counts[j] as number) - share))
        }
      }
      expect(worst).toBeLessThan(1)
      // over whole periods, exactly the power
      counts.forEach((c, j) => {
        expect(c).toBe(5 * Number(powers[j]))
      })
    }
  })

  it('is a pure function of the set and the round (same answers in any order of asking)', () => {
    const a = setOf([3n, 1n, 4n, 1n, 5n])
    const b = setOf([3n, 1n, 4n, 1n, 5n])
    const forward = Array.from({ length: 40 }, (_, r) => a.proposer(r))
    expect(b.proposer(39)).toBe(forward[39])
    expect(b.proposer(7)).toBe(forward[7])
    expect(codeOf(() => a.proposer(-1))).toBe(SidechainErrorCode.wrongRound)
  })
})
