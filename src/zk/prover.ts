/**
 * The prover service: worker processes pull prove jobs from the durable queue (`ZkStore.jobs`), prove the block's
 * witness with snarkjs (Groth16), check the proof against the verification key, and store it. Proving happens
 * outside the sequencer, so adding workers (processes here; the same job protocol could serve other machines)
 * raises proven throughput while soft confirmations stay instant.
 *
 * A job is leased durably before work starts; leases left by a crashed node are released at start, so a block is
 * proven again rather than lost. A proof that does not verify is never stored.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as snarkjs from 'snarkjs'
import { L2kitError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import { silentLogger } from '../core/logger.ts'
import type { Metrics } from '../node/metrics.ts'
import { assertValidOptions, isIntegerInRange, withDefaults } from '../node/options.ts'
import './protocol/errors.ts'
import type { ZkStore } from './store.ts'
import { toCircuitInput } from './witness.ts'

const PROVER_PROCESS = join(dirname(fileURLToPath(import.meta.url)), 'proverProcess.mjs')

export type ZkProverOptions = {
  /** prover worker processes */
  workers: number
  /** how often an idle worker looks for a job */
  pollMs: number
  /** give up on a block after this many failed attempts (it then needs an operator) */
  maxAttempts: number
}

export const defaultZkProverOptions: ZkProverOptions = { workers: 1, pollMs: 200, maxAttempts: 3 }

export type ZkProverModules = {
  store: ZkStore
  wasmPath: string
  zkeyPath: string
  verificationKey: snarkjs.VerificationKey
  logger?: Logger
  metrics?: Metrics
  /** called after each proof is stored */
  onProof?: (block: number) => void
}

type Answer = {
  id: number
  proof?: snarkjs.Groth16Proof
  publicSignals?: string[]
  seconds?: number
  error?: string
}

class Worker {
  private child: ChildProcess | undefined
  private nextId = 0
  private waiting = new Map<number, (a: Answer) => void>()

  constructor(readonly name: string) {}

  prove(inputPath: string, wasmPath: string, zkeyPath: string): Promise<Answer> {
    if (this.child === undefined || this.child.exitCode !== null) {
      const child = fork(PROVER_PROCESS, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
      child.on('message', (a: Answer) => {
        this.waiting.get(a.id)?.(a)
        this.waiting.delete(a.id)
      })
      child.on('exit', (code) => {
        for (const [id, resolve] of this.waiting) resolve({ id, error: `prover process exited with ${code}` })
        this.waiting.clear()
      })
      this.child = child
    }
    const id = this.nextId++
    const child = this.child
    return new Promise((resolve) => {
      this.waiting.set(id, resolve)
      child.send({ id, inputPath, wasmPath, zkeyPath })
    })
  }

  stop(): void {
    this.child?.kill()
    this.child = undefined
  }
}

export class ZkProver {
  readonly options: ZkProverOptions
  private readonly modules: ZkProverModules
  private readonly log: Logger
  private readonly workers: Worker[] = []
  private loops: Promise<void>[] = []
  private stopping = false
  private readonly tmp: string
  private readonly seconds?: { observe(v: number): void }
  private readonly proven?: { inc(n?: number): void }

  constructor(options: Partial<ZkProverOptions>, modules: ZkProverModules) {
    this.options = withDefaults(defaultZkProverOptions, options)
    const problems: string[] = []
    if (!isIntegerInRange(this.options.workers, 1, 64)) problems.push('workers must be an integer in 1..64')
    if (!isIntegerInRange(this.options.pollMs, 10, 60_000)) problems.push('pollMs must be in 10..60000')
    if (!isIntegerInRange(this.options.maxAttempts, 1, 100)) problems.push('maxAttempts must be in 1..100')
    assertValidOptions('zk prover', problems)
    this.modules = modules
    this.log = (modules.logger ?? silentLogger).child({ role: 'zk-prover' })
    this.tmp = mkdtempSync(join(tmpdir(), 'l2kit-zk-prover-'))
    if (modules.metrics) {
      this.seconds = modules.metrics.histogram('zk_proof_seconds', 'seconds to prove one block', {
        buckets: [1, 2, 5, 10, 20, 40, 80, 160, 320],
      })
      this.proven = modules.metrics.counter('zk_blocks_proven_total', 'blocks proven')
    }
  }

