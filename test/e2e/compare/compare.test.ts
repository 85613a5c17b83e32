/**
 * `l2kit compare` end to end on a real anvil, reduced (2 accounts, 10 transfers, 1 withdrawal, one attack demo) so
 * it runs in a couple of minutes: the L1 baseline, the optimistic rollup with blobs and with calldata, Plasma; the
 * files written; `l2kit choose` answering from them. Then a family that breaks mid-run (its nodes stopped as the
 * transfers start) is reported with its stage and reason while the others are measured.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEther } from 'viem'
import { afterAll, describe, expect, it } from 'vitest'
import { type CompareOptions, readCompareResult, runComparison } from '../../../src/cli/compare/run.ts'
import { attackSpec } from '../../../src/compare/attacks.ts'
import { choose } from '../../../src/compare/choose.ts'
import { DEFAULT_PRICES } from '../../../src/compare/prices.ts'
import type { CompareResult, FamilyName } from '../../../src/compare/types.ts'
import { silentLogger } from '../../../src/node/logger.ts'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function options(families: FamilyName[], o: Partial<CompareOptions> = {}): CompareOptions {
  const outDir = mkdtempSync(join(tmpdir(), 'l2kit-compare-e2e-'))
  dirs.push(outDir)
  return {
    families,
    baseline: true,
    dencun: true,
    workload: {
      accounts: 2,
      transfers: 10,
      withdrawals: 1,
      ethAmountWei: parseEther('0.001').toString(),
      tokenAmount: parseEther('1').toString(),
    },
    prices: DEFAULT_PRICES,
    attacks: 'none',
    outDir,
    phaseBudgetSeconds: 150,
    zkProofBudgetSeconds: 60,
    plasmaExitPeriodSeconds: 5,
    logger: silentLogger,
    step: () => undefined,
    ...o,
  }
}

describe('l2kit compare', () => {
  it('runs the same workload on L1, two optimistic rollups and Plasma, with an attack demo, and writes the report', async () => {
    const o = options(['optimistic', 'plasma'], {
      attacks: 'run',
      attackList: [attackSpec('plasma', 'withhold')].filter((a) => a !== undefined),
    })
    const { result, files } = await runComparison(o)
    expect(result.rows.map((r) => [r.id, r.status])).toEqual([
      ['l1', 'ok'],
      ['optimistic', 'ok'],
      ['optimistic-calldata', 'ok'],
      ['plasma', 'ok'],
    ])
    for (const r of result.rows) {
      expect(r.transfers.done).toBe(10)
      expect(r.transfers.perSecond).toBeGreaterThan(0)
      expect(r.perTransfer.gas).toBeGreaterThan(0)
      expect(r.withdrawal.measuredSeconds).not.toBeNull()
    }
    const blob = result.rows.find((r) => r.id === 'optimistic')
    const calldata = result.rows.find((r) => r.id === 'optimistic-calldata')
    expect(blob?.l1.operator.blobs).toBeGreaterThan(0)
    expect(calldata?.l1.operator.blobs).toBe(0)
    expect(Object.keys(calldata?.l1.operator.byFunction ?? {})).toContain('appendBatchCalldata')
    // the rollups' withdrawals waited for a challenge window, Plasma's for its exit period
    expect(blob?.withdrawal.measuredSeconds).toBeGreaterThanOrEqual(10)
    expect(result.rows.find((r) => r.id === 'plasma')?.withdrawal.measuredSeconds).toBeGreaterThanOrEqual(5)
    expect(result.attacks.outcomes).toEqual([
      expect.objectContaining({
        family: 'plasma',
        attack: 'withhold',
        status: 'ok',
        caught: true,
        honestFundsLostWei: '0',
      }),
    ])

    for (const f of files) expect(existsSync(f)).toBe(true)
    const saved = readCompareResult(join(o.outDir, 'compare.json'))
    expect(saved.rows).toHaveLength(4)
    const md = readFileSync(join(o.outDir, 'compare.md'), 'utf8')
    expect(md).toMatch(/## L2 types compared/)
    expect(md).toMatch(/Measured: blobs are -?[0-9.]+ % (cheaper|dearer)/)
    expect(md).toMatch(/plasma \| withhold/)
    for (const svg of ['compare-cost.svg', 'compare-throughput.svg', 'compare-withdrawal.svg'])
      expect(readFileSync(join(o.outDir, svg), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/)

    const answer = choose(saved as CompareResult, { needEvm: false, trust: 'operator', paymentsPerDay: 10 })
    expect(answer.ranked.map((c) => c.id).sort()).toEqual(['l1', 'optimistic', 'plasma'])
    expect(answer.ranked[0]?.reasons.length).toBeGreaterThan(2)
    // Plasma's attack was measured (nothing lost); the optimistic rollup's were not run here
    const strict = choose(saved as CompareResult, { needEvm: false, trust: 'rollup', paymentsPerDay: 10 })
    expect(strict.ranked.map((c) => c.id).sort()).toEqual(['l1', 'plasma'])
    expect(strict.excluded.find((x) => x.id === 'optimistic')?.why.join()).toMatch(/no attack measured/)
  }, 300_000)

  it('reports a family that breaks mid-run with its stage and reason, and still measures the others', async () => {
    const o = options(['channels', 'plasma'], {
      hooks: {
        onStage: async (phase, stage, control) => {
          // Plasma's operator and watcher go away just as the transfers start
          if (phase === 'plasma' && stage === 'transfers') await control.stopNodes()
        },
      },
    })
    const { result } = await runComparison(o)
    const plasma = result.rows.find((r) => r.id === 'plasma')
    expect(plasma?.status).toBe('failed')
    expect(plasma?.failure?.stage).toBe('transfers')
    expect(plasma?.failure?.message).not.toBe('')
    expect(plasma?.stages).toEqual(['start', 'deposits', 'withdrawals started (exits)'])
    expect(result.rows.find((r) => r.id === 'channels')?.status).toBe('ok')
    expect(result.rows.find((r) => r.id === 'l1')?.status).toBe('ok')
    const md = readFileSync(join(o.outDir, 'compare.md'), 'utf8')
    expect(md).toMatch(/### Plasma\n\n\*\*FAILED\*\* in stage `transfers`/)
    const answer = choose(result, { needEvm: false, trust: 'operator', paymentsPerDay: 10 })
    expect(answer.excluded.find((x) => x.id === 'plasma')?.why.join()).toMatch(/not measured in this run/)
  }, 240_000)
})
