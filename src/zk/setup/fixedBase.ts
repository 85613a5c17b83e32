/**
 * A pool of worker threads computing fixed-base multiples of the BN254 generators (fixedBaseWorker.mjs) for the
 * development setup. Jobs go to the first idle worker; `runOrdered` streams a list of jobs with a bounded number in
 * flight and hands the results back in order (for hashing and writing files sequentially).
 */
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { buildBn128, type FfBn128 } from 'ffjavascript'
import { L2kitError } from '../../core/errors.ts'
import './errors.ts'
import {
  createEngine,
  type Engine,
  type EngineInfo,
  type Group,
  type Job,
  type JobResult,
} from './fixedBaseWorker.mjs'

export type { Group, Job, JobResult } from './fixedBaseWorker.mjs'

const WORKER_FILE = 'fixedBaseWorker.mjs'

/**
 * The worker script next to this module, or (when this module was bundled elsewhere, e.g. the CLI's esbuild bundle
 * under node_modules/.cache) src/zk/setup/ of the checkout the bundle lives in.
 */
function workerUrl(): URL {
  const here = new URL(`./${WORKER_FILE}`, import.meta.url)
  if (existsSync(fileURLToPath(here))) return here
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 12; i++) {
    const candidate = join(dir, 'src', 'zk', 'setup', WORKER_FILE)
    if (existsSync(candidate)) return pathToFileURL(candidate)
    const up = dirname(dir)
    if (up === dir) break
    dir = up
  }
  return here
}

let curvePromise: Promise<FfBn128> | undefined

/** ffjavascript's BN254 in single-thread mode (no worker threads of its own): field/curve helpers and the WASM code. */
export function singleThreadCurve(): Promise<FfBn128> {
  curvePromise ??= buildBn128(true)
  return curvePromise
}

export async function engineInfo(): Promise<{ code: Uint8Array; info: EngineInfo }> {
  const curve = await singleThreadCurve()
  return {
    code: curve.tm.code,
    info: { pG1gen: curve.tm.pG1gen, pG2gen: curve.tm.pG2gen, pFree: curve.tm.initalPFree },
  }
}

/** An engine on the calling thread (for small conversions and field arithmetic next to the workers). */
export async function localEngine(): Promise<Engine> {
  const { code, info } = await engineInfo()
  return createEngine(code, info)
}

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void }
type Slot = { worker: Worker; busy: boolean; pending: Map<number, Pending> }
type Queued = { msg: Record<string, unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void }

/** Largest table window: 2^16 entries per window (G1 64 MiB, G2 128 MiB per worker). */
const MAX_WINDOW_BITS = 16

export class FixedBasePool {
  readonly threads: number
  readonly #slots: Slot[] = []
  readonly #queue: Queued[] = []
  readonly #tables = new Map<Group, number>()
  #nextId = 1
  #closed = false
  #failure: unknown

  private constructor(threads: number) {
    this.threads = threads
  }

