/**
 * The l2kit node as a separate OS process (`node bin/l2kit.js up … --json`), for tests and soaks that kill it with
 * SIGKILL and start it again on the same data dir, and a minimal JSON-RPC client for talking to it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { Agent, request as httpRequest } from 'node:http'
import { join } from 'node:path'
import type { Address, Hex } from 'viem'
import { ANVIL_DEV_ACCOUNTS } from '../../../src/l1/anvil.ts'

const BIN = join(import.meta.dirname, '../../../bin/l2kit.js')

/** What `l2kit up --json` prints on its ready line (the fields the tests use). */
export type NodeReadyInfo = {
  l2Rpc: string
  l2ChainId: number
  dataDir: string
  contracts: { portal: Address; rollup: Address }
}

export type NodeProcess = {
  child: ChildProcess
  pid: number
  info: NodeReadyInfo
  /** Milliseconds from spawn to the ready line (replay of the store included). */
  startMs: number
  /** Resolves with the exit code / signal once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** The last few kilobytes the node wrote to stderr (its logs). */
  stderrTail(): string
}

export type StartNodeOptions = {
  l1Rpc: string
  dataDir: string
  port: number
  /** Operator key on the L1 (default: anvil dev account 0). */
  privateKey?: Hex
  blockTimeMs?: number
  logLevel?: string
  extraArgs?: readonly string[]
  /** Flags for the Node.js runtime itself (e.g. `--cpu-prof`), placed before the script. */
  runtimeArgs?: readonly string[]
  /** Give up when the ready line has not come after this long (ms). */
  timeoutMs?: number
}

const TAIL_BYTES = 8_000

/** A node process just spawned: its ready line may or may not come. */
export type LaunchedNode = {
  child: ChildProcess
  exited: NodeProcess['exited']
  /** Resolves on the ready line; rejects if the process exits (or times out) first. */
  ready: Promise<NodeProcess>
}

/** Spawns `l2kit up` against an external L1 without waiting (to kill it while it starts, for example). */
export function launchNodeProcess(o: StartNodeOptions): LaunchedNode {
  const started = performance.now()
  const args = [
    ...(o.runtimeArgs ?? []),
    BIN,
    'up',
    '--family',
    'optimistic',
    '--l1-rpc',
    o.l1Rpc,
    '--private-key',
    o.privateKey ?? (ANVIL_DEV_ACCOUNTS[0]?.privateKey as Hex),
    '--data-dir',
    o.dataDir,
    '--port',
    String(o.port),
    '--json',
    '--log-level',
    o.logLevel ?? 'warn',
    '--block-time-ms',
    String(o.blockTimeMs ?? 200),
    ...(o.extraArgs ?? []),
  ]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-TAIL_BYTES)
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  const timeoutMs = o.timeoutMs ?? 60_000
  const ready = new Promise<NodeProcess>((resolve, reject) => {
    let out = ''
    let done = false
    const timer = setTimeout(() => {
      if (done) return
      done = true
      child.kill('SIGKILL')
      reject(new Error(`node did not start within ${timeoutMs} ms: ${stderr.slice(-2000)}`))
    }, timeoutMs)
    child.stdout?.on('data', (d: Buffer) => {
      if (done) return
      out += d.toString()
      const line = out.split('\n').find((l) => l.startsWith('{') && l.endsWith('}'))
      if (!line) return
      done = true
      clearTimeout(timer)
      resolve({
        child,
        pid: child.pid as number,
        info: JSON.parse(line) as NodeReadyInfo,
        startMs: performance.now() - started,
        exited,
        stderrTail: () => stderr,
      })
    })
    void exited.then(({ code, signal }) => {
      if (done) return
      done = true
      clearTimeout(timer)
      reject(
        new Error(`node exited (code ${code}, signal ${signal}) before it was ready: ${stderr.slice(-2000)}`),
      )
    })
  })
  return { child, exited, ready }
}

/** Spawns `l2kit up` against an external L1 and resolves once it printed its JSON ready line. */
export function startNodeProcess(o: StartNodeOptions): Promise<NodeProcess> {
  return launchNodeProcess(o).ready
}

/** SIGKILL (no cleanup, no flush: a power cut as far as the process is concerned) and wait until it is gone. */
export async function killNodeProcess(
  node: Pick<NodeProcess, 'child' | 'exited'>,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<void> {
  if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill(signal)
  await node.exited
}

/** A JSON-RPC error answered by the node (as opposed to the connection failing). */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: unknown,
  ) {
    super(message)
    this.name = 'RpcError'
  }
}

type RpcResponse = { id: number; result?: unknown; error?: { code: number; message: string; data?: unknown } }

/**
 * A bare JSON-RPC client over node:http with its own keep-alive agent, so a client made for one incarnation of the
 * node never reuses a socket of a killed one. A dead node shows up as a network error (ECONNRESET,
 * ECONNREFUSED, …), a refused request as an RpcError, so callers can tell "not acknowledged" from "rejected".
 */
export function rpcClient(url: string) {
  const agent = new Agent({ keepAlive: true })
  const target = new URL(url)
  let nextId = 1
  function post(body: unknown): Promise<unknown> {
    const payload = Buffer.from(JSON.stringify(body))
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': payload.length },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', reject)
          res.on('aborted', () => reject(new Error('response aborted')))
          res.on('end', () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString()))
            } catch (err) {
              reject(err)
            }
          })
        },
      )
      req.on('error', reject)
      req.end(payload)
    })
  }
  return {
    url,
    async request<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
      const r = (await post({ jsonrpc: '2.0', id: nextId++, method, params })) as RpcResponse
      if (r.error) throw new RpcError(r.error.code, r.error.message, r.error.data)
      return r.result as T
    },
    /** Many calls in JSON-RPC batches of up to `chunk`; results in call order; any error throws. */
    async batch<T = unknown>(
      calls: readonly { method: string; params: unknown[] }[],
      chunk = 100,
    ): Promise<T[]> {
      const out: T[] = []
      for (let i = 0; i < calls.length; i += chunk) {
        const part = calls
          .slice(i, i + chunk)
          .map((c, k) => ({ jsonrpc: '2.0', id: k, method: c.method, params: c.params }))
        const res = (await post(part)) as RpcResponse[]
        const byId = new Map(res.map((r) => [r.id, r]))
        for (let k = 0; k < part.length; k++) {
          const r = byId.get(k)
          if (!r) throw new Error(`batch answer is missing id ${k}`)
          if (r.error) throw new RpcError(r.error.code, r.error.message, r.error.data)
          out.push(r.result as T)
        }
      }
      return out
    },
    /** Drops the keep-alive sockets. */
    close(): void {
      agent.destroy()
    },
  }
}

export type RpcClient = ReturnType<typeof rpcClient>
