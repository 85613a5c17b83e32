import { describe, expect, it } from 'vitest'
import { choose, chooseText } from './choose.ts'
import { fakeResult, fakeRow } from './testing.ts'

const base = { needEvm: false, trust: 'operator' as const, paymentsPerDay: 100 }

describe('l2kit choose', () => {
  it('ranks what is left by the measured cost per day, cheapest first, with the numbers behind each rank', () => {
    const a = choose(fakeResult(), base)
    expect(a.ranked.map((c) => c.id)).toEqual(['channels', 'plasma', 'sidechain', 'optimistic', 'zk', 'l1'])
    expect(a.ranked.map((c) => c.rank)).toEqual([1, 2, 3, 4, 5, 6])
    for (let i = 1; i < a.ranked.length; i++)
      expect(a.ranked[i]?.usdPerDay).toBeGreaterThanOrEqual(a.ranked[i - 1]?.usdPerDay ?? 0)
    const plasma = a.ranked[1]
    expect(plasma?.reasons.join(' ')).toMatch(/40 L1 gas/)
    expect(plasma?.reasons.join(' ')).toMatch(/7 d in production/)
  })

  it('never offers the pre-Dencun calldata rollup', () => {
    const a = choose(fakeResult(), base)
    expect([...a.ranked, ...a.excluded].some((c) => c.id === 'optimistic-calldata')).toBe(false)
  })

  it('--need-evm keeps only rows that ran contracts', () => {
    const a = choose(fakeResult(), { ...base, needEvm: true })
    expect(a.ranked.map((c) => c.id)).toEqual(['sidechain', 'l1'])
    expect(a.excluded.find((x) => x.id === 'zk')?.why.join()).toMatch(/no EVM/)
  })

  it('--max-withdrawal-delay compares the production settings', () => {
    const a = choose(fakeResult(), { ...base, maxWithdrawalDelaySeconds: 3600 })
    expect(a.ranked.map((c) => c.id)).toEqual(['channels', 'sidechain', 'l1'])
    expect(a.excluded.find((x) => x.id === 'optimistic')?.why.join()).toMatch(/7 d in production/)
  })

  it('--trust rollup leaves out a family whose attack demo took honest funds, saying which', () => {
    const a = choose(fakeResult(), { ...base, trust: 'rollup' })
    expect(a.ranked.map((c) => c.id)).not.toContain('sidechain')
    expect(a.excluded.find((x) => x.id === 'sidechain')?.why.join()).toMatch(/validators.*majority-theft/)
    expect(choose(fakeResult(), { ...base, trust: 'validators' }).ranked.map((c) => c.id)).toContain(
      'sidechain',
    )
  })

  it('leaves out a row whose measured throughput cannot carry the payments', () => {
    const a = choose(fakeResult(), { ...base, paymentsPerDay: 50_000 })
    // the ZK rollup proved 0.2 transfers/s here: 17,280 a day
    expect(a.excluded.find((x) => x.id === 'zk')?.why.join()).toMatch(/0\.2 transfers\/s/)
  })

  it('reports a family that failed in the run as not measured, with its reason', () => {
    const r = fakeResult()
    r.rows = r.rows.map((x) =>
      x.id === 'plasma'
        ? fakeRow('plasma', {
            status: 'failed',
            failure: { stage: 'transfers', code: 'ECONNREFUSED', message: 'fetch failed' },
          })
        : x,
    )
    const a = choose(r, base)
    expect(a.ranked.map((c) => c.id)).not.toContain('plasma')
    expect(a.excluded.find((x) => x.id === 'plasma')?.why.join()).toMatch(/ECONNREFUSED/)
  })

  it('prints the ranking, what was left out and the assumptions', () => {
    const text = chooseText(choose(fakeResult(), { ...base, needEvm: true }))
    expect(text).toMatch(/^1\. Sidechain/m)
    expect(text).toMatch(/Left out:/)
    expect(text).toMatch(/Assumptions:/)
  })
})
