/**
 * `l2kit up` as an OS process with its embedded anvil (issue 7):
 * - finding 12: SIGTERM (to it, or to a wrapper such as `npm start` that does not pass it on) stops the node
 *   and its anvil and removes the temporary data dir;
 * - finding 11: after a SIGKILL, `up --data-dir D` either resumes on the same L1 or refuses with L1_MISMATCH,
 *   never "ready" on an L1 it was not built on.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const BIN = join(import.meta.dirname, '../../../bin/l2kit.js')

type Ready = {
  ready: true
  l1Rpc: string
  l2Rpc: string
  dataDir: string
  contracts: { portal: string }
  accounts: { address: string }[]
  families: { optimistic: { l2Rpc: string; contracts: { portal: string } } }
}
type Launched = {
  child: ChildProcess
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  ready: Promise<Ready>
  stderr: () => string
}

const spawned: ChildProcess[] = []
const anvilPids = new Set<number>()

function launch(args: string[], viaShell = false): Launched {
  const nodeArgs = [
    BIN,
    'up',
    '--family',
    'optimistic',
    '--json',
    '--port',
    '0',
    '--log-level',
    'warn',
    ...args,
  ]
  // A wrapper that dies on SIGTERM without passing it on, like `npm start` (npm → sh → node).
  const child = viaShell
    ? spawn(
        'sh',
        ['-c', `"${process.execPath}" ${nodeArgs.map((a) => `'${a}'`).join(' ')}; echo wrapper-done`],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      )
    : spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'pipe', 'pipe'] })
  spawned.push(child)
  let err = ''
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-8000)
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const ready = new Promise<Ready>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const line = out.split('\n').find((l) => l.startsWith('{') && l.endsWith('}'))
      if (line) resolve(JSON.parse(line) as Ready)
    })
    void exited.then(({ code, signal }) =>
      reject(new Error(`exited (${code}, ${signal}) before ready: ${err}`)),
    )
  })
  return { child, exited, ready, stderr: () => err }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Pids of the processes whose command line names `needle` (the data dir, which the anvil's arguments carry). */
function pidsMentioning(needle: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
  return out
    .split('\n')
    .filter((l) => l.includes(needle) && l.includes('anvil'))
    .map((l) => Number(l.trim().split(/\s+/)[0]))
}

/** The anvil started for the devnet on `rpcUrl` (found by its port). */
function anvilPidFor(rpcUrl: string): number {
  const port = new URL(rpcUrl).port
  const line = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .find((l) => l.includes('anvil') && l.includes(`--port ${port}`))
  if (!line) throw new Error(`no anvil on port ${port}`)
  const pid = Number(line.trim().split(/\s+/)[0])
  anvilPids.add(pid)
  return pid
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  const body = (await r.json()) as { result: T; error?: unknown }
  if (body.error) throw new Error(JSON.stringify(body.error))
  return body.result
}

afterAll(() => {
  for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  for (const pid of anvilPids) if (alive(pid)) process.kill(pid, 'SIGKILL')
})

describe('l2kit up as a process', () => {
  for (const viaShell of [false, true]) {
    it(`SIGTERM ${viaShell ? 'to a wrapper that does not forward it' : 'to l2kit'} stops the node and anvil and removes the temp dir`, async () => {
      const p = launch(['--dev-accounts', '1', '--no-challenger'], viaShell)
      const info = await p.ready
      const anvil = anvilPidFor(info.l1Rpc)
      expect(alive(anvil)).toBe(true)
      expect(existsSync(info.dataDir)).toBe(true)
      p.child.kill('SIGTERM')
      await p.exited
      await until(() => !alive(anvil), 15_000, 'anvil to stop')
      await until(() => !existsSync(info.dataDir), 15_000, 'the temp data dir to go')
      await until(() => pidsMentioning(info.dataDir).length === 0, 5_000, 'no process left on the data dir')
    }, 90_000)
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'l2kit-up-restart-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('resumes on the same L1 after a SIGKILL of up --data-dir (its anvil kept, then reloaded)', async () => {
    const first = launch(['--data-dir', dataDir, '--dev-accounts', '2', '--no-challenger'])
    const a = await first.ready
    anvilPidFor(a.l1Rpc)
    // The ready line keeps its top-level keys and lists each family it started.
    expect(a.families.optimistic).toMatchObject({ l2Rpc: a.l2Rpc, contracts: a.contracts })
    expect(await rpc<{ family: string }>(a.l2Rpc, 'l2kit_family')).toMatchObject({ family: 'optimistic' })
    const user = a.accounts[0]?.address as string
    const balance = await rpc<string>(a.l2Rpc, 'eth_getBalance', [user, 'latest'])
    expect(BigInt(balance)).toBeGreaterThan(0n)
    await new Promise((r) => setTimeout(r, 2_500)) // a batch, a proposal, a state dump
    first.child.kill('SIGKILL')
    await first.exited

    const second = launch(['--data-dir', dataDir, '--no-challenger'])
    const b = await second.ready
    anvilPidFor(b.l1Rpc)
    expect(b.contracts.portal).toBe(a.contracts.portal)
    expect(await rpc<string>(b.l2Rpc, 'eth_getBalance', [user, 'latest'])).toBe(balance)
    // The previous run's anvil was stopped (state dumped) rather than left running next to the new one.
    expect(pidsMentioning(dataDir)).toHaveLength(1)
    await new Promise((r) => setTimeout(r, 2_000))
    const status = await rpc<{
      verifier: { agreesWithAllProposals: boolean; sequencerAgreesWithL1: boolean }
    }>(b.l2Rpc, 'l2kit_status')
    expect(status.verifier.sequencerAgreesWithL1).toBe(true)
    expect(status.verifier.agreesWithAllProposals).toBe(true)

    // Now lose the L1 the way an unsaved anvil did: SIGKILL both and drop the state file. The restart must refuse.
    second.child.kill('SIGKILL')
    await second.exited
    for (const pid of pidsMentioning(dataDir)) process.kill(pid, 'SIGKILL')
    await until(() => pidsMentioning(dataDir).length === 0, 10_000, 'anvil to die')
    rmSync(join(dataDir, 'anvil-state.json'), { force: true })
    const third = launch(['--data-dir', dataDir, '--no-challenger'])
    let readyLine = false
    third.ready.then(
      () => {
        readyLine = true
      },
      () => undefined,
    )
    const exit = await third.exited
    expect(readyLine).toBe(false)
    expect(exit.code).not.toBe(0)
    expect(third.stderr()).toMatch(/built on another L1.*\[L1_MISMATCH\]/s)
    expect(readFileSync(join(dataDir, 'deployment.json'), 'utf8')).toContain(a.contracts.portal)
    await until(() => pidsMentioning(dataDir).length === 0, 10_000, 'the refused start to stop its anvil')
  }, 180_000)
})
