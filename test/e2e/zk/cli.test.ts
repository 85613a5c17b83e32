/**
 * `l2kit zk` commands as a user runs them, against a ZK devnet on anvil: deposit (the L2 key derived from the
 * L1 key's signature), transfer to a fresh address (a new account), status, and clear errors for bad input.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from '../../../src/core/types.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from '../../../src/l1/anvil.ts'
import { startZkDevnet, type ZkDevnet } from '../../../src/zk/devnet.ts'

const run = promisify(execFile)
const BIN = join(import.meta.dirname, '../../../bin/l2kit.js')
const key = (i: number) => (ANVIL_DEV_ACCOUNTS[i] as { privateKey: Hex }).privateKey

let anvil: AnvilInstance
let devnet: ZkDevnet
let dataDir: string

beforeAll(async () => {
  anvil = await startAnvil()
  dataDir = mkdtempSync(join(tmpdir(), 'l2kit-zk-cli-'))
  devnet = await startZkDevnet({
    l1RpcUrl: anvil.rpcUrl,
    deployerKey: key(0),
    operatorKey: key(9),
    dataDir,
    chunks: 3,
    depth: 4,
    priorityDeadlineSeconds: 3600,
    provers: 1,
    blockTimeMs: 300,
  })
}, 600_000)

afterAll(async () => {
  await devnet?.stop()
  await anvil?.stop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

async function l2kit(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'zk', ...args, '--zk-rpc', devnet.rpcUrl], {
      timeout: 120_000,
    })
    return { stdout, stderr, code: 0 }
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number }
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: e.code ?? 1 }
  }
}

const lastJson = (out: string) =>
  JSON.parse(
    out
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .pop() as string,
  )

describe('l2kit zk (CLI)', () => {
  it('deposits, transfers to a new account and reports status', async () => {
    const dep = await l2kit(['deposit', '--private-key', key(3), '--amount', '0.5', '--json'])
    expect(dep.code, dep.stderr).toBe(0)
    const d = lastJson(dep.stdout)
    expect(d.balance).toBe('0.5 ETH')
    const fresh = (ANVIL_DEV_ACCOUNTS[6] as { address: string }).address
    const tr = await l2kit(['transfer', '--private-key', key(3), '--to', fresh, '--amount', '0.1', '--json'])
    expect(tr.code, tr.stderr).toBe(0)
    const t = lastJson(tr.stdout)
    expect(t).toMatchObject({ type: 'transferToNew', amount: '0.1 ETH', status: 'soft' })
    const st = await l2kit(['status', '--json'])
    const s = lastJson(st.stdout)
    expect(s.family).toBe('zk')
    expect(s.l1Requests).toBeGreaterThanOrEqual(1)
  }, 180_000)

  it('says what is wrong with bad input, and exits non-zero', async () => {
    const notUnits = await l2kit(['deposit', '--private-key', key(3), '--amount', '0.0000000001'])
    expect(notUnits.code).not.toBe(0)
    expect(notUnits.stderr).toMatch(/not a whole number of L2 units/)
    const badKey = await l2kit(['transfer', '--private-key', '0x12', '--to', '1', '--amount', '1'])
    expect(badKey.code).not.toBe(0)
    expect(badKey.stderr).toMatch(/--private-key/)
    const tooMuch = await l2kit(['transfer', '--private-key', key(3), '--to', '1', '--amount', '100'])
    expect(tooMuch.code).not.toBe(0)
    expect(tooMuch.stderr).toMatch(/INSUFFICIENT_BALANCE|balance/i)
  }, 180_000)
})
