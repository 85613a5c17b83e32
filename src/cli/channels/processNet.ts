/**
 * Channel nodes A, B, C as separate OS processes (`l2kit channels node`), so they can be killed with SIGKILL and
 * started again on their data dirs: the `crash-mid-payment` attack demo and the crash tests. Each restarted node
 * reconnects to its neighbours (A–B, B–C), which re-establishes the channels (docs/channels.md "Reestablish").
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import type { Address, Hex } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { rpcRequest } from '../../node/rpcClient.ts'

export type NodeName = 'a' | 'b' | 'c'
export type NodeReady = { nodeId: string; rpc: string; peer: string }
export type ChannelView = {
  channelId: Hex
  local: string
  remote: string
  seq: string
  pendingHtlcs: number
  balanceA: string
  balanceB: string
  l1?: string
}

/** A spawned process that prints one JSON ready line on stdout (then keeps running). */
export type LaunchedProcess<T> = {
  child: ChildProcess
  /** the ready line; rejects (and kills the process) if it exits first or after `timeoutMs` */
  ready: Promise<T>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** the last 8 kB it wrote to stderr (its logs) */
  stderrTail(): string
}

/** Spawns `node <args>` (args[0] the script) and waits for its first stdout line that is a JSON object. */
export function launchWithReadyLine<T>(
  args: string[],
  timeoutMs: number,
  what = 'process',
): LaunchedProcess<T> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-8000)
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const ready = new Promise<T>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new L2kitError('ATTACK_SETUP', `${what}: no ready line after ${timeoutMs} ms: ${err}`))
    }, timeoutMs)
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const line = out.split('\n').find((l) => l.startsWith('{') && l.endsWith('}'))
      if (line) {
        clearTimeout(timer)
        resolve(JSON.parse(line) as T)
      }
    })
    void exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new L2kitError('ATTACK_SETUP', `${what} exited (${code ?? signal}) before it was ready: ${err}`))
    })
  })
  ready.catch(() => undefined)
  return { child, ready, exited, stderrTail: () => err }
}

const NEIGHBOURS: Record<NodeName, NodeName[]> = { a: ['b'], b: ['a', 'c'], c: ['b'] }

type Running = { child: ChildProcess; exited: Promise<void>; info: NodeReady; stderr: () => string }

export class ChannelProcessNet {
  private readonly running: Partial<Record<NodeName, Running>> = {}
  private readonly last: Partial<Record<NodeName, NodeReady>> = {}

  constructor(
    readonly o: {
      /** bin/l2kit.js */
      bin: string
      l1RpcUrl: string
      hub: Address
      registry: Address
      dir: string
      keys: Record<NodeName, Hex>
      pollMs?: number
      logLevel?: string
    },
  ) {}

  info(name: NodeName): NodeReady {
    const i = this.running[name]?.info ?? this.last[name]
    if (i === undefined) throw new L2kitError('ATTACK_SETUP', `node ${name} was never started`)
    return i
  }

  /** Starts the node on its data dir and connects it to its running neighbours; resolves on its ready line. */
  async start(name: NodeName, timeoutMs = 60_000): Promise<NodeReady> {
    const connect = NEIGHBOURS[name]
      .map((n) => this.running[n]?.info.peer)
      .filter((p): p is string => p !== undefined)
    const args = [
      this.o.bin,
      'channels',
      'node',
      '--json',
      '--private-key',
      this.o.keys[name],
      '--data-dir',
      join(this.o.dir, name),
      '--l1-rpc',
      this.o.l1RpcUrl,
      '--hub',
      this.o.hub,
      '--registry',
      this.o.registry,
      '--poll-ms',
      String(this.o.pollMs ?? 250),
      '--log-level',
      this.o.logLevel ?? 'warn',
      ...(connect.length > 0 ? ['--connect', connect.join(',')] : []),
    ]
    const launched = launchWithReadyLine<NodeReady>(args, timeoutMs, `node ${name}`)
    const info = await launched.ready
    const { child, exited } = launched
    this.running[name] = { child, exited: exited.then(() => undefined), info, stderr: launched.stderrTail }
    this.last[name] = info
    return info
  }

