/**
 * Consensus machines in a deterministic simulated network (src/sidechain/protocol/testing.ts): random delays and
 * delivery orders from a seeded RNG, gossip, crashed validators, a scripted Byzantine validator that equivocates.
 */
import { describe, expect, it } from 'vitest'
import { verifyEvidence } from './messages.ts'
import {
  conflictingDecisions,
  type Decision,
  type SimulationOptions,
  type SimulationResult,
  simulate,
  TEST_DOMAIN,
  testBlockHash,
  testValidators,
} from './testing.ts'

const equal = (n: number) => Array.from({ length: n }, () => 1n)
/** Asynchrony before 10 s of virtual time: 30% of messages take up to 4 s (timeouts start at 1–3 s). */
const ASYNC: Partial<SimulationOptions> = { gstMs: 10_000, slowChance: 0.3, slowDelayMs: 4_000 }

/** Every honest node decided every height, all the same block, and no honest node broke its own rules. */
function expectAgreement(r: SimulationResult, heights: number): void {
  expect(conflictingDecisions(r)).toEqual([])
  for (const decided of r.decisions.values()) expect(decided.size).toBe(heights)
  expect(r.unpersistedBroadcasts).toBe(0)
  expect(r.honestDoubleSigns).toBe(0)
}

describe('all honest (a)', () => {
  it('n = 4: every node decides the proposer’s block at every height, in round 0 on a timely network', () => {
    const { validators } = testValidators(equal(4))
    for (let seed = 1; seed <= 20; seed++) {
      const r = simulate({ seed, powers: equal(4), heights: 4 })
      expectAgreement(r, 4)
      expect(r.evidence).toEqual([])
      expect(r.rejections.size).toBe(0)
      const decided = r.decisions.get(0) as Map<bigint, Decision>
      let set = testValidators(equal(4)).set
      for (let h = 1n; h <= 4n; h++, set = set.next()) {
        const proposer = validators.findIndex((v) => v.address === set.proposer(0))
        expect(decided.get(h)).toEqual({ round: 0, blockHash: testBlockHash('block', proposer, h, 0) })
      }
    }
  })

  it('n = 7 and unequal powers: the same block everywhere, also through a period of asynchrony', () => {
    for (let seed = 1; seed <= 6; seed++) {
      expectAgreement(simulate({ seed, powers: equal(7), heights: 3 }), 3)
      expectAgreement(simulate({ seed, powers: [10n, 20n, 30n, 40n], heights: 3, ...ASYNC }), 3)
      expectAgreement(simulate({ seed, powers: equal(4), heights: 3, ...ASYNC }), 3)
    }
  })

  it('is deterministic: one seed, one run', () => {
    const a = simulate({ seed: 42, powers: equal(4), heights: 3, byzantine: [2], ...ASYNC })
    const b = simulate({ seed: 42, powers: equal(4), heights: 3, byzantine: [2], ...ASYNC })
    expect(b.decisions).toEqual(a.decisions)
    expect([b.events, b.timeMs, b.evidence.length]).toEqual([a.events, a.timeMs, a.evidence.length])
  })
})

describe('one Byzantine validator of four (b)', () => {
  it('200 seeds: no two honest nodes decide differently, all decide, and the double signs become evidence', () => {
    const { validators } = testValidators(equal(4))
    let rounds = 0
    let evidence = 0
    let reproposals = 0
    let laterRounds = 0
    for (let seed = 1; seed <= 200; seed++) {
      const byzantine = seed % 4
      const r = simulate({
        seed,
        powers: equal(4),
        heights: 2,
        byzantine: [byzantine],
        ...(seed % 2 ? ASYNC : {}),
      })
      expectAgreement(r, 2)
      expect(r.evidence.length).toBeGreaterThan(0)
      for (const e of r.evidence) expect(verifyEvidence(TEST_DOMAIN, e)).toBe(validators[byzantine]?.address)
      rounds = Math.max(rounds, r.highestRound)
      evidence += r.evidence.length
      reproposals += r.reproposals
      for (const decided of r.decisions.values())
        for (const d of decided.values()) if (d.round > 0) laterRounds++
    }
    // The adversary did make rounds fail (its own proposals, split votes): decisions in later rounds, and honest
    // proposers re-proposing their valid value with its proof-of-lock round, so locking and L28 were exercised.
    expect(rounds).toBeGreaterThan(0)
    expect(laterRounds).toBeGreaterThan(0)
    expect(reproposals).toBeGreaterThan(0)
    expect(evidence).toBeGreaterThan(200)
  })

  it('with unequal powers (the Byzantine below a third of the power) and with f = 2 of 7', () => {
    for (let seed = 1; seed <= 15; seed++) {
      const a = simulate({ seed, powers: [10n, 20n, 30n, 25n], heights: 2, byzantine: [seed % 4], ...ASYNC })
      // whichever validator is Byzantine, its power is below a third of 85
      expectAgreement(a, 2)
      const b = simulate({ seed, powers: equal(7), heights: 2, byzantine: [seed % 7, (seed + 3) % 7] })
      expectAgreement(b, 2)
      expect(b.evidence.length).toBeGreaterThan(0)
    }
  })
})

describe('a validator is down (c)', () => {
  it('the proposer of round 0 is down: timeouts move to the next round and the others decide there', () => {
    const { validators, set } = testValidators(equal(4))
    const downIndex = validators.findIndex((v) => v.address === set.proposer(0))
    for (let seed = 1; seed <= 10; seed++) {
      const r = simulate({ seed, powers: equal(4), heights: 3, down: [downIndex] })
      expect(r.decisions.has(downIndex)).toBe(false)
      expectAgreement(r, 3)
      for (const decided of r.decisions.values()) expect(decided.get(1n)?.round).toBeGreaterThanOrEqual(1)
    }
  })

  it('two of seven down (f = 2): still live', () => {
    for (let seed = 1; seed <= 4; seed++) {
      expectAgreement(simulate({ seed, powers: equal(7), heights: 3, down: [seed % 7, (seed + 2) % 7] }), 3)
    }
  })
})
