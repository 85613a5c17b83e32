/**
 * `l2kit up --family zk` as an OS process: its `--json` ready line lists the ZK rollup under `families.zk` (RPC,
 * contracts, setup files), the node answers `l2kit_family` and `zk_status`, and after a SIGKILL the same
 * `--data-dir` brings back the same rollup on the same (kept) anvil.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const BIN = join(import.meta.dirname, '../../../bin/l2kit.js')

type Ready = {
  ready: true
  l1Rpc: string
  families: {
    zk: {
      rpc: string
      contracts: { rollup: string; verifier: string }
      chunks: number
      depth: number
      setup: { insecure: boolean; zkey: string; wasm: string }
    }
  }
}

const spawned: ChildProcess[] = []

function launch(args: string[]) {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'up',
      '--family',
      'zk',
      '--json',
      '--zk-port',
      '0',
      '--zk-chunks',
      '3',
      '--zk-depth',
      '4',
      '--log-level',
      'warn',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  spawned.push(child)
  let err = ''
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-8000)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const ready = new Promise<Ready>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const line = out.split('\n').find((l) => l.startsWith('{') && l.endsWith('}'))
      if (line) resolve(JSON.parse(line) as Ready)
    })
    void exited.then(() => reject(new Error(`exited before ready: ${err}`)))
  })
  return { child, ready, exited }
}

async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  const body = (await res.json()) as { result: T }
  return body.result
}

const dataDir = mkdtempSync(join(tmpdir(), 'l2kit-zk-up-'))
afterAll(async () => {
  for (const c of spawned) if (c.exitCode === null) c.kill('SIGTERM')
  await new Promise((r) => setTimeout(r, 1500))
  rmSync(dataDir, { recursive: true, force: true })
})

describe('l2kit up --family zk', () => {
  it('lists the ZK rollup under families.zk and resumes it after a SIGKILL', async () => {
    const first = launch(['--data-dir', dataDir])
    const a = await first.ready
    expect(a.families.zk).toMatchObject({ chunks: 3, depth: 4, setup: { insecure: true } })
    expect(a.families.zk.setup.zkey).toMatch(/\.zkey$/)
    expect(await rpc<{ family: string }>(a.families.zk.rpc, 'l2kit_family')).toMatchObject({ family: 'zk' })
    const status = await rpc<{ rollup: string; l1Rpc: string }>(a.families.zk.rpc, 'zk_status')
    expect(status.rollup).toBe(a.families.zk.contracts.rollup)
    first.child.kill('SIGKILL')
    await first.exited

    const second = launch(['--data-dir', dataDir])
    const b = await second.ready
    expect(b.families.zk.contracts.rollup).toBe(a.families.zk.contracts.rollup)
    second.child.kill('SIGTERM')
    await second.exited
  }, 600_000)
})