  /** Starts `threads` workers (default: the machine's parallelism). */
  static async start(options: { threads?: number } = {}): Promise<FixedBasePool> {
    const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()))
    const pool = new FixedBasePool(threads)
    const { code, info } = await engineInfo()
    const url = workerUrl()
    try {
      for (let i = 0; i < threads; i++) {
        const worker = new Worker(url, { workerData: { l2kitFixedBase: true } })
        const slot: Slot = { worker, busy: false, pending: new Map() }
        worker.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string }) =>
          pool.#onMessage(slot, m),
        )
        worker.on('error', (err) => pool.#fail(err))
        worker.on('exit', (code) => {
          if (!pool.#closed) pool.#fail(new Error(`fixed-base worker exited with code ${code}`))
        })
        pool.#slots.push(slot)
      }
      await Promise.all(pool.#slots.map((s) => pool.#send(s, { cmd: 'init', code: code.slice(), info })))
    } catch (err) {
      await pool.close()
      throw new L2kitError(
        'ZK_SETUP_WORKER_FAILED',
        `could not start the fixed-base workers: ${String(err)}`,
        {
          kind: 'critical',
          details: { workerUrl: url.href },
          cause: err,
        },
      )
    }
    return pool
  }

  /**
   * Builds the tables for the groups about to be used, sized for about `points[g]` multiplications in total:
   * windows of w bits minimising windows·(points per worker + 2^w). Kept for the pool's life (first call decides).
   * The windows are built by all workers in parallel and shared.
   */
  async prepare(points: Partial<Record<Group, number>>): Promise<void> {
    for (const g of ['g1', 'g2'] as const) {
      const n = points[g]
      if (n === undefined || n <= 0 || this.#tables.has(g)) continue
      const w = chooseWindow(n / this.threads, this.threads)
      const windows = Math.ceil(254 / w)
      const parts: Uint8Array[] = []
      const per = Math.ceil(windows / this.threads)
      const jobs: Promise<unknown>[] = []
      for (let i = 0; i < this.threads; i++) {
        const k0 = Math.min(windows, i * per)
        const k1 = Math.min(windows, k0 + per)
        if (k1 <= k0) continue
        jobs.push(
          this.#call({ cmd: 'tablePart', group: g, w, k0, k1 }).then((r) => {
            parts[i] = (r as { bytes: Uint8Array }).bytes
          }),
        )
      }
      await Promise.all(jobs)
      const total = parts.reduce((a, p) => a + (p?.length ?? 0), 0)
      const table = new Uint8Array(total)
      let off = 0
      for (const p of parts) {
        if (p === undefined) continue
        table.set(p, off)
        off += p.length
      }
      parts.length = 0
      await Promise.all(this.#slots.map((s) => this.#send(s, { cmd: 'tableSet', group: g, w, bytes: table })))
      this.#tables.set(g, w)
    }
  }

  /** Window bits of the group's table, if built. */
  windowBits(g: Group): number | undefined {
    return this.#tables.get(g)
  }

  run(job: Job): Promise<JobResult> {
    if (!this.#tables.has(job.group) && !job.scalarsOnly) {
      return Promise.reject(new Error(`fixed-base table for ${job.group} not prepared`))
    }
    return this.#call({ cmd: 'run', job }) as Promise<JobResult>
  }

  /**
   * Runs `jobs` with at most 2 per worker in flight and calls `onResult` in job order (awaiting it before the
   * next). Resolves when all results were handled.
   */
  async runOrdered<T extends Job>(
    jobs: Iterable<T>,
    onResult: (result: JobResult, job: T, index: number) => Promise<void> | void,
  ): Promise<void> {
    const window = this.threads * 2
    const inflight: { job: T; p: Promise<JobResult> }[] = []
    let index = 0
    const it = jobs[Symbol.iterator]()
    let done = false
    const fill = (): void => {
      while (!done && inflight.length < window) {
        const n = it.next()
        if (n.done) {
          done = true
          break
        }
        const p = this.run(n.value)
        p.catch(() => {}) // handled when awaited below
        inflight.push({ job: n.value, p })
      }
    }
    fill()
    while (inflight.length > 0) {
      const head = inflight.shift() as { job: T; p: Promise<JobResult> }
      const result = await head.p
      fill()
      await onResult(result, head.job, index++)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const q of this.#queue.splice(0)) q.reject(new Error('fixed-base pool closed'))
    await Promise.all(this.#slots.map((s) => s.worker.terminate().catch(() => 0)))
  }

  #call(msg: Record<string, unknown>): Promise<unknown> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    if (this.#closed) return Promise.reject(new Error('fixed-base pool closed'))
    return new Promise((resolve, reject) => {
      this.#queue.push({ msg, resolve, reject })
      this.#dispatch()
    })
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return
      if (slot.busy) continue
      const q = this.#queue.shift() as Queued
      this.#send(slot, q.msg).then(q.resolve, q.reject)
    }
  }

  #send(slot: Slot, msg: Record<string, unknown>): Promise<unknown> {
    const id = this.#nextId++
    slot.busy = true
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject })
      slot.worker.postMessage({ ...msg, id })
    })
  }

  #onMessage(slot: Slot, m: { id: number; ok: boolean; result?: unknown; error?: string }): void {
    const p = slot.pending.get(m.id)
    slot.pending.delete(m.id)
    slot.busy = slot.pending.size > 0
    if (p !== undefined) {
      if (m.ok) p.resolve(m.result)
      else
        p.reject(
          new L2kitError('ZK_SETUP_WORKER_FAILED', `fixed-base worker: ${m.error}`, { kind: 'critical' }),
        )
    }
    this.#dispatch()
  }

  #fail(err: unknown): void {
    if (this.#failure !== undefined) return
    this.#failure = new L2kitError('ZK_SETUP_WORKER_FAILED', `fixed-base worker failed: ${String(err)}`, {
      kind: 'critical',
      cause: err,
    })
    for (const s of this.#slots) {
      for (const p of s.pending.values()) p.reject(this.#failure)
      s.pending.clear()
    }
    for (const q of this.#queue.splice(0)) q.reject(this.#failure)
  }
}

/** Window bits minimising (adds per point)·(points per worker) + table entries each worker builds. */
export function chooseWindow(pointsPerWorker: number, threads: number): number {
  let best = 4
  let bestCost = Number.POSITIVE_INFINITY
  for (let w = 4; w <= MAX_WINDOW_BITS; w++) {
    const windows = Math.ceil(254 / w)
    const cost = windows * pointsPerWorker + (windows * 2 ** w) / threads
    if (cost < bestCost) {
      bestCost = cost
      best = w
    }
  }
  return best
}

/** Splits [0, total) into jobs of at most `size` items. */
export function* chunks(total: number, size: number): Generator<{ start: number; count: number }> {
  for (let start = 0; start < total; start += size) yield { start, count: Math.min(size, total - start) }
}

/** Relative cost of a G2 point against a G1 point, for progress. */
const G2_WEIGHT = 3.5

/**
 * A progress counter over `g1Points` G1 and `g2Points` G2 multiplications (G2 weighted by its cost), and the pool
 * that does them: the caller's, or one started here (`release` closes only a pool started here). Shared by the
 * ptau and zkey writers.
 */
export async function startFixedBaseWork(
  counts: { g1Points: number; g2Points: number },
  options: {
    pool?: FixedBasePool
    threads?: number
    onProgress?: (p: { stage: string; done: number; total: number }) => void
  },
): Promise<{
  pool: FixedBasePool
  progress: (stage: string, job: Job) => void
  release: () => Promise<void>
}> {
  const total = counts.g1Points + G2_WEIGHT * counts.g2Points
  let done = 0
  const progress = (stage: string, job: Job): void => {
    done += job.group === 'g2' ? G2_WEIGHT * job.count : job.count
    options.onProgress?.({ stage, done: Math.round(done), total: Math.round(total) })
  }
  const own = options.pool === undefined
  const pool =
    options.pool ??
    (await FixedBasePool.start(options.threads === undefined ? {} : { threads: options.threads }))
  return { pool, progress, release: async () => (own ? pool.close() : undefined) }
}
