/**
 * Signature recovery on worker threads. secp256k1 public-key recovery (~60 µs with libsecp256k1) is what limits a
 * sequencer's intake; the pool runs it on other cores in batches (one message per batch, not per signature).
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { L2kitError } from '../core/errors.ts'
import type { Address } from '../core/types.ts'
import type { Logger } from './logger.ts'

export type RecoveryPoolOptions = {
  /** Worker threads; 0 = recover inline on the calling thread. Default: one less than the cores, at least 1. */
  threads: number
  /** Most signatures in one message to a worker. */
  maxBatch: number
}

export const defaultRecoveryPoolOptions = (): RecoveryPoolOptions => ({
  threads: Math.max(1, availableParallelism() - 1),
  maxBatch: 512,
})

type Job = {
  hash: Uint8Array
  rs: Uint8Array
  yParity: 0 | 1
  resolve: (a: Address) => void
  reject: (e: unknown) => void
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export class RecoveryPool {
  readonly options: RecoveryPoolOptions
  readonly #workers: Worker[] = []
  readonly #inflight = new Map<number, Job[]>()
  #queue: Job[] = []
  #nextId = 0
  #next = 0
  #flushScheduled = false
  #closed = false

  constructor(
    options: Partial<RecoveryPoolOptions>,
    modules: { logger: Logger; inline: (hash: Uint8Array, rs: Uint8Array, yParity: 0 | 1) => Address },
  ) {
    this.options = { ...defaultRecoveryPoolOptions(), ...options }
    if (!Number.isInteger(this.options.threads) || this.options.threads < 0) {
      throw new L2kitError(
        'INVALID_OPTIONS',
        `recovery threads must be a whole number >= 0, got ${this.options.threads}`,
      )
    }
    this.#inline = modules.inline
    for (let i = 0; i < this.options.threads; i++) {
      const w = new Worker(new URL('./recoveryWorker.mjs', import.meta.url))
      w.unref()
      w.on('message', (m: { id: number; addresses: Uint8Array; ok: Uint8Array }) => this.#onReply(m))
      w.on('error', (err) => {
        modules.logger.error({ err: String(err) }, 'signature recovery worker failed; recovering inline')
        this.#failAll(err)
      })
      this.#workers.push(w)
    }
  }

  readonly #inline: (hash: Uint8Array, rs: Uint8Array, yParity: 0 | 1) => Address

  /** The signer of `hash` given r‖s and y parity. Rejects with INVALID_SIGNATURE when it does not recover. */
  recover(hash: Uint8Array, rs: Uint8Array, yParity: 0 | 1): Promise<Address> {
    if (this.#workers.length === 0 || this.#closed) {
      try {
        return Promise.resolve(this.#inline(hash, rs, yParity))
      } catch (err) {
        return Promise.reject(err)
      }
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ hash, rs, yParity, resolve, reject })
      if (this.#queue.length >= this.options.maxBatch) this.#flush()
      else if (!this.#flushScheduled) {
        this.#flushScheduled = true
        setImmediate(() => this.#flush())
      }
    })
  }

  #flush(): void {
    this.#flushScheduled = false
    while (this.#queue.length > 0) {
      const jobs = this.#queue.splice(0, this.options.maxBatch)
      const n = jobs.length
      const hashes = new Uint8Array(32 * n)
      const sigs = new Uint8Array(64 * n)
      const parities = new Uint8Array(n)
      jobs.forEach((j, i) => {
        hashes.set(j.hash, 32 * i)
        sigs.set(j.rs, 64 * i)
        parities[i] = j.yParity
      })
      const id = this.#nextId++
      this.#inflight.set(id, jobs)
      const worker = this.#workers[this.#next++ % this.#workers.length] as Worker
      worker.postMessage({ id, hashes, sigs, parities }, [hashes.buffer, sigs.buffer, parities.buffer])
    }
  }

  #onReply(m: { id: number; addresses: Uint8Array; ok: Uint8Array }): void {
    const jobs = this.#inflight.get(m.id)
    if (!jobs) return
    this.#inflight.delete(m.id)
    jobs.forEach((j, i) => {
      if (m.ok[i] !== 1) {
        j.reject(new L2kitError('INVALID_SIGNATURE', 'the signature does not recover to any public key'))
        return
      }
      let hex = '0x'
      for (let k = 20 * i; k < 20 * i + 20; k++) hex += HEX[m.addresses[k] as number]
      j.resolve(hex as Address)
    })
  }

  #failAll(err: unknown): void {
    // A broken worker: finish its jobs inline rather than lose them.
    for (const [id, jobs] of this.#inflight) {
      this.#inflight.delete(id)
      for (const j of jobs) {
        try {
          j.resolve(this.#inline(j.hash, j.rs, j.yParity))
        } catch (e) {
          j.reject(e ?? err)
        }
      }
    }
    this.#workers.length = 0
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#flush()
    await Promise.all(this.#workers.map((w) => w.terminate()))
    this.#failAll(new Error('closed'))
  }
}
