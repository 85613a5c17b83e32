/**
 * Crash safety under load, the CI-sized run of bench/optimistic/crashSoak.ts: senders submit transfers as fast as they can
 * over JSON-RPC while the node process is SIGKILLed at seeded random moments, 5 times in a row (once more
 * during a restart in some rounds), each time restarted on the same data dir. After every restart: no
 * acknowledged transaction is lost, none is applied twice, the state (every block root, balances, nonces) is the
 * clean replay of the chain, ETH is conserved; at the end the verifier derives the same chain from L1 alone.
 * `L2KIT_CRASH_SEED=n` replays another schedule; `npm run soak` runs the long version.
 */
import { describe, expect, it } from 'vitest'
import { runCrashSoak, summarizeCrashSoak } from '../../../bench/optimistic/crashSoak.ts'

const SEED = Number(process.env.L2KIT_CRASH_SEED ?? 3)
const ROUNDS = 5

describe('crash safety under load', () => {
  it(`keeps every acknowledged transfer exactly once, with the replayed state root, across ${ROUNDS} SIGKILLs under load (seed ${SEED})`, async () => {
    const lines: string[] = []
    const report = await runCrashSoak({
      rounds: ROUNDS,
      seed: SEED,
      senders: 6,
      minKillDelayMs: 100,
      maxKillDelayMs: 1_200,
      startupKillShare: 0.25,
      verifyEvery: 0,
      verifierTimeoutMs: 40_000,
      maxDurationMs: 120_000,
      log: (line) => lines.push(line),
    })
    const context = `${summarizeCrashSoak(report)}\n${lines.join('\n')}`
    console.info(process.env.L2KIT_CRASH_VERBOSE ? context : summarizeCrashSoak(report))

    expect(report.stoppedEarly, context).toBeNull()
    expect(report.roundsRun, context).toBe(ROUNDS)
    expect(report.problems, context).toEqual([])
    expect(report.acked, context).toBeGreaterThan(0)
    expect(report.lost, context).toBe(0)
    expect(report.duplicated, context).toBe(0)
    expect(report.rejected, context).toBe(0)
    for (const r of report.rounds) {
      expect(
        r.replayRootOk && r.balancesOk && r.conserved && r.verifierAgrees,
        `round ${r.round}\n${context}`,
      ).toBe(true)
    }
    // The kills came at different moments, not at one fixed point of the load.
    expect(new Set(report.rounds.map((r) => r.killAfterMs)).size, context).toBe(ROUNDS)
    // A clean replay of the whole chain from genesis gives the head's root, and the independent verifier derived
    // the very same chain (same block hashes, so same state roots) from L1 data alone.
    expect(report.finalReplayRootOk, context).toBe(true)
    expect(report.verifier.caughtUp, context).toBe(true)
    expect(report.verifier.safeHeadHashMatches, context).toBe(true)
    expect(report.verifier.agreesWithAllProposals, context).toBe(true)
    expect(report.verifier.invalidBatches, context).toEqual([])
  }, 180_000)
})
