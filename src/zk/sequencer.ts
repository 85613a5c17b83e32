/**
 * The ZK rollup's sequencer: soft-confirms transactions at once and seals them into blocks for the provers.
 *
 * Two states: `sealed` (after the last sealed block) and `soft` (sealed + every pending operation, in order). A
 * transaction is checked against `soft`, applied, written to the durable pending log, and only then acknowledged;
 * L1 priority requests (deposits, full exits, key changes) are applied to `soft` as the follower stores them. Every
 * `blockTimeMs` (or as soon as a block's worth of chunks is pending) the oldest pending operations that fit `chunks`
 * are sealed: `buildBlock` on `sealed` makes the witness, and block, witness and prove job are written in one
 * transaction. `soft` does not change when a block is sealed, because the block is a prefix of what it applied.
 *
 * After a restart both states are rebuilt from the stored blocks and the pending log: nothing acknowledged is lost.
 */
import { L2kitError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import { silentLogger } from '../core/logger.ts'
import type { Metrics } from '../node/metrics.ts'
import { assertValidOptions, isIntegerInRange, withDefaults } from '../node/options.ts'
import { OpType, opChunks, type PriorityRequest } from './protocol/ops.ts'
import {
  type BlockItem,
  buildBlock,
  requestItem,
  type SignedZkTx,
  ZkState,
  zkTxHash,
} from './protocol/state.ts'
import type { PendingItem, SealedBlock, Withdrawal, ZkStore } from './store.ts'

export type ZkSequencerOptions = {
  /** chunks per block (the circuit's N) */
  chunks: number
  /** account tree depth (the circuit's D) */
  depth: number
  /** look for work this often; a full block is sealed at once */
  blockTimeMs: number
  /**
   * A partly filled block is sealed when the provers are idle, or once its oldest operation waited this long: while
   * the provers are busy, waiting fills blocks (each proof costs the same on L1 however full its block is).
   */
  maxBlockDelayMs: number
  /** refuse new transactions beyond this many pending operations */
  maxPending: number
  /**
   * FAULT INJECTION (attack demos and tests only): a censoring operator that never includes L1 requests (deposits,
   * full exits, key changes). Users then get out through the priority deadline and exodus mode.
   */
  censorRequests: boolean
}

export const defaultZkSequencerOptions: ZkSequencerOptions = {
  chunks: 3,
  depth: 4,
  blockTimeMs: 1000,
  maxBlockDelayMs: 30_000,
  maxPending: 10_000,
  censorRequests: false,
}

export type ZkSequencerModules = { store: ZkStore; logger?: Logger; metrics?: Metrics }

export type SubmitResult = { hash: string; seq: number }

export class ZkSequencer {
  readonly options: ZkSequencerOptions
  private readonly store: ZkStore
  private readonly log: Logger
  private sealed: ZkState
  private soft: ZkState
  private pending: PendingItem[] = []
  private nextSeq = 0
  /** next L1 request to apply to the soft state */
  private nextRequest = 0
  /** requests consumed by sealed blocks */
  private sealedRequests = 0
  private sealedBlocks = 0
  /** when the oldest pending L1 request was applied (requests carry no receive time) */
  private pendingSince: number | undefined
  private timer: NodeJS.Timeout | undefined
  private sealing: Promise<void> = Promise.resolve()
  private writes: Promise<void> = Promise.resolve()
  /** items applied to the soft state whose durable write has not started yet, and the write that will take them */
  private unflushed: PendingItem[] = []
  private nextFlush: Promise<void> | undefined
  private readonly metrics: { accepted?: { inc(n?: number): void }; sealed?: { inc(n?: number): void } }

  constructor(options: Partial<ZkSequencerOptions>, modules: ZkSequencerModules) {
    this.options = withDefaults(defaultZkSequencerOptions, options)
    const o = this.options
    const problems: string[] = []
    if (!isIntegerInRange(o.chunks, 3, 256)) problems.push('chunks must be an integer in 3..256')
    if (!isIntegerInRange(o.depth, 1, 16)) problems.push('depth must be an integer in 1..16')
    if (!isIntegerInRange(o.blockTimeMs, 10, 3_600_000)) problems.push('blockTimeMs must be in 10..3600000')
    if (!isIntegerInRange(o.maxBlockDelayMs, 0, 86_400_000))
      problems.push('maxBlockDelayMs must be in 0..86400000')
    if (!isIntegerInRange(o.maxPending, 1, 10_000_000)) problems.push('maxPending must be a positive integer')
    assertValidOptions('zk sequencer', problems)
    this.store = modules.store
    this.log = (modules.logger ?? silentLogger).child({ role: 'zk-sequencer' })
    this.sealed = new ZkState(o.depth)
    this.soft = new ZkState(o.depth)
    this.metrics = {}
    if (modules.metrics) {
      this.metrics.accepted = modules.metrics.counter(
        'zk_txs_accepted_total',
        'L2 transactions soft-confirmed',
      )
      this.metrics.sealed = modules.metrics.counter('zk_blocks_sealed_total', 'ZK blocks sealed for proving')
    }
  }

  /** Rebuilds both states from the store (sealed blocks, then the pending log) and starts sealing. */
  async start(): Promise<void> {
    const o = this.options
    for (const { value: block } of this.store.blocks.getRange()) {
      buildBlock(this.sealed, this.blockItems(block.items), o.chunks, block.pBefore, {
        verifySignatures: false,
      })
      this.sealedRequests = block.firstRequest + block.priorityOps
      this.sealedBlocks = block.number
    }
    this.soft = this.sealed.clone()
    this.nextRequest = this.sealedRequests
    for (const { value: item } of this.store.pending.getRange()) {
      this.applyToSoft(item)
      this.pending.push(item)
      this.nextSeq = item.seq + 1
      if (item.kind === 'request') this.nextRequest = item.index + 1
    }
    if (this.pending.length > 0) this.pendingSince = Date.now()
    const lastSeq = this.store.meta.get('nextSeq')
    if (typeof lastSeq === 'number' && lastSeq > this.nextSeq) this.nextSeq = lastSeq
    this.log.info(
      { sealedBlocks: this.sealedBlocks, pending: this.pending.length, root: this.soft.root().toString(16) },
      'zk sequencer state rebuilt',
    )
    await this.pullRequests()
    this.timer = setInterval(() => {
      this.tick().catch((err: unknown) => this.log.error({ err }, 'sealing failed'))
    }, o.blockTimeMs)
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    await this.sealing.catch(() => {})
    await this.writes.catch(() => {})
  }

  /** The soft state (read-only use: RPC answers). */
  softState(): ZkState {
    return this.soft
  }

  sealedState(): ZkState {
    return this.sealed
  }

  pendingCount(): number {
    return this.pending.length
  }

  sealedBlockCount(): number {
    return this.sealedBlocks
  }

  /**
   * Checks a transaction against the soft state, applies it, makes it durable, then resolves: the soft
   * confirmation. Throws a typed error (and changes nothing) if the circuit would reject it.
   */
  async submit(tx: SignedZkTx): Promise<SubmitResult> {
    if (this.pending.length >= this.options.maxPending) {
      throw new L2kitError(
        'ZK_BLOCK_FULL',
        `the sequencer has ${this.pending.length} operations waiting for blocks; try again shortly`,
        { kind: 'temporary' },
      )
    }
    const hash = zkTxHash(tx)
    // Synchronous check-and-apply: JS runs it without interleaving, so nonces cannot race.
    this.soft.apply(tx)
    const item: PendingItem = { seq: this.nextSeq++, kind: 'tx', hash, tx, receivedAt: Date.now() }
    this.pending.push(item)
    await this.persist([item])
    this.metrics.accepted?.inc()
    if (this.pendingChunks() >= this.options.chunks) this.tick().catch(() => {})
    return { hash, seq: item.seq }
  }

  /**
   * Writes pending items durably (group commit: items that arrive while a write is on its way to disk go together
   * in the next one, so one fsync covers many transactions). Resolves once the items are on disk; on failure the
   * process cannot keep its soft state and must restart.
   */
  private persist(items: PendingItem[]): Promise<void> {
    this.unflushed.push(...items)
    if (this.nextFlush === undefined) {
      this.nextFlush = this.writes.then(() => {
        const batch = this.unflushed
        this.unflushed = []
        this.nextFlush = undefined
        return this.store.store.transaction(() => {
          for (const item of batch) {
            void this.store.pending.put(item.seq, item)
            if (item.kind === 'tx') void this.store.txs.put(item.hash, { status: 'pending', seq: item.seq })
          }
          void this.store.meta.put('nextSeq', this.nextSeq)
        })
      })
      this.writes = this.nextFlush.catch((err: unknown) => {
        this.log.fatal(
          { err },
          'could not persist soft-confirmed operations; the soft state is no longer durable',
        )
        process.exitCode = 1
        throw err
      })
    }
    return this.nextFlush
  }

  /** Applies L1 requests the follower stored since last time to the soft state (deposits pick their account). */
  async pullRequests(): Promise<void> {
    if (this.options.censorRequests) return
    const items: PendingItem[] = []
    for (const { value } of this.store.requests.getRange({ start: this.nextRequest })) {
      const account = this.accountFor(value.request)
      const item: PendingItem = { seq: this.nextSeq++, kind: 'request', index: value.index, account }
      this.applyToSoft(item)
      this.pending.push(item)
      items.push(item)
      this.pendingSince ??= Date.now()
      this.nextRequest = value.index + 1
    }
    if (items.length > 0) {
      await this.persist(items)
      this.log.info({ requests: items.length, next: this.nextRequest }, 'L1 requests applied')
    }
  }

  /** The account a request goes to: the owner's first account, else (or if it would overflow) a new one. */
  private accountFor(r: PriorityRequest): number {
    if (r.type !== OpType.deposit) return r.account
    for (const index of this.soft.accountsOf(r.address)) {
      const acc = this.soft.account(index)
      if (acc.owner === r.address && (acc.balances[r.token] as bigint) + r.amount < 1n << 56n) return index
    }
    return this.soft.freeIndex()
  }

  private requestOf(index: number): PriorityRequest {
    const stored = this.store.requests.get(index)
    if (stored === undefined) throw new RangeError(`L1 request ${index} is missing from the store`)
    return stored.request
  }

  private itemOf(item: PendingItem): BlockItem {
    return item.kind === 'tx' ? { op: item.tx } : requestItem(this.requestOf(item.index), item.account)
  }

  private blockItems(items: readonly PendingItem[]): BlockItem[] {
    return items.map((i) => this.itemOf(i))
  }

  private applyToSoft(item: PendingItem): void {
    const b = this.itemOf(item)
    this.soft.apply(b.op, {
      ...(b.request ? { request: b.request } : {}),
      verifySignature: item.kind !== 'tx',
    })
  }

  private pendingChunks(): number {
    let n = 0
    for (const item of this.pending) n += item.kind === 'tx' ? opChunks(item.tx.type) : 1
    return n
  }

  /** Pulls new L1 requests and seals what is pending (one sealing at a time). */
  tick(): Promise<void> {
    const run = this.sealing.then(async () => {
      await this.pullRequests()
      while (this.pending.length > 0) {
        if (this.pendingChunks() < this.options.chunks && !this.partialBlockDue()) break
        const sealedOne = await this.sealOne()
        if (!sealedOne) break
      }
    })
    this.sealing = run.catch(() => {})
    return run
  }

  /** A partly filled block is sealed when no block waits for a prover, or its oldest operation waited long enough. */
  private partialBlockDue(): boolean {
    if (this.store.jobs.count() === 0) return true
    const oldest = this.pending[0]
    const since = oldest?.kind === 'tx' ? oldest.receivedAt : this.pendingSince
    return since !== undefined && Date.now() - since >= this.options.maxBlockDelayMs
  }

  /** Seals the oldest pending operations that fit one block. */
  private async sealOne(): Promise<boolean> {
    const o = this.options
    const take: PendingItem[] = []
    let used = 0
    for (const item of this.pending) {
      const need = item.kind === 'tx' ? opChunks(item.tx.type) : 1
      if (used + need > o.chunks) break
      take.push(item)
      used += need
    }
    if (take.length === 0) return false
    const next = this.sealed.clone()
    const pBefore = this.store.chainHashBefore(this.sealedRequests)
    const items = this.blockItems(take)
    const witness = buildBlock(next, items, o.chunks, pBefore, { verifySignatures: false })
    const number = this.sealedBlocks + 1
    const withdrawals: Withdrawal[] = []
    items.forEach((it, i) => {
      if (it.op.type === OpType.withdraw) {
        withdrawals.push({ address: it.op.toAddress, token: it.op.token, amount: it.op.amount })
      } else if (it.op.type === OpType.fullExit && it.request !== undefined) {
        const amount = this.fullExitAmount(witness.input, take, i)
        if (amount > 0n) withdrawals.push({ address: it.request.address, token: it.op.token, amount })
      }
    })
    const block: SealedBlock = {
      number,
      items: take,
      firstRequest: this.sealedRequests,
      priorityOps: witness.priorityOps,
      oldRoot: witness.oldRoot,
      newRoot: witness.newRoot,
      pBefore,
      pAfter: witness.pAfter,
      pubdata: witness.pubdata,
      commitment: witness.commitment,
      withdrawals,
      txHashes: take.flatMap((t) => (t.kind === 'tx' ? [t.hash] : [])),
      sealedAt: Date.now(),
    }
    await this.writes
    await this.store.store.transaction(() => {
      void this.store.blocks.put(number, block)
      void this.store.witnesses.put(number, witness.input)
      void this.store.jobs.put(number, { block: number, status: 'queued', attempts: 0 })
      take.forEach((t, index) => {
        void this.store.pending.remove(t.seq)
        if (t.kind === 'tx') void this.store.txs.put(t.hash, { status: 'sealed', block: number, index })
      })
    })
    this.sealed = next
    this.sealedBlocks = number
    this.sealedRequests += witness.priorityOps
    this.pending.splice(0, take.length)
    this.pendingSince = this.pending.length > 0 ? Date.now() : undefined
    this.metrics.sealed?.inc()
    this.log.info(
      {
        block: number,
        ops: take.length,
        chunksUsed: used,
        priorityOps: witness.priorityOps,
        root: witness.newRoot.toString(16),
      },
      'block sealed',
    )
    return true
  }

  /** The amount a full exit at item `i` withdrew (the slot's `amount` in the witness). */
  private fullExitAmount(input: Record<string, unknown>, take: readonly PendingItem[], i: number): bigint {
    let slot = 0
    for (let k = 0; k < i; k++) {
      const t = take[k] as PendingItem
      slot += t.kind === 'tx' ? opChunks(t.tx.type) : 1
    }
    return ((input.amount as bigint[])[slot] ?? 0n) as bigint
  }
}
