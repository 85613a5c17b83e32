/**
 * Follows L1 logs of some contracts, in order, and survives reorgs.
 *
 * The follower delivers the decoded logs of each processed block range to `handler.onLogs`, then moves its cursor
 * (`{ blockNumber, blockHash }` of the last processed block). It remembers the hashes of the blocks it processed
 * (every block within `historySize` of the head, so at least 128; further back only the blocks with logs and
 * range ends). Each poll first checks that the cursor block is still canonical; if not, it finds the newest
 * remembered block that still is (binary search: canonical-ness is monotone along a chain), calls
 * `handler.onReorg({ commonAncestor })`, and continues from there, re-delivering the logs of the new chain.
 *
 * It persists nothing: callers persist `cursor` (and optionally `recentBlocks()`) and pass them back as `resume`.
 */
import { type AbiEvent, type Address, BaseError, type GetLogsReturnType, type Hex } from 'viem'
import { ErrorKind, L2kitError } from '../core/errors.ts'
import type { L1PublicClient } from './clients.ts'
import { L1ErrorCode } from './errors.ts'
import { isTemporaryRpcError } from './txManager.ts'
import { type Logger, silentLogger } from './types.ts'

/** Last processed block. `blockNumber` is -1 before block 0 is processed (following from genesis). */
export interface LogFollowerCursor {
  blockNumber: bigint
  blockHash: Hex
}

/** A block the follower processed, remembered to find the common ancestor after a reorg. */
export interface SeenBlock {
  number: bigint
  hash: Hex
}

export interface LogFollowerOptions<TEvents extends readonly AbiEvent[] = readonly AbiEvent[]> {
  /** Contracts whose logs are followed. */
  addresses: readonly Address[]
  /** Events to decode and deliver (others are ignored). */
  events: TEvents
  /** First L1 block to look at (e.g. the deployment block of the contracts). */
  fromBlock: bigint
  /** Stay this many blocks behind the head (0 on a devnet: reorgs are handled anyway). */
  confirmations: number
  pollingIntervalMs: number
  /** Largest `eth_getLogs` block range (halved automatically when the node says the range is too large). */
  maxBlockRange: bigint
  /** Remembered block hashes (at least 128): how deep a reorg can be followed. */
  historySize: number
  /** Continue from a persisted cursor (and, better, the remembered blocks) instead of `fromBlock`. */
  resume?: { cursor: LogFollowerCursor; recentBlocks?: readonly SeenBlock[] }
}

export const defaultLogFollowerOptions = {
  fromBlock: 0n,
  confirmations: 0,
  pollingIntervalMs: 1_000,
  maxBlockRange: 1_000n,
  historySize: 256,
} as const

/** A decoded log as delivered (never pending: block number, hash, tx hash and log index are set). */
export type FollowedLog<TEvents extends readonly AbiEvent[] = readonly AbiEvent[]> = GetLogsReturnType<
  undefined,
  TEvents,
  true
>[number]

export interface LogRange {
  fromBlock: bigint
  toBlock: bigint
  toBlockHash: Hex
}

export interface ReorgEvent {
  /** Newest block of the old view that is still canonical; logs after it are re-delivered. */
  commonAncestor: bigint
  commonAncestorHash: Hex
  /** The cursor before the reorg (the old chain's last processed block). */
  previousCursor: LogFollowerCursor
}

export interface LogFollowerHandler<TEvents extends readonly AbiEvent[] = readonly AbiEvent[]> {
  /**
   * Logs of one processed range, in chain order (possibly none). The cursor moves after this resolves; if it
   * throws, the same range is delivered again on the next poll (so make processing idempotent or atomic).
   */
  onLogs(logs: FollowedLog<TEvents>[], range: LogRange): void | Promise<void>
  /** The chain reorganized: undo everything derived from blocks after `commonAncestor`. */
  onReorg(event: ReorgEvent): void | Promise<void>
  /** A non-temporary error stopped the loop started by `start()`. */
  onError?(error: unknown): void
}

export interface LogFollowerModules<TEvents extends readonly AbiEvent[] = readonly AbiEvent[]> {
  publicClient: L1PublicClient
  handler: LogFollowerHandler<TEvents>
  logger?: Logger
}