  async start(): Promise<void> {
    const { store } = this.modules
    // leases of a previous run are void: those blocks are proven again
    const stale = [...store.jobs.getRange()].filter((e) => e.value.status === 'leased')
    if (stale.length > 0) {
      await store.store.transaction(() => {
        for (const { key, value } of stale)
          void store.jobs.put(key, { block: value.block, status: 'queued', attempts: value.attempts })
      })
      this.log.warn(
        { blocks: stale.map((s) => s.value.block) },
        'released prove jobs leased before a restart',
      )
    }
    for (let i = 0; i < this.options.workers; i++) {
      const worker = new Worker(`prover-${i}`)
      this.workers.push(worker)
      this.loops.push(this.loop(worker))
    }
  }

  async stop(): Promise<void> {
    this.stopping = true
    for (const w of this.workers) w.stop()
    await Promise.allSettled(this.loops)
    rmSync(this.tmp, { recursive: true, force: true })
  }

  /** Blocks waiting for a proof (queued or being proven). */
  backlog(): number {
    return this.modules.store.jobs.count()
  }

  private async lease(worker: Worker): Promise<number | undefined> {
    const { store } = this.modules
    return store.store.transaction(() => {
      for (const { value } of store.jobs.getRange()) {
        if (value.status !== 'queued' || value.attempts >= this.options.maxAttempts) continue
        void store.jobs.put(value.block, {
          block: value.block,
          status: 'leased',
          worker: worker.name,
          leasedAt: Date.now(),
          attempts: value.attempts + 1,
        })
        return value.block
      }
      return undefined
    })
  }

  private async loop(worker: Worker): Promise<void> {
    const { store } = this.modules
    while (!this.stopping) {
      const block = await this.lease(worker).catch((err: unknown) => {
        this.log.error({ err }, 'could not lease a prove job')
        return undefined
      })
      if (block === undefined) {
        await new Promise((r) => setTimeout(r, this.options.pollMs))
        continue
      }
      try {
        await this.proveBlock(worker, block)
      } catch (err) {
        if (this.stopping) return
        this.log.error({ err, block }, 'proving failed; the job goes back to the queue')
        const job = store.jobs.get(block)
        if (job !== undefined)
          await store.jobs.put(block, { block, status: 'queued', attempts: job.attempts })
      }
    }
  }

  private async proveBlock(worker: Worker, block: number): Promise<void> {
    const { store } = this.modules
    const input = store.witnesses.get(block)
    const sealed = store.blocks.get(block)
    if (input === undefined || sealed === undefined) {
      throw new L2kitError('ZK_PROOF_FAILED', `block ${block} has a prove job but no witness`, {
        kind: 'critical',
      })
    }
    const inputPath = join(this.tmp, `${worker.name}-${block}.json`)
    writeFileSync(inputPath, JSON.stringify(toCircuitInput(input)))
    this.log.info({ block, worker: worker.name }, 'proving block')
    const answer = await worker.prove(inputPath, this.modules.wasmPath, this.modules.zkeyPath)
    rmSync(inputPath, { force: true })
    if (answer.error !== undefined || answer.proof === undefined || answer.publicSignals === undefined) {
      throw new L2kitError(
        'ZK_PROOF_FAILED',
        `prover ${worker.name} failed on block ${block}: ${answer.error}`,
      )
    }
    if (
      answer.publicSignals.length !== 1 ||
      BigInt(answer.publicSignals[0] as string) !== sealed.commitment
    ) {
      throw new L2kitError(
        'ZK_PROOF_FAILED',
        `block ${block}'s proof has public input ${answer.publicSignals[0]}, not its commitment`,
      )
    }
    const ok = await snarkjs.groth16.verify(this.modules.verificationKey, answer.publicSignals, answer.proof)
    if (!ok)
      throw new L2kitError('ZK_PROOF_FAILED', `block ${block}'s proof does not verify`, { kind: 'critical' })
    const seconds = answer.seconds ?? 0
    await store.store.transaction(() => {
      void store.proofs.put(block, {
        block,
        proof: answer.proof as snarkjs.Groth16Proof,
        publicSignals: answer.publicSignals as string[],
        seconds,
        worker: worker.name,
        provedAt: Date.now(),
      })
      void store.jobs.remove(block)
      void store.witnesses.remove(block)
    })
    this.seconds?.observe(seconds)
    this.proven?.inc()
    this.log.info({ block, worker: worker.name, seconds: Number(seconds.toFixed(2)) }, 'block proven')
    this.modules.onProof?.(block)
  }
}
