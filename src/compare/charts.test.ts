import { describe, expect, it } from 'vitest'
import { chartSpecs, renderCharts } from './charts.ts'
import { fakeResult } from './testing.ts'

/** Checks that every tag opened in `xml` is closed in order (a small well-formedness check without a parser). */
function wellFormed(xml: string): boolean {
  const stack: string[] = []
  for (const m of xml.matchAll(/<(\/?)([A-Za-z][\w:.-]*)([^>]*?)(\/?)>/g)) {
    const [, closing, name, , selfClosing] = m
    if (selfClosing === '/') continue
    if (closing === '/') {
      if (stack.pop() !== name) return false
    } else stack.push(name as string)
  }
  return stack.length === 0
}

describe('SVG charts', () => {
  it('makes the three charts from the measured rows', () => {
    const specs = chartSpecs(fakeResult())
    const cost = specs.cost as { data: { values: { row: string; usd: number }[] } }
    expect(cost.data.values).toHaveLength(7)
    const withdrawal = specs.withdrawal as { data: { values: { kind: string }[] } }
    expect(new Set(withdrawal.data.values.map((v) => v.kind))).toEqual(
      new Set(['devnet (measured)', 'production setting']),
    )
  })

  it('renders each as a well-formed standalone SVG naming the rows', async () => {
    const svgs = await renderCharts(fakeResult())
    for (const svg of Object.values(svgs)) {
      expect(svg.startsWith('<svg')).toBe(true)
      expect(svg).toMatch(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
      expect(wellFormed(svg)).toBe(true)
      expect(svg).toMatch(/ZK rollup/)
    }
    expect(svgs.cost).toMatch(/USD per transfer/)
  })

  it('draws every bar with a width (a log scale has no zero for bars to start from)', async () => {
    const svgs = await renderCharts(fakeResult())
    for (const [name, svg] of Object.entries(svgs)) {
      const bars = [...svg.matchAll(/aria-roledescription="bar" d="M[-\d.]+,[-\d.]+h([-\d.e]+)v/g)]
      const values = chartSpecs(fakeResult())[name as keyof typeof svgs] as { data: { values: unknown[] } }
      expect(bars.length, name).toBe(values.data.values.length)
      for (const b of bars) expect(Number(b[1]), name).toBeGreaterThan(1)
    }
  })
})
