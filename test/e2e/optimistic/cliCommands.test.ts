/**
 * The user-facing commands against a running devnet, as a user runs them (`node bin/l2kit.js …`), for issue 7
 * finding 15: typed errors without stack traces, no silent rounding, no endless wait for a missing withdrawal,
 * readable status, and `force --token`.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Devnet } from '../../../src/optimistic/devnet.ts'
import { getL2Balance } from '../../../src/sdk/optimistic/getL2Balance.ts'
import { clientsFor, testDevnet, until } from './helpers.ts'

const BIN = join(import.meta.dirname, '../../../bin/l2kit.js')
const L2_DEV: Hex = '0x4200000000000000000000000000000000001001'
const RECIPIENT: Hex = '0x000000000000000000000000000000000000bEEF'

type Run = { code: number; stdout: string; stderr: string; ms: number }

function l2kit(args: string[], timeoutMs = 60_000): Promise<Run> {
  const started = performance.now()
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({ code, stdout, stderr, ms: performance.now() - started })
    })
  })
}

describe('l2kit commands', () => {
  let devnet: Devnet
  let key: Hex
  let common: string[]

  beforeAll(async () => {
    devnet = await testDevnet({ devAccounts: 1, inclusionWindowSeconds: 2n })
    key = devnet.accounts[0]?.privateKey as Hex
    common = ['--l2-rpc', devnet.l2Rpc, '--private-key', key]
  })
  afterAll(async () => {
    await devnet?.stop()
  })

  it('refuses a transfer above the balance with a typed error and no stack trace', async () => {
    const r = await l2kit(['transfer', ...common, '--to', RECIPIENT, '--amount', '1000000'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/has 100 ETH on L2, cannot send 1000000 \[INSUFFICIENT_BALANCE\]/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it("passes the node's own refusal on as a typed error (the whole balance leaves nothing for the fee)", async () => {
    const r = await l2kit(['transfer', ...common, '--to', RECIPIENT, '--amount', '100'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/the L2 node refused the transfer: .* \[[A-Z_]+\]/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('refuses more decimals than the token has instead of rounding', async () => {
    const r = await l2kit(['transfer', ...common, '--to', RECIPIENT, '--amount', '0.1234567890123456789'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/more decimals than ETH has \(18\).*\[INVALID_ARGUMENTS\]/)
  })

  it('answers at once that a withdrawal index does not exist', async () => {
    const r = await l2kit(['withdraw', ...common, '--index', '99'], 20_000)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/no withdrawal #99.*\[WITHDRAWAL_NOT_FOUND\]/)
    expect(r.ms).toBeLessThan(15_000)
  })

  it('transfers, then status shows block ranges and agreement', async () => {
    const ok = await l2kit(['transfer', ...common, '--to', RECIPIENT, '--amount', '0.5'])
    expect(ok.code, ok.stderr).toBe(0)
    await devnet.node.batcher.postPending(true)
    const c = clientsFor(devnet, key)
    await until(async () => devnet.node.derivation.safeHead.number > 0n, 30_000, 'a safe head')
    const s = await l2kit(['status', '--l2-rpc', devnet.l2Rpc])
    expect(s.code, s.stderr).toBe(0)
    expect(s.stdout).toMatch(/last batch\s+#\d+: (block \d+|blocks \d+–\d+),/)
    expect(s.stdout).not.toMatch(/blocks \d+\+\d+/)
    expect(await getL2Balance(c.l2Public, { address: RECIPIENT })).toBe(500_000_000_000_000_000n)
  })

  it('force --token moves a bridged ERC-20 through the L1 queue', async () => {
    const c = clientsFor(devnet, key)
    const before = await getL2Balance(c.l2Public, { address: RECIPIENT, l2Token: L2_DEV })
    const r = await l2kit(
      ['force', ...common, '--token', 'DEV', '--to', RECIPIENT, '--amount', '2.5'],
      90_000,
    )
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/transfer 2\.5 DEV/)
    await until(
      async () =>
        (await getL2Balance(c.l2Public, { address: RECIPIENT, l2Token: L2_DEV })) ===
        before + 2_500_000_000_000_000_000n,
      30_000,
      'the forced DEV transfer on L2',
    )
  }, 120_000)
})