/** Result of one `poll()`. */
export interface PollResult {
  /** Cursor block number after the poll. */
  blockNumber: bigint
  /** Number of logs delivered. */
  logs: number
  /** Number of reorgs handled. */
  reorgs: number
}

const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`
const MIN_HISTORY = 128

class RetryLater extends Error {}

export class LogFollower<const TEvents extends readonly AbiEvent[] = readonly AbiEvent[]> {
  readonly options: LogFollowerOptions<TEvents>
  private readonly client: L1PublicClient
  private readonly handler: LogFollowerHandler<TEvents>
  private readonly log: Logger
  private current: LogFollowerCursor | undefined
  /** Remembered blocks, ascending by number. */
  private history: SeenBlock[] = []
  private range: bigint
  private running = false
  private loop: Promise<void> | undefined
  private wake: (() => void) | undefined
  private polling: Promise<PollResult> | undefined

  constructor(
    options: Partial<LogFollowerOptions<TEvents>> & Pick<LogFollowerOptions<TEvents>, 'addresses' | 'events'>,
    modules: LogFollowerModules<TEvents>,
  ) {
    this.options = { ...defaultLogFollowerOptions, ...options } as LogFollowerOptions<TEvents>
    if (this.options.historySize < MIN_HISTORY) {
      throw new L2kitError(L1ErrorCode.invalidOptions, `historySize must be ≥ ${MIN_HISTORY}`)
    }
    if (this.options.maxBlockRange < 1n)
      throw new L2kitError(L1ErrorCode.invalidOptions, 'maxBlockRange must be ≥ 1')
    this.client = modules.publicClient
    this.handler = modules.handler
    this.log = (modules.logger ?? silentLogger).child({ component: 'logFollower' })
    this.range = this.options.maxBlockRange
    const resume = this.options.resume
    if (resume !== undefined) {
      this.current = { ...resume.cursor }
      const seen = [...(resume.recentBlocks ?? [])].filter((b) => b.number < resume.cursor.blockNumber)
      this.history = [
        ...seen.sort((a, b) => (a.number < b.number ? -1 : 1)),
        {
          number: resume.cursor.blockNumber,
          hash: resume.cursor.blockHash,
        },
      ]
    }
  }

  /** Last processed block (undefined until the first poll when not resuming). */
  get cursor(): LogFollowerCursor | undefined {
    return this.current === undefined ? undefined : { ...this.current }
  }

  /** Remembered block hashes (persist them with the cursor to survive a reorg across a restart). */
  recentBlocks(): SeenBlock[] {
    return this.history.map((b) => ({ ...b }))
  }

  /**
   * Moves the cursor back to `cursor` (an older canonical block), forgetting the remembered blocks after it: the
   * next poll delivers every log after it again. For a handler that must re-read more than a reorg undid (call it
   * from `onReorg`).
   */
  rewind(cursor: LogFollowerCursor): void {
    this.current = { ...cursor }
    this.history = this.history.filter((b) => b.number < cursor.blockNumber)
    if (cursor.blockNumber >= 0n) this.history.push({ number: cursor.blockNumber, hash: cursor.blockHash })
  }

  /** Polls in the background every `pollingIntervalMs` until `stop()`. */
  start(): void {
    if (this.running) return
    this.running = true
    this.loop = (async () => {
      while (this.running) {
        try {
          await this.poll()
        } catch (error) {
          const temporary =
            isTemporaryRpcError(error) || (error instanceof L2kitError && error.kind === ErrorKind.temporary)
          if (!temporary) {
            this.log.error({ error: String(error) }, 'log follower stopped')
            this.running = false
            this.handler.onError?.(error)
            break
          }
          this.log.warn({ error: String(error) }, 'poll failed, retrying')
        }
        if (!this.running) break
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.pollingIntervalMs)
          this.wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
        this.wake = undefined
      }
    })()
  }

  /** Stops the loop; resolves when the current poll (and its handler calls) finished. */
  async stop(): Promise<void> {
    this.running = false
    this.wake?.()
    await this.loop
    this.loop = undefined
  }

  /**
   * One poll: handle a reorg if there was one, then deliver every range up to `head - confirmations`.
   * Concurrent calls share the same run.
   */
  poll(): Promise<PollResult> {
    if (this.polling === undefined) {
      this.polling = this.pollOnce().finally(() => {
        this.polling = undefined
      })
    }
    return this.polling
  }

  private async pollOnce(): Promise<PollResult> {
    const result: PollResult = { blockNumber: -1n, logs: 0, reorgs: 0 }
    const cursor = await this.init()
    result.blockNumber = cursor.blockNumber
    const head = await this.client.getBlockNumber({ cacheTime: 0 })
    const target = head - BigInt(this.options.confirmations)

    if (!(await this.isCanonical(this.cursorOrThrow()))) {
      await this.handleReorg()
      result.reorgs++
    }
    while (this.cursorOrThrow().blockNumber < target) {
      try {
        const step = await this.processRange(target)
        result.logs += step.logs
        if (step.reorged) result.reorgs++
      } catch (error) {
        if (error instanceof RetryLater) break
        throw error
      }
      if (this.loop !== undefined && !this.running) break
    }
    result.blockNumber = this.cursorOrThrow().blockNumber
    return result
  }

  private cursorOrThrow(): LogFollowerCursor {
    if (this.current === undefined) throw new Error('log follower not initialized')
    return this.current
  }

  private async init(): Promise<LogFollowerCursor> {
    if (this.current !== undefined) return this.current
    const from = this.options.fromBlock
    if (from === 0n) {
      this.current = { blockNumber: -1n, blockHash: ZERO_HASH }
      this.history = []
    } else {
      const anchor = await this.client.getBlock({ blockNumber: from - 1n })
      this.current = { blockNumber: from - 1n, blockHash: anchor.hash }
      this.history = [{ number: from - 1n, hash: anchor.hash }]
    }
    return this.current
  }

  private async blockHash(number: bigint): Promise<Hex | undefined> {
    try {
      return (await this.client.getBlock({ blockNumber: number })).hash
    } catch (error) {
      if (error instanceof BaseError && error.name === 'BlockNotFoundError') return undefined
      throw error
    }
  }

  private async isCanonical(block: LogFollowerCursor): Promise<boolean> {
    if (block.blockNumber < 0n) return true
    return (await this.blockHash(block.blockNumber)) === block.blockHash
  }

  /** Rewinds the cursor to the newest remembered block that is still canonical and tells the handler. */
  private async handleReorg(): Promise<void> {
    const previousCursor = this.cursorOrThrow()
    // history[0..lo) canonical, history[hi..] not; monotone along the chain, so binary search.
    let lo = 0
    let hi = this.history.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const entry = this.history[mid] as SeenBlock
      if ((await this.blockHash(entry.number)) === entry.hash) lo = mid + 1
      else hi = mid
    }
    let ancestor: SeenBlock
    if (lo > 0) {
      ancestor = this.history[lo - 1] as SeenBlock
    } else if (this.history.length === 0) {
      ancestor = { number: -1n, hash: ZERO_HASH }
    } else {
      const oldest = this.history[0] as SeenBlock
      throw new L2kitError(
        L1ErrorCode.reorgTooDeep,
        oldest.number === 0n
          ? 'the genesis block changed: this is a different chain'
          : `reorg deeper than the ${this.history.length} remembered blocks (oldest ${oldest.number})`,
        { kind: ErrorKind.critical, details: { cursor: previousCursor, oldest: oldest.number } },
      )
    }
    this.history = this.history.slice(0, lo)
    this.current = { blockNumber: ancestor.number, blockHash: ancestor.hash }
    this.log.warn(
      {
        commonAncestor: ancestor.number,
        previous: previousCursor.blockNumber,
        depth: previousCursor.blockNumber - ancestor.number,
      },
      'L1 reorg',
    )
    await this.handler.onReorg({
      commonAncestor: ancestor.number,
      commonAncestorHash: ancestor.hash,
      previousCursor,
    })
  }

  private async fetchHeaders(from: bigint, to: bigint): Promise<Map<bigint, { hash: Hex; parentHash: Hex }>> {
    const headers = new Map<bigint, { hash: Hex; parentHash: Hex }>()
    const numbers: bigint[] = []
    for (let n = from; n <= to; n++) numbers.push(n)
    for (let i = 0; i < numbers.length; i += 32) {
      const chunk = numbers.slice(i, i + 32)
      const blocks = await Promise.all(
        chunk.map((n) =>
          this.client.getBlock({ blockNumber: n }).catch((error: unknown) => {
            if (error instanceof BaseError && error.name === 'BlockNotFoundError') throw new RetryLater()
            throw error
          }),
        ),
      )
      for (const block of blocks)
        headers.set(block.number, { hash: block.hash, parentHash: block.parentHash })
    }
    return headers
  }

  private async getLogs(from: bigint, to: bigint): Promise<FollowedLog<TEvents>[]> {
    for (;;) {
      try {
        const logs = await this.client.getLogs({
          address: [...this.options.addresses],
          events: this.options.events,
          fromBlock: from,
          toBlock: to,
          strict: true,
        })
        return logs as unknown as FollowedLog<TEvents>[]
      } catch (error) {
        const text = error instanceof Error ? error.message.toLowerCase() : ''
        const tooLarge = /range|too many|limit|exceed|response size/.test(text) && !isTemporaryRpcError(error)
        if (tooLarge && to > from) {
          this.range = (to - from + 1n) / 2n
          to = from + this.range - 1n
          this.log.warn({ range: this.range }, 'eth_getLogs range too large, halving')
          continue
        }
        throw error
      }
    }
  }

  private async processRange(target: bigint): Promise<{ logs: number; reorged: boolean }> {
    const cursor = this.cursorOrThrow()
    const from = cursor.blockNumber + 1n
    let to = from + this.range - 1n
    if (to > target) to = target
    // Within historySize of the target every header is fetched (dense history, chain linkage checked);
    // further back (catching up) only the range end is.
    const dense = target - to < BigInt(this.options.historySize)
    const headers = dense ? await this.fetchHeaders(from, to) : await this.fetchHeaders(to, to)
    if (dense) {
      const first = headers.get(from)
      if (first !== undefined && cursor.blockNumber >= 0n && first.parentHash !== cursor.blockHash) {
        await this.handleReorg()
        return { logs: 0, reorged: true }
      }
      for (let n = from + 1n; n <= to; n++) {
        if (headers.get(n)?.parentHash !== headers.get(n - 1n)?.hash) throw new RetryLater() // reorg while reading
      }
    }
    const logs = await this.getLogs(from, to)
    if (this.range < to - from + 1n) to = from + this.range - 1n // getLogs halved the range
    let end = headers.get(to)
    if (end === undefined) {
      const [block] = [...(await this.fetchHeaders(to, to)).values()]
      end = block
    }
    if (end === undefined) throw new RetryLater()
    const seen = new Map<bigint, Hex>()
    for (const log of logs) {
      const expected = headers.get(log.blockNumber)?.hash ?? seen.get(log.blockNumber)
      if (expected !== undefined && expected !== log.blockHash) throw new RetryLater() // logs of another fork
      seen.set(log.blockNumber, log.blockHash)
    }
    logs.sort((a, b) =>
      a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
    )
    const inRange = logs.filter((log) => log.blockNumber >= from && log.blockNumber <= to)
    await this.handler.onLogs(inRange, { fromBlock: from, toBlock: to, toBlockHash: end.hash })

    const remembered = new Map<bigint, Hex>(seen)
    if (dense) for (const [n, h] of headers) if (n <= to) remembered.set(n, h.hash)
    remembered.set(to, end.hash)
    const added = [...remembered.entries()]
      .filter(([n]) => n >= from && n <= to)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([number, hash]) => ({ number, hash }))
    this.history.push(...added)
    if (this.history.length > this.options.historySize) {
      this.history = this.history.slice(this.history.length - this.options.historySize)
    }
    this.current = { blockNumber: to, blockHash: end.hash }
    return { logs: inRange.length, reorged: false }
  }
}
