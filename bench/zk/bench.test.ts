/**
 * Smoke test of the ZK bench: the whole bench logic at the CI circuit size (3 chunks, depth 4; cached after the
 * first compile and setup) into a temporary file. Checks the result's shape (keys present, numbers), not figures.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseCommandArgs } from '../../src/cli/args.ts'
import { silentLogger } from '../../src/node/logger.ts'
import { benchFlags, runBench } from './bench.ts'

const dir = mkdtempSync(join(tmpdir(), 'l2kit-zkbench-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('zk bench', () => {
  it('runs at 3 chunks, depth 4, 2 blocks per prover phase and writes every figure', async () => {
    const out = join(dir, 'zk.json')
    const args = parseCommandArgs(
      [
        ...['--chunks', '3', '--depth', '4', '--blocks', '2', '--verify-batch', '2'],
        ...['--transfers', '12', '--slope-chunks', '4', '--block-time-ms', '200', '--out', out],
      ],
      benchFlags,
    )
    const shutdown: (() => Promise<void>)[] = []
    try {
      await runBench(args, silentLogger, (fn) => shutdown.push(fn))
    } finally {
      for (const fn of shutdown) await fn().catch(() => {})
    }
    const r = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>
    const at = (path: string): unknown =>
      path.split('.').reduce<unknown>((o, key) => (o as Record<string, unknown> | undefined)?.[key], r)
    for (const key of [
      'pubdataBytesPerTransfer',
      'constraintsPerTransfer',
      'transfersPerProof',
      'proofSeconds',
      'provenTransfersPerSecond',
      'provenTransfersPerSecondByWorkers.oneWorker',
      'provenTransfersPerSecondByWorkers.twoWorkers',
      'provenTransfersPerSecondByWorkers.scalingTwoVsOne',
      'sequencerTps',
      'sequencer.eddsaVerifyMs',
      'verifyGas.perProof',
      'verifyGas.perVerifyBlocksCall',
      'verifyGas.oneProofCall',
      'l1GasPerTransfer',
      'l1Gas.commitPerTransfer',
      'l1Gas.verifyPerTransfer',
      'costRatioVsL1Erc20Transfer',
      'withdrawalLatencySeconds',
      'setupSeconds',
      'compileSeconds',
      'machine.cores',
      'anchors.groth16VerifyGas',
      'anchors.zkSyncLiteMaxTps',
      'anchors.pubdataBytesPerTransfer.hermez',
      'config.chunks',
      'config.depth',
      'config.k',
      'targets.l1GasPerTransfer.measured',
    ]) {
      expect(typeof at(key), key).toBe('number')
      expect(Number.isFinite(at(key)), key).toBe(true)
    }
    for (const key of [
      'pubdataBytesPerTransfer',
      'transfersPerProof',
      'l1GasPerTransfer',
      'withdrawalWithinOneProofTime',
    ]) {
      expect(typeof at(`targets.${key}.met`), key).toBe('boolean')
    }
    expect(typeof at('setup.cached')).toBe('boolean')
    expect(at('config.provers')).toEqual([1, 2])
  }, 600_000)
})
