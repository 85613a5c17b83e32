/**
 * `l2kit channels demo` as a user runs it: the honest run and each attack, each on its own fresh anvil; the last
 * stdout line of `--json` is the result object the issue names (family, attack, caught, punished, honestFundsLost,
 * gas).
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const BIN = join(import.meta.dirname, '../../../bin/l2kit.js')

async function demo(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [BIN, 'channels', 'demo', ...args, '--json'], {
    timeout: 120_000,
  })
  return JSON.parse(
    stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .pop() as string,
  ) as Record<string, unknown>
}

describe('l2kit channels demo (CLI)', () => {
  it('pays by invoice over two hops, closes cooperatively and reports the L1 gas beside L1 transfers', async () => {
    const r = await demo(['--payments', '10'])
    expect(r).toMatchObject({ family: 'channels', attack: null, payments: 10 })
    expect(Number((r.gas as { session: string }).session)).toBeGreaterThan(0)
    expect(r.directL1TransfersGas).toBe(String(21_000 * 10))
    expect(Number((r.multiHopLatencyMs as { p50: number }).p50)).toBeGreaterThan(0)
  }, 120_000)

  for (const attack of ['old-state', 'old-state-offline', 'withhold-preimage']) {
    it(`--attack ${attack}: caught, honest funds lost 0`, async () => {
      const r = await demo(['--attack', attack])
      expect(r).toMatchObject({
        family: 'channels',
        attack,
        caught: true,
        punished: true,
        honestFundsLost: '0',
      })
      expect(r.gas).toBeTypeOf('object')
    }, 120_000)
  }

  it('--attack crash-mid-payment: B killed with SIGKILL mid-payment, every payment whole or undone, nothing lost', async () => {
    const r = await demo(['--attack', 'crash-mid-payment'])
    expect(r).toMatchObject({
      family: 'channels',
      attack: 'crash-mid-payment',
      caught: true,
      punished: false,
      honestFundsLost: '0',
      channelsStillOpen: true,
    })
    expect((r.completed as number) + (r.undone as number)).toBe(20)
    expect(r.gas).toBeTypeOf('object')
  }, 120_000)

  it('refuses an unknown attack with a clear error', async () => {
    const err = await run(process.execPath, [BIN, 'channels', 'demo', '--attack', 'nope']).catch(
      (e: unknown) => e,
    )
    expect((err as { stderr: string }).stderr).toMatch(/--attack must be one of old-state/)
  }, 60_000)
})
