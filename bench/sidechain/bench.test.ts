/**
 * Smoke test of the sidechain bench: the whole bench with small counts (4 validator processes on anvil) into a
 * temporary file. Checks the result's shape (every figure the issue names present and numeric), not the figures.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseCommandArgs } from '../../src/cli/args.ts'
import { silentLogger } from '../../src/node/logger.ts'
import { benchFlags, runBench } from './bench.ts'

const dir = mkdtempSync(join(tmpdir(), 'l2kit-scbench-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('sidechain bench', () => {
  it('runs with small counts and writes every figure', async () => {
    const out = join(dir, 'sidechain.json')
    const args = parseCommandArgs(
      [
        '--transfers',
        '200',
        '--erc20-transfers',
        '100',
        '--senders',
        '20',
        '--stream-rate',
        '20',
        '--stream-seconds',
        '1',
        '--anvil-transfers',
        '50',
        '--checkpoint-interval',
        '4',
        '--out',
        out,
      ],
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
    expect(r.throughput.eth.committed).toBe(200)
    expect(r.throughput.erc20.committed).toBe(100)
    expect(r.tps.eth).toBeGreaterThan(0)
    expect(r.tps.erc20).toBeGreaterThan(0)
    expect(r.finalityMs.p50).toBeGreaterThan(0)
    expect(r.finalityMs.p99).toBeGreaterThanOrEqual(r.finalityMs.p50)
    expect(r.checkpointGas).toBeGreaterThan(21_000)
    expect(r.l1GasPerTransfer).toBeGreaterThan(0)
    expect(r.depositLatencySeconds).toBeGreaterThan(0)
    expect(r.withdrawalLatencySeconds).toBeGreaterThan(0)
    expect(r.baseline.anvilTps).toBeGreaterThan(0)
  }, 300_000)
})
