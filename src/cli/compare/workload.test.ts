import { describe, expect, it } from 'vitest'
import { errorCodeOf } from '../../core/testing.ts'
import { compareFamilies } from '../compare.ts'
import { median, transferPlan } from './workload.ts'

describe('the compare workload', () => {
  it('plans N transfers among M accounts, never to the sender, every other one in the token', () => {
    const plan = transferPlan(4, 40, true)
    expect(plan).toHaveLength(40)
    for (const t of plan) expect(t.to).not.toBe(t.from)
    expect(plan.filter((t) => t.token)).toHaveLength(20)
    expect(new Set(plan.map((t) => t.from)).size).toBe(4)
    expect(new Set(plan.map((t) => `${t.from}>${t.to}`)).size).toBe(12)
    expect(transferPlan(2, 5, false).every((t) => !t.token && t.to !== t.from)).toBe(true)
  })

  it('takes the median', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 2, 3])).toBe(2.5)
    expect(median([])).toBeNull()
  })

  it('--family takes any subset, and refuses what is not a family', () => {
    expect(compareFamilies(undefined)).toEqual(['optimistic', 'zk', 'channels', 'plasma', 'sidechain'])
    expect(compareFamilies('plasma, zk,plasma')).toEqual(['plasma', 'zk'])
    expect(errorCodeOf(() => compareFamilies('optimistic,arbitrum'))).toBe('INVALID_ARGUMENTS')
  })
})
