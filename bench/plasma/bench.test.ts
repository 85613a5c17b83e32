/**
 * Smoke test of the Plasma bench: the whole bench with small counts (and without the attack runs, which the e2e tests
 * run) into a temporary file. Checks the result's shape (every figure the issue names present and numeric), not the
 * figures.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseCommandArgs } from '../../src/cli/args.ts'
import { silentLogger } from '../../src/node/logger.ts'
import { benchFlags, runBench } from './bench.ts'

const dir = mkdtempSync(join(tmpdir(), 'l2kit-plbench-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('plasma bench', () => {
  it('runs with small counts and writes every figure', async () => {
    const out = join(dir, 'plasma.json')
    const args = parseCommandArgs(
      ['--transfers', '300', '--mass-exit-users', '3', '--no-attacks', '--out', out],
      benchFlags,
    )
    const shutdown: (() => Promise<void>)[] = []
    try {
      await runBench(args, silentLogger, (fn) => shutdown.push(fn))
    } finally {
      for (const fn of shutdown) await fn().catch(() => {})
    }
    const r = JSON.parse(readFileSync(out, 'utf8'))
    expect(r.machine.cores).toBeGreaterThan(0)
    expect(r.operatorTps).toBeGreaterThan(0)
    expect(r.transfersInBlock).toBe(300)
    expect(r.l1GasPerTransfer).toBeCloseTo(r.gas.submitBlock / 300, 3)
    expect(r.l1BytesPerTransfer).toBeGreaterThan(0)
    for (const k of ['deposit', 'depositErc20', 'submitBlock', 'startExit', 'processExitPerExit']) {
      expect(r.gas[k], k).toBeGreaterThan(21_000)
    }
    expect(r.gas.massExit.users).toBe(3)
    expect(r.massExitCapacity.exitsStartedPerL1Block).toBeGreaterThan(0)
    expect(r.exitPeriodSeconds.production).toBe(604_800)
  }, 180_000)
})