  /** The last few kilobytes the node's current process wrote to stderr (its logs). */
  stderrTail(name: NodeName): string {
    return this.running[name]?.stderr() ?? ''
  }

  /** SIGKILL: no shutdown hook runs, whatever was not yet stored is gone. */
  async kill(name: NodeName): Promise<void> {
    const r = this.running[name]
    if (r === undefined) return
    delete this.running[name]
    r.child.kill('SIGKILL')
    await r.exited
  }

  async stopAll(): Promise<void> {
    const all = Object.values(this.running)
    for (const k of Object.keys(this.running)) delete this.running[k as NodeName]
    for (const r of all) r?.child.kill('SIGTERM')
    await Promise.race([Promise.all(all.map((r) => r?.exited)), new Promise((r) => setTimeout(r, 5_000))])
    for (const r of all) if (r?.child.exitCode === null) r.child.kill('SIGKILL')
  }

  request<T>(name: NodeName, method: string, params: unknown[] = [], timeoutMs = 120_000): Promise<T> {
    return rpcRequest<T>(this.info(name).rpc, method, params, { timeoutMs })
  }

  channels(name: NodeName): Promise<ChannelView[]> {
    return this.request<ChannelView[]>(name, 'channels_list')
  }

  /**
   * Waits until both ends of A–B and of B–C hold the same state with no HTLC pending; returns each channel as
   * its two ends see it (A–B: [A, B]; B–C: [B, C]).
   */
  async quiet(
    timeoutMs = 60_000,
  ): Promise<{ ab: [ChannelView, ChannelView]; bc: [ChannelView, ChannelView] }> {
    const end = Date.now() + timeoutMs
    for (;;) {
      const [a, b, c] = await Promise.all([this.channels('a'), this.channels('b'), this.channels('c')])
      const abA = a[0] as ChannelView
      const abB = b.find((x) => x.channelId === abA.channelId) as ChannelView
      const bcC = c[0] as ChannelView
      const bcB = b.find((x) => x.channelId === bcC.channelId) as ChannelView
      const same = (x: ChannelView, y: ChannelView) =>
        x.seq === y.seq && x.balanceA === y.balanceA && x.balanceB === y.balanceB
      if ([abA, abB, bcB, bcC].every((x) => x.pendingHtlcs === 0) && same(abA, abB) && same(bcB, bcC)) {
        return { ab: [abA, abB], bc: [bcB, bcC] }
      }
      if (Date.now() > end) {
        throw new L2kitError(
          'ATTACK_SETUP',
          `the channels did not settle in ${timeoutMs} ms: ${JSON.stringify({ abA, abB, bcB, bcC })}\n${(['a', 'b', 'c'] as const).map((n) => `--- node ${n} (warnings):\n${this.stderrTail(n)}`).join('\n')}`,
        )
      }
      await new Promise((r) => setTimeout(r, 250))
    }
  }
}

/**
 * What A → B → C payments of `amount` each (B's fee `fee` each) must leave once the channels are quiet, and who
 * lost what if they do not: with k payments completed (C holds k·amount), B holds k·(amount + fee) in A–B, A paid
 * exactly that. A payment half-applied shows as a loss: B paid C more than A paid B, or A paid for more than C got.
 */
export function paymentAccounting(
  q: { ab: [ChannelView, ChannelView]; bc: [ChannelView, ChannelView] },
  amount: bigint,
  fee: bigint,
  totals: { ab: bigint; bc: bigint },
) {
  const cGot = BigInt(q.bc[1].local)
  const completed = cGot / amount
  const bGotFromA = BigInt(q.ab[1].local)
  const bPaidToC = totals.bc - BigInt(q.bc[0].local)
  const aPaid = totals.ab - BigInt(q.ab[0].local)
  const lossA = aPaid > completed * (amount + fee) ? aPaid - completed * (amount + fee) : 0n
  const lossB = bPaidToC > bGotFromA ? bPaidToC - bGotFromA : 0n
  const lossC = cGot % amount === 0n ? 0n : amount - (cGot % amount)
  return {
    completed,
    consistent:
      cGot % amount === 0n &&
      bGotFromA === completed * (amount + fee) &&
      aPaid === bGotFromA &&
      bPaidToC === cGot,
    honestFundsLost: lossA + lossB + lossC,
  }
}
