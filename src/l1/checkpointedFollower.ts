/**
 * Follows L1 events into a state machine, through reorgs, with checkpoints: what every family's view of L1 needs
 * (the optimistic rollup's derivation; a ZK rollup's, a Plasma chain's or a bridge's deposits and commitments).
 *
 * The `LogFollower` delivers the logs of each L1 range in order; each is applied to the machine once (a range
 * delivered again after a failure skips what was applied). Side effects the machine queues with `ctx.effect` run
 * after the log is recorded as applied, in order, each until it succeeds, so a failing callback never makes a log
 * apply twice. At the end of a range a checkpoint (`machine.snapshot()`) is taken every `checkpointIntervalBlocks`
 * L1 blocks (`maxCheckpoints` kept). On a reorg the newest checkpoint at or before the common ancestor is restored
 * and the kept logs after it are re-applied (`ctx.replaying`, no effects), exactly what a follower that never saw
 * the old branch would hold; then the new chain's logs come. After resuming from a saved checkpoint the logs before
 * it are not in memory: a reorg below it re-reads L1 from `fromBlock` (the follower rewinds).
 */
import type { AbiEvent } from 'viem'
import { type Logger, silentLogger } from '../core/logger.ts'
import type { Hex } from '../core/types.ts'
import type { L1PublicClient } from './clients.ts'
import { LogFollower, type LogFollowerCursor, type SeenBlock } from './logFollower.ts'

/** One L1 log as a machine consumes it. */
export type L1Log = {
  address: Hex
  topics: [Hex, ...Hex[]] | []
  data: Hex
  blockNumber: bigint
  blockHash: Hex
  transactionHash: Hex
  logIndex: number
}

/** Where on L1 something happened. */
export type L1Position = { blockNumber: bigint; blockHash: Hex }

export type ApplyContext = {
  /** True while kept logs are re-applied after a reorg: their effects already ran. */
  replaying: boolean
  /** Queues a side effect (run after the log is recorded as applied; retried until it succeeds). */
  effect(fn: () => void | Promise<void>): void
}

/** What the follower drives: apply a log; copy everything derived so far; go back to a copy (or the start). */
export interface L1StateMachine<S> {
  apply(log: L1Log, ctx: ApplyContext): Promise<void>
  snapshot(): S
  /** Back to `s`, or to the initial state when undefined. */
  restore(s: S | undefined): void
}

/** A snapshot with where it was taken. */
export type FollowerCheckpoint<S> = { l1: L1Position; logCount: number; state: S }

export type FollowerReorg = {
  /** Newest L1 block of the old view that is still canonical. */
  commonAncestor: bigint
  /** The last L1 block processed on the old chain. */
  previousBlock: bigint
  /** Logs of the old chain that were undone (of every reorg since the last finished rebuild). */
  droppedLogs: L1Log[]
}

export type CheckpointedFollowerOptions<TEvents extends readonly AbiEvent[]> = {
  addresses: readonly Hex[]
  events: TEvents
  /** First L1 block to read (the contracts' deployment block). */
  fromBlock: bigint
  pollingIntervalMs: number
  /** L1 blocks between checkpoints (a reorg replays from the newest one before it). */
  checkpointIntervalBlocks: number
  /** Checkpoints kept: with the interval, how deep a reorg is undone without a replay from the start. */
  maxCheckpoints: number
}

export type CheckpointedFollowerModules<S> = {
  publicClient: L1PublicClient
  machine: L1StateMachine<S>
  logger?: Logger
  /** After each processed L1 range (everything up to `l1` applied), with the checkpoint taken then, if any. */
  onProgress?: (l1: L1Position, taken: FollowerCheckpoint<S> | undefined) => void | Promise<void>
  /** After a reorg's rebuild finished (before the new chain's logs come). */
  onReorg?: (e: FollowerReorg) => void | Promise<void>
  /** The checkpoint list changed (taken, or cut by a reorg): caches keyed by old logs can be pruned. */
  onCheckpointsChanged?: () => void
  /** Extra fields for the reorg log line (e.g. which batches the dropped logs carried). */
  describeDropped?: (logs: readonly L1Log[]) => Record<string, unknown>
  onError?: (err: unknown) => void
}

export class CheckpointedFollower<S, const TEvents extends readonly AbiEvent[] = readonly AbiEvent[]> {
  readonly #o: CheckpointedFollowerOptions<TEvents>
  readonly #m: CheckpointedFollowerModules<S>
  readonly #log: Logger
  #logs: L1Log[] = []
  #checkpoints: FollowerCheckpoint<S>[] = []
  #rebuild: { from: FollowerCheckpoint<S> | undefined; logs: L1Log[] } | undefined
  #pendingReorg: FollowerReorg | undefined
  #replaying = false
  #l1Position: L1Position | undefined
  readonly #effects: (() => void | Promise<void>)[] = []
  /** False after resuming from a saved checkpoint: `#logs` then starts there, not at `fromBlock`. */
  #logsFromStart = true
  #follower: LogFollower<TEvents> | undefined

