import { describe, expect, it } from 'vitest'
import { ATTACK_CATALOGUE, familySecurity, verdictOf } from './attacks.ts'
import { fakeOutcome, fakeResult } from './testing.ts'

describe('attack verdicts', () => {
  it('names a theft the demo measured, and who did it', () => {
    const outcomes = fakeResult().attacks.outcomes
    const side = familySecurity('sidechain', outcomes)
    expect(side.canSteal).toEqual(['3 of 4 validators (> ⅔ of the stake) (majority-theft)'])
    expect(side.trustNeeded).toBe('validators')
    const zk = familySecurity('zk', outcomes)
    expect(zk.canSteal).toEqual([])
    expect(zk.cannotSteal).toHaveLength(1)
    expect(zk.trustNeeded).toBe('rollup')
  })

  it('counts only demos that ran: a failed demo is "not measured", never "safe"', () => {
    const failed = fakeOutcome({ family: 'plasma', attack: 'withhold', status: 'failed', error: 'timeout' })
    expect(familySecurity('plasma', [failed]).measured).toBe(0)
    expect(verdictOf(failed)).toBe('not measured (timeout)')
  })

  it('reads the verdict from caught and honestFundsLost', () => {
    expect(verdictOf(fakeOutcome({ family: 'zk', attack: 'wrong-root' }))).toBe('caught, nothing lost')
    expect(
      verdictOf(
        fakeOutcome({
          family: 'sidechain',
          attack: 'majority-theft',
          caught: false,
          honestFundsLostWei: '2500000000000000000',
        }),
      ),
    ).toBe('took 2.5 ETH of honest funds')
  })

  it('has an attack for every family that steals or freezes', () => {
    const families = new Set(ATTACK_CATALOGUE.map((a) => a.family))
    expect([...families].sort()).toEqual(['channels', 'optimistic', 'plasma', 'sidechain', 'zk'])
  })
})
