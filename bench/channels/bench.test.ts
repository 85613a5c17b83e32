/**
 * Smoke test of the channels bench: the whole bench with small counts into a temporary file. Checks the result's
 * shape (every figure the issue names present and numeric), not the figures.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseCommandArgs } from '../../src/cli/args.ts'
import { silentLogger } from '../../src/node/logger.ts'
import { benchFlags, runBench } from './bench.ts'

const dir = mkdtempSync(join(tmpdir(), 'l2kit-chbench-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('channels bench', () => {
  it('runs with small counts and writes every figure', async () => {
    const out = join(dir, 'channels.json')
    const args = parseCommandArgs(['--payments', '300', '--multi-hop', '5', '--out', out], benchFlags)
    const shutdown: (() => Promise<void>)[] = []
    try {
      await runBench(args, silentLogger, (fn) => shutdown.push(fn))
    } finally {
      for (const fn of shutdown) await fn().catch(() => {})
    }
    const r = JSON.parse(readFileSync(out, 'utf8'))
    expect(r.machine.cores).toBeGreaterThan(0)
    expect(r.paymentsPerSecondPerChannel).toBeGreaterThan(0)
    expect(r.multiHopLatencyMs.p50).toBeGreaterThan(0)
    expect(r.multiHopLatencyMs.p99).toBeGreaterThanOrEqual(r.multiHopLatencyMs.p50)
    for (const k of [
      'open',
      'coopClose',
      'unilateralClose',
      'dispute',
      'settle',
      'htlcClaimOnChain',
      'penalty',
    ]) {
      expect(r.gas[k], k).toBeGreaterThan(21_000)
    }
    expect(r.l1GasPerPayment).toBeGreaterThan(0)
  }, 180_000)
})
