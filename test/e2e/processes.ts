/**
 * l2kit as OS processes for the e2e tests (channels, plasma): a long-running command (`up`, `channels node`) that prints one
 * JSON ready line, killed with SIGKILL and started again; and one-shot commands (`channels pay … --json`) whose
 * last stdout line is their JSON answer.
 */
import { type ChildProcess, execFile } from 'node:child_process'
import { join } from 'node:path'
import { type LaunchedProcess, launchWithReadyLine } from '../../src/cli/channels/processNet.ts'

const BIN = join(import.meta.dirname, '../../bin/l2kit.js')

export type Launched<T> = LaunchedProcess<T>

const live = new Set<ChildProcess>()

export function launchL2kit<T>(args: string[], timeoutMs = 120_000): Launched<T> {
  const launched = launchWithReadyLine<T>([BIN, ...args], timeoutMs, `l2kit ${args[0]}`)
  live.add(launched.child)
  void launched.exited.then(() => live.delete(launched.child))
  return launched
}

/** Runs `l2kit <args> --json` to completion: its JSON answer, or the error it printed (rejects with it). */
export function runL2kit<T>(args: string[], timeoutMs = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args, '--json'],
      { timeout: timeoutMs, maxBuffer: 10_000_000 },
      (error, stdout, stderr) => {
        const lines = stdout.trim().split('\n')
        const last = lines[lines.length - 1] ?? ''
        if (error)
          reject(new Error(`l2kit ${args.join(' ')} failed: ${stderr.slice(-2000)}${stdout.slice(-500)}`))
        else {
          try {
            resolve(JSON.parse(last) as T)
          } catch {
            reject(new Error(`l2kit ${args.join(' ')} printed no JSON: ${stdout.slice(-500)}`))
          }
        }
      },
    )
  })
}

/** Kills every process still running (afterAll). */
export async function killAll(): Promise<void> {
  const waits = [...live].map(
    (c) => new Promise<void>((r) => (c.exitCode !== null ? r() : c.once('exit', () => r()))),
  )
  for (const c of live) c.kill('SIGKILL')
  await Promise.all(waits)
}

export async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  const body = (await res.json()) as { result?: T; error?: { message: string; data?: { code?: string } } }
  if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.data?.code })
  return body.result as T
}
