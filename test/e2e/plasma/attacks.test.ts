/**
 * The Plasma attacks end to end on anvil (docs/plasma.md, "Attacks and what answers them"), each on a fresh L1 with
 * the real operator, watcher and PlasmaFramework: (1) an invalid transaction stealing an output, (2) a withheld
 * block, (3) an exit of a spent output, and an exit of an output minted by an invalid transaction.
 */
import { parseEther } from 'viem'
import { describe, expect, it } from 'vitest'
import { runPlasmaAttack } from '../../../src/cli/plasma/demo.ts'

describe('Plasma attacks are caught and cost honest users nothing', () => {
  it('invalid-tx: the operator steals an output; the watcher mass-exits, honest exits precede, the thief is challenged', async () => {
    const r = await runPlasmaAttack('invalid-tx', { exitPeriod: 3600n })
    expect(r.caught).toBe(true)
    expect(r.honestFundsLost).toBe(0n)
    expect(r.bondSlashed).toBe(parseEther('0.01'))
    expect(r.watcher.saw.join('\n')).toMatch(/invalid/)
    expect(r.gas.challengeInvalidTx as bigint).toBeGreaterThan(21_000n)
  }, 240_000)

  it('withhold: a committed block without data; every watched user exits within the exit period and recovers everything', async () => {
    const r = await runPlasmaAttack('withhold', { exitPeriod: 3600n })
    expect(r.caught).toBe(true)
    expect(r.honestFundsLost).toBe(0n)
    expect(r.watcher.did.some((d) => d.startsWith('in-flight-exit'))).toBe(true)
    expect(r.gas.inFlightExit as bigint).toBeGreaterThan(21_000n)
  }, 240_000)

  it('spent-exit: a user exits an output it spent; challenged, bond slashed, never paid', async () => {
    const r = await runPlasmaAttack('spent-exit', { exitPeriod: 3600n })
    expect(r.caught).toBe(true)
    expect(r.honestFundsLost).toBe(0n)
    expect(r.bondSlashed).toBe(parseEther('0.01'))
    expect(r.gas.challengeSpent as bigint).toBeLessThan(200_000n)
  }, 240_000)

  it('invalid-exit: an output minted by an invalid transaction is exited; challenged, bond slashed', async () => {
    const r = await runPlasmaAttack('invalid-exit', { exitPeriod: 3600n })
    expect(r.caught).toBe(true)
    expect(r.honestFundsLost).toBe(0n)
    expect(r.bondSlashed).toBe(parseEther('0.01'))
  }, 240_000)

  it('in-flight-double-spend: an in-flight exit of a second spend is shown non-canonical and pays nothing', async () => {
    const r = await runPlasmaAttack('in-flight-double-spend', { exitPeriod: 3600n })
    expect(r.caught).toBe(true)
    expect(r.honestFundsLost).toBe(0n)
    expect(r.watcher.did.join('\n')).toMatch(/non-canonical/)
  }, 240_000)
})