  constructor(options: CheckpointedFollowerOptions<TEvents>, modules: CheckpointedFollowerModules<S>) {
    this.#o = options
    this.#m = modules
    this.#log = modules.logger ?? silentLogger
  }

  /** Last L1 block whose logs are all applied (undefined before the first range, and during a rebuild). */
  get l1Position(): L1Position | undefined {
    return this.#l1Position
  }

  /** A rebuild or callbacks still to run: a checkpoint taken now would not describe a settled state. */
  get busy(): boolean {
    return this.#rebuild !== undefined || this.#effects.length > 0
  }

  /** The logs applied since the oldest checkpoint (what a reorg may replay). */
  replayableLogs(): readonly L1Log[] {
    return this.#logs.slice(this.#checkpoints[0]?.logCount ?? 0)
  }

  /**
   * Follows L1 in the background, from `fromBlock` or from a saved checkpoint whose state the caller already
   * restored into the machine (`resume.state` is kept as the oldest checkpoint).
   */
  start(resume?: { checkpoint: FollowerCheckpoint<S>; recentBlocks: SeenBlock[] }): void {
    if (resume) {
      this.#checkpoints = [{ ...resume.checkpoint, logCount: 0 }]
      this.#logs = []
      this.#logsFromStart = false
      this.#l1Position = resume.checkpoint.l1
    }
    this.#follower = this.#createFollower(
      resume
        ? {
            cursor: {
              blockNumber: resume.checkpoint.l1.blockNumber,
              blockHash: resume.checkpoint.l1.blockHash,
            },
            recentBlocks: resume.recentBlocks,
          }
        : undefined,
    )
    this.#follower.start()
  }

  async stop(): Promise<void> {
    await this.#follower?.stop()
  }

  /** One poll up to the L1 head (without a background loop, one is created on first use). */
  async poll(): Promise<void> {
    this.#follower ??= this.#createFollower(undefined)
    await this.#follower.poll()
  }

  /** Processes everything L1 has now. */
  async sync(): Promise<void> {
    // A poll already running may have read the L1 head before our caller's last transaction: run one more.
    await this.#follower?.poll()
    await this.#follower?.poll()
  }

  #createFollower(resume: { cursor: LogFollowerCursor; recentBlocks: SeenBlock[] } | undefined) {
    return new LogFollower(
      {
        addresses: this.#o.addresses,
        events: this.#o.events,
        fromBlock: this.#o.fromBlock,
        pollingIntervalMs: this.#o.pollingIntervalMs,
        ...(resume ? { resume } : {}),
      },
      {
        publicClient: this.#m.publicClient,
        logger: this.#log,
        handler: {
          onLogs: async (logs, range) => {
            for (const l of logs) {
              await this.processLog({
                address: l.address,
                topics: l.topics as L1Log['topics'],
                data: l.data,
                blockNumber: l.blockNumber,
                blockHash: l.blockHash,
                transactionHash: l.transactionHash,
                logIndex: l.logIndex,
              })
            }
            await this.l1Processed({ blockNumber: range.toBlock, blockHash: range.toBlockHash })
          },
          onReorg: (e) => this.reorg(e.commonAncestor, e.previousCursor.blockNumber),
          onError: (err) => {
            this.#log.error({ err: String(err) }, 'stopped following L1 on an L1 error')
            this.#m.onError?.(err)
          },
        },
      },
    )
  }

  /** Applies the next canonical L1 log (in L1 order); a log at or before the last applied one is skipped. */
  async processLog(log: L1Log): Promise<void> {
    await this.#finishRebuild()
    await this.#runEffects()
    const last = this.#logs[this.#logs.length - 1]
    if (
      last &&
      (log.blockNumber < last.blockNumber ||
        (log.blockNumber === last.blockNumber && log.logIndex <= last.logIndex))
    )
      return
    await this.#m.machine.apply(log, this.#context(false))
    this.#logs.push(log)
    await this.#runEffects()
  }

  /** Everything up to L1 block `l1` is applied: maybe takes a checkpoint, then tells `onProgress`. */
  async l1Processed(l1: L1Position): Promise<void> {
    await this.#finishRebuild()
    await this.#runEffects()
    this.#l1Position = l1
    const interval = BigInt(this.#o.checkpointIntervalBlocks)
    const newest = this.#checkpoints[this.#checkpoints.length - 1]
    const due =
      newest === undefined ? l1.blockNumber >= interval : l1.blockNumber >= newest.l1.blockNumber + interval
    const taken = due && this.#logs.length > (newest?.logCount ?? 0) ? this.takeCheckpoint(l1) : undefined
    await this.#m.onProgress?.(l1, taken)
  }

  /** Takes a checkpoint of the machine now, at `l1` (the caller makes sure everything up to it is applied). */
  takeCheckpoint(l1: L1Position): FollowerCheckpoint<S> {
    const c: FollowerCheckpoint<S> = { l1, logCount: this.#logs.length, state: this.#m.machine.snapshot() }
    this.#checkpoints.push(c)
    if (this.#checkpoints.length > this.#o.maxCheckpoints) this.#checkpoints.shift()
    this.#m.onCheckpointsChanged?.()
    return c
  }

  /**
   * Blocks before `l1Block` known to have been canonical: the follower's remembered ones, the blocks of the applied
   * logs and the checkpoints' (the follower records a range's blocks only after the range is applied). Saved with a
   * checkpoint, they let a follower resumed from it find a reorg's common ancestor.
   */
  recentBlocks(l1Block: bigint): SeenBlock[] {
    const seen = new Map<bigint, Hex>()
    for (const b of this.#follower?.recentBlocks() ?? []) seen.set(b.number, b.hash)
    for (const l of this.#logs) seen.set(l.blockNumber, l.blockHash)
    for (const c of this.#checkpoints) seen.set(c.l1.blockNumber, c.l1.blockHash)
    return [...seen]
      .filter(([n]) => n < l1Block)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .slice(-256)
      .map(([number, hash]) => ({ number, hash }))
  }

  /**
   * L1 reorged: undo everything derived from blocks after `commonAncestor` (restore the newest checkpoint at or
   * before it, re-apply the kept logs after it), then tell `onReorg`. The new chain's logs come next.
   */
  async reorg(commonAncestor: bigint, previousBlock: bigint = commonAncestor): Promise<void> {
    // Every log applied or still to re-apply (an unfinished earlier rebuild holds the full list).
    const all = this.#rebuild ? this.#rebuild.logs : this.#logs
    const gone = all.filter((l) => l.blockNumber > commonAncestor)
    const previous = this.#pendingReorg
    this.#pendingReorg = {
      commonAncestor,
      previousBlock: previous ? previous.previousBlock : previousBlock,
      droppedLogs: [...(previous?.droppedLogs ?? []), ...gone],
    }
    this.#checkpoints = this.#checkpoints.filter((c) => c.l1.blockNumber <= commonAncestor)
    // Callbacks of logs not run yet belong to blocks the reorg may have removed: the new chain's logs bring theirs.
    this.#effects.length = 0
    const from = this.#checkpoints[this.#checkpoints.length - 1]
    // Below every checkpoint after resuming from a saved one: the logs before it were never read by this
    // process, so read L1 again from the start (the follower rewinds).
    const fromStart = from === undefined && !this.#logsFromStart
    this.#rebuild = { from, logs: fromStart ? [] : all.filter((l) => l.blockNumber <= commonAncestor) }
    if (this.#l1Position && this.#l1Position.blockNumber > commonAncestor) this.#l1Position = undefined
    if (fromStart) {
      this.#logsFromStart = true
      this.#l1Position = undefined
      this.#follower?.rewind(await this.#startCursor())
    }
    this.#log.warn(
      {
        commonAncestor: commonAncestor.toString(),
        depth: (previousBlock - commonAncestor).toString(),
        droppedLogs: gone.length,
        ...this.#m.describeDropped?.(this.#pendingReorg.droppedLogs),
        replayFrom: from
          ? `checkpoint at L1 block ${from.l1.blockNumber}`
          : fromStart
            ? 'the start (re-reading L1: the reorg is older than the saved checkpoint this node resumed from)'
            : 'the start',
      },
      'L1 reorg: re-deriving from the new canonical chain',
    )
    this.#m.onCheckpointsChanged?.()
    await this.#finishRebuild()
  }

  /**
   * Restores the rebuild's starting point, re-applies its kept logs, then tells `onReorg`. If anything throws
   * (an RPC failure) the rebuild stays pending and runs again before the next log is applied.
   */
  async #finishRebuild(): Promise<void> {
    const r = this.#rebuild
    if (r === undefined) return
    this.#m.machine.restore(r.from?.state)
    this.#logs.length = 0
    if (r.from) this.#logs.push(...r.logs.slice(0, r.from.logCount))
    this.#replaying = true
    try {
      for (const l of r.logs.slice(r.from?.logCount ?? 0)) {
        await this.#m.machine.apply(l, this.#context(true))
        this.#logs.push(l)
      }
    } finally {
      this.#replaying = false
    }
    this.#rebuild = undefined
    this.#m.onCheckpointsChanged?.()
    const event = this.#pendingReorg
    this.#pendingReorg = undefined
    if (event) await this.#m.onReorg?.(event)
  }

  #context(replaying: boolean): ApplyContext {
    return {
      replaying,
      effect: (fn) => {
        if (!this.#replaying) this.#effects.push(fn)
      },
    }
  }

  /**
   * Runs the queued effects, oldest first, each removed only once it resolved: a log is recorded as applied before
   * its effects run, so when one throws the re-delivered log is not applied twice; the effect is retried instead.
   */
  async #runEffects(): Promise<void> {
    while (this.#effects.length > 0) {
      await (this.#effects[0] as () => void | Promise<void>)()
      this.#effects.shift()
    }
  }

  /** The follower's cursor just before `fromBlock` (where following from the start begins). */
  async #startCursor(): Promise<LogFollowerCursor> {
    const d = this.#o.fromBlock
    if (d === 0n) return { blockNumber: -1n, blockHash: `0x${'00'.repeat(32)}` }
    const b = await this.#m.publicClient.getBlock({ blockNumber: d - 1n })
    return { blockNumber: d - 1n, blockHash: b.hash }
  }
}
