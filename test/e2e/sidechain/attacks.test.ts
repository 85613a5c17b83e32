/**
 * The sidechain's attack matrix as `l2kit sidechain demo --attack KIND --json` reports it (each on its own anvil with
 * 4 validators): a crashed validator is tolerated, a double-signer is caught, slashed on L1 and dropped from the set, one validator alone
 * cannot get a forged checkpoint accepted, and three of four can drain the bridge — the trust model, measured.
 */
import { describe, expect, it } from 'vitest'
import { runSidechainAttack } from '../../../src/cli/sidechain/demo.ts'
import { silentLogger } from '../../../src/core/logger.ts'

const ctx = { logger: silentLogger, step: () => undefined, onShutdown: () => undefined }
const KEYS = ['family', 'attack', 'chainKeptFinality', 'caught', 'slashed', 'honestFundsLost', 'gas']

describe('sidechain attacks', () => {
  it('validator-down: three of four keep finality; the fourth catches up', async () => {
    const r = await runSidechainAttack('validator-down', ctx)
    for (const k of KEYS) expect(r).toHaveProperty(k)
    expect(r).toMatchObject({
      family: 'sidechain',
      attack: 'validator-down',
      chainKeptFinality: true,
      honestFundsLost: '0',
    })
    expect((r.detail as { paymentsCommittedWhileDown: number }).paymentsCommittedWhileDown).toBe(10)
  }, 180_000)

  it('equivocate: evidence reaches L1, the whole stake is slashed, no conflicting blocks', async () => {
    const r = await runSidechainAttack('equivocate', ctx)
    expect(r).toMatchObject({
      attack: 'equivocate',
      chainKeptFinality: true,
      caught: true,
      slashed: (32n * 10n ** 18n).toString(),
      honestFundsLost: '0',
    })
    expect(Number((r.gas as { slashDoubleSign: string }).slashDoubleSign)).toBeGreaterThan(50_000)
    // The slash is an L1 epoch: the sidechain's set drops the cheater (three left).
    expect((r.detail as { validatorsAfter: number }).validatorsAfter).toBe(3)
  }, 180_000)

  it('minority-forgery: a checkpoint signed by one validator alone is refused on L1', async () => {
    const r = await runSidechainAttack('minority-forgery', ctx)
    expect(r).toMatchObject({
      attack: 'minority-forgery',
      chainKeptFinality: true,
      caught: true,
      honestFundsLost: '0',
    })
    expect((r.detail as { refusal: string }).refusal).toMatch(/InsufficientPower/)
  }, 180_000)

  it('majority-theft: three of four validators drain what was deposited, and no more', async () => {
    const r = await runSidechainAttack('majority-theft', ctx)
    expect(r).toMatchObject({ attack: 'majority-theft', chainKeptFinality: true, caught: false })
    const d = r.detail as { lockedBefore: string; bridgeBalanceAfter: string }
    expect(r.honestFundsLost).toBe(d.lockedBefore)
    expect(d.bridgeBalanceAfter).toBe('0')
  }, 180_000)
})
