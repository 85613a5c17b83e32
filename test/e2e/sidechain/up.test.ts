/**
 * `l2kit up --family sidechain` as an OS process, used with the CLI as a user would: the `--json` ready line lists
 * the chain id, each validator's RPC and the contracts under `families.sidechain`; `sidechain validators`, `deposit
 * --wait`, `withdraw` (burn, wait for the checkpoint, paid on L1) and `status`; after a SIGKILL of `up` its validator
 * processes go too, and the same data dir resumes the same chain.
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
    sidechain: {
      chainId: number
      validators: { address: string; rpc: string; p2p: string }[]
      contracts: { stakeManager: string; bridge: string; l2Bridge: string }
      checkpointInterval: number
      resumed: boolean
    }
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'l2kit-sidechain-up-'))
afterAll(async () => {
  await killAll()
  rmSync(dataDir, { recursive: true, force: true })
})
const acct = (i: number) => ANVIL_DEV_ACCOUNTS[i] as { address: Hex; privateKey: Hex }
const up = () =>
  launchL2kit<Ready>([
    'up',
    '--family',
    'sidechain',
    '--json',
    '--sidechain-port',
    '0',
    '--sidechain-block-time-ms',
    '250',
    '--sidechain-checkpoint-interval',
    '4',
    '--data-dir',
    dataDir,
    '--log-level',
    'warn',
  ])

async function height(rpc: string): Promise<bigint> {
  const r = (await (
    await fetch(rpc, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
    })
  ).json()) as { result: string }
  return BigInt(r.result)
}

describe('l2kit up --family sidechain', () => {
  it('deposits and withdraws through the CLI, and resumes after SIGKILL', async () => {
    const first = up()
    const r = await first.ready
    const s = r.families.sidechain
    expect(s.validators).toHaveLength(4)
    for (const v of s.validators) expect(v.rpc).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(s.contracts.bridge).toMatch(/^0x[0-9a-fA-F]{40}$/)
    expect(s.resumed).toBe(false)
    const rpc = ['--rpc', (s.validators[1] as { rpc: string }).rpc]
    const set = await runL2kit<{ validators: { address: string }[] }>(['sidechain', 'validators', ...rpc])
    expect(set.validators.map((v) => v.address).sort()).toEqual(s.validators.map((v) => v.address).sort())
    const alice = acct(1)
    const dep = await runL2kit<{ depositId: string; mintedAfterMs: number }>([
      'sidechain',
      'deposit',
      '--amount',
      '2',
      '--private-key',
      alice.privateKey,
      '--wait',
      ...rpc,
    ])
    expect(dep.depositId).toBe('0')
    expect(dep.mintedAfterMs).toBeGreaterThanOrEqual(0)
    const wd = await runL2kit<{ withdrawalId: string; paid: string; l1TxHash: string }>(
      ['sidechain', 'withdraw', '--amount', '0.5', '--private-key', alice.privateKey, ...rpc],
      120_000,
    )
    expect(wd.paid).toBe('500000000000000000')
    expect(wd.l1TxHash).toMatch(/^0x[0-9a-f]{64}$/)
    const status = await runL2kit<{ status: { height: string; peers: number }; balance: { wei: string } }>([
      'sidechain',
      'status',
      '--address',
      alice.address,
      ...rpc,
    ])
    expect(status.status.peers).toBe(3)
    // genesis 1,000 ETH + 2 deposited − 0.5 withdrawn − the withdrawal's fee
    expect(BigInt(status.balance.wei)).toBeGreaterThan(10n ** 18n * 1001n)
    const before = BigInt(status.status.height)

    // SIGKILL of up: its validators stop with it; the same data dir resumes the same chain.
    first.child.kill('SIGKILL')
    await first.exited
    await new Promise((res) => setTimeout(res, 500))
    const second = up()
    const r2 = await second.ready
    expect(r2.families.sidechain.resumed).toBe(true)
    expect(r2.families.sidechain.contracts.bridge).toBe(s.contracts.bridge)
    const rpc2 = (r2.families.sidechain.validators[0] as { rpc: string }).rpc
    const deadline = Date.now() + 30_000
    while ((await height(rpc2)) <= before + 2n && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 200))
    expect(await height(rpc2)).toBeGreaterThan(before + 2n)
    const after = await runL2kit<{ balance: { wei: string } }>([
      'sidechain',
      'status',
      '--address',
      alice.address,
      '--rpc',
      rpc2,
    ])
    expect(after.balance.wei).toBe(status.balance.wei)
    second.child.kill('SIGTERM')
    await second.exited
  }, 300_000)
})
