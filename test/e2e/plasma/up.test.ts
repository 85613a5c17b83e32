/**
 * `l2kit up --family plasma` as an OS process, used with the CLI as a user would: the `--json` ready line lists the
 * operator, the watcher and the contracts under `families.plasma`; `plasma deposit`, `transfer`, `status` and `exit`
 * (which waits out the exit period and processes) move ETH in and out; after a SIGKILL the same data dir resumes the
 * same contract and chain.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Hex } from 'viem'
import { afterAll, describe, expect, it } from 'vitest'
import { ANVIL_DEV_ACCOUNTS } from '../../../src/l1/anvil.ts'
import { killAll, launchL2kit, runL2kit } from '../processes.ts'

type Ready = {
  ready: true
  l1Rpc: string
  families: {
    plasma: {
      operator: { rpc: string }
      watcher: { rpc: string | null; users: string[] }
      contracts: { framework: string; devToken?: string }
      exitPeriodSeconds: number
      resumed: boolean
    }
  }
}
type Status = {
  operator: { openBlock: string; framework: string }
  watcher: { blocks: { valid: number; invalid: number; withheld: number }; byzantine: unknown[] }
  account?: { ethBalance: string; outputs: { utxoPos: string; amount: string }[] }
}

const dataDir = mkdtempSync(join(tmpdir(), 'l2kit-plasma-up-'))
afterAll(async () => {
  await killAll()
  rmSync(dataDir, { recursive: true, force: true })
})
const acct = (i: number) => ANVIL_DEV_ACCOUNTS[i] as { address: Hex; privateKey: Hex }
const up = () =>
  launchL2kit<Ready>([
    'up',
    '--family',
    'plasma',
    '--json',
    '--plasma-port',
    '0',
    '--plasma-exit-period',
    '2',
    '--data-dir',
    dataDir,
    '--log-level',
    'warn',
  ])

describe('l2kit up --family plasma', () => {
  it('deposits, transfers and exits through the CLI, and resumes after SIGKILL', async () => {
    const first = up()
    const r = await first.ready
    const p = r.families.plasma
    expect(p.operator.rpc).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(p.watcher.users).toHaveLength(5)
    expect(p.contracts.framework).toMatch(/^0x[0-9a-fA-F]{40}$/)
    expect(p.resumed).toBe(false)
    const op = ['--operator', p.operator.rpc]
    const alice = acct(1)
    const bob = acct(2)
    const dep = await runL2kit<{ utxoPos: string }>([
      'plasma',
      'deposit',
      '--amount',
      '1',
      '--private-key',
      alice.privateKey,
      ...op,
    ])
    expect(BigInt(dep.utxoPos)).toBeGreaterThan(0n)
    const status = (address: string) =>
      runL2kit<Status>([
        'plasma',
        'status',
        '--address',
        address,
        ...op,
        '--watcher',
        p.watcher.rpc as string,
      ])
    for (
      let i = 0;
      i < 50 && (await status(alice.address)).account?.ethBalance !== '1000000000000000000';
      i++
    ) {
      await new Promise((res) => setTimeout(res, 200))
    }
    const sent = await runL2kit<{ txHash: string }>([
      'plasma',
      'transfer',
      '--to',
      bob.address,
      '--amount',
      '0.25',
      '--private-key',
      alice.privateKey,
      ...op,
      '--watcher',
      p.watcher.rpc as string,
    ])
    expect(sent.txHash).toMatch(/^0x[0-9a-f]{64}$/)
    let bobStatus = await status(bob.address)
    for (let i = 0; i < 50 && bobStatus.watcher.blocks.valid < 2; i++) {
      await new Promise((res) => setTimeout(res, 200))
      bobStatus = await status(bob.address)
    }
    expect(bobStatus.account?.ethBalance).toBe('250000000000000000')
    expect(bobStatus.watcher.byzantine).toEqual([])
    // bob exits what he received: the command waits out the exit period and processes
    const exited = await runL2kit<{ started: unknown[]; paid: { amount: string }[] }>(
      ['plasma', 'exit', '--private-key', bob.privateKey, ...op],
      120_000,
    )
    expect(exited.started).toHaveLength(1)
    expect(exited.paid.map((x) => x.amount)).toEqual(['250000000000000000'])
    // SIGKILL and resume on the same data dir
    first.child.kill('SIGKILL')
    await first.exited
    const second = up()
    const r2 = await second.ready
    expect(r2.families.plasma.resumed).toBe(true)
    expect(r2.families.plasma.contracts.framework).toBe(p.contracts.framework)
    const after = await runL2kit<Status>([
      'plasma',
      'status',
      '--address',
      alice.address,
      '--operator',
      r2.families.plasma.operator.rpc,
    ])
    expect(after.account?.ethBalance).toBe('750000000000000000')
    second.child.kill('SIGTERM')
    await second.exited
  }, 240_000)
})
