import { describe, expect, it } from 'vitest'
import { markdownReport } from './markdown.ts'
import { SUMMARY_HEADER, summaryTable, textTable } from './table.ts'
import { fakeResult, fakeRow } from './testing.ts'

/** The rows of the Markdown table that follows `heading`, as cells. */
function tableAfter(md: string, heading: string): string[][] {
  const start = md.indexOf(heading)
  expect(start).toBeGreaterThanOrEqual(0)
  const lines = md.slice(start).split('\n')
  const first = lines.findIndex((l) => l.startsWith('|'))
  const rows: string[][] = []
  for (const l of lines.slice(first)) {
    if (!l.startsWith('|')) break
    rows.push(
      l
        .slice(2, -2)
        .split(/ (?<!\\)\| /)
        .map((c) => c.trim()),
    )
  }
  return rows
}

describe('comparison table and report', () => {
  it('has one line per row, with every measured column filled', () => {
    const t = summaryTable(fakeResult())
    expect(t[0]).toEqual([...SUMMARY_HEADER])
    expect(t).toHaveLength(8)
    for (const row of t.slice(1)) {
      expect(row).toHaveLength(SUMMARY_HEADER.length)
      for (const cell of row) expect(cell).not.toBe('')
    }
    const plasma = t.find((r) => r[0] === 'Plasma (More Viable Plasma)')
    expect(plasma?.[3]).toBe('40')
    expect(plasma?.[6]).toBe('750× cheaper')
  })

  it('shows a failed row as failed, with the stage and code, and keeps the others', () => {
    const r = fakeResult()
    r.rows[3] = fakeRow('zk', {
      status: 'failed',
      failure: {
        stage: 'transfers',
        code: 'COMPARE_PHASE_TIMEOUT',
        message: 'zk did not finish within 600 s',
      },
    })
    const t = summaryTable(r)
    expect(t.find((x) => x[0] === 'ZK rollup')?.[1]).toBe('FAILED in transfers: COMPARE_PHASE_TIMEOUT')
    expect(t.filter((x) => x[1] === 'ok')).toHaveLength(6)
    const md = markdownReport(r)
    expect(md).toMatch(/\*\*FAILED\*\* in stage `transfers`.*COMPARE_PHASE_TIMEOUT/)
  })

  it('aligns the terminal table in columns', () => {
    const lines = textTable([
      ['a', 'bb'],
      ['ccc', 'd'],
    ]).split('\n')
    expect(lines).toEqual(['a    bb', '───  ──', 'ccc  d'])
  })

  it('reads like the usual table of L2 types, with a number in every cell but the type', () => {
    const md = markdownReport(fakeResult())
    const types = tableAfter(md, '## L2 types compared')
    expect(types[0]).toEqual(['type', 'features', 'best use', 'strengths (measured)', 'limits (measured)'])
    expect(types).toHaveLength(2 + 7)
    for (const row of types.slice(2)) {
      expect(row).toHaveLength(5)
      for (const cell of row.slice(2)) expect(cell).toMatch(/[0-9]/)
    }
    expect(md).toMatch(/took 10 ETH of honest funds/)
  })

  it('answers the Dencun question with the measured saving and the usual claim beside it', () => {
    const md = markdownReport(fakeResult())
    expect(md).toMatch(/\*\*Measured: blobs are [0-9.]+ % cheaper\*\*.*80–90 %/)
  })

  it('says where attack outcomes come from when they were reused', () => {
    const r = fakeResult()
    r.attacks = {
      ...r.attacks,
      ran: false,
      source: 'reused from the previous compare.json (previous run (x))',
    }
    expect(markdownReport(r)).toMatch(/Attacks were not run this time \(--no-attacks\)/)
  })
})
