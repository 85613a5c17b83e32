/**
 * The optimistic node's durable record, in an embedded LMDB environment.
 * Owner of: sealed blocks, the acknowledged-but-unsealed transaction log, deposits and tokens seen on L1,
 * the batcher's posted batches, and periodic state snapshots. The in-memory L2 state is a cache of this.
 */
import { mkdirSync } from 'node:fs'
import { type Database, type RootDatabase, open } from 'lmdb'
import type { Deposit, Hex, TokenInfo } from '../core/types.ts'
import type { L2Block } from './block.ts'
import { parseWithBigints, stringifyWithBigints } from './serde.ts'

/** An acknowledged transaction of the open block; kept until its block is sealed. */
export type PendingEntry = { seq: number; raw: Hex }

/** The block being filled: its deposits were applied at its start, before any of its transactions. */
export type OpenBlockMeta = { number: bigint; depositCountAfter: bigint }

/** What the batcher posted for a run of blocks. */
export type PostedBatch = {
  /** Index in the L1 Rollup contract's batch list. */
  batchIndex: bigint
  firstBlock: bigint
  blockCount: number
  depositCountAfter: bigint
  l1TxHash: Hex
  l1BlockNumber: bigint
  isBlob: boolean
  blobHashes: Hex[]
  dataBytes: number
  txCount: number
  l1GasUsed: bigint
  blobGasUsed: bigint
  l1FeeWei: bigint
}

type Json = string

export class ChainStore {
  readonly #root: RootDatabase<Json, string>
  readonly #meta: Database<Json, string>
  readonly #blocks: Database<Json, number>
  readonly #blockByHash: Database<number, string>
  readonly #txIndex: Database<Json, string>
  readonly #pending: Database<Json, number>
  readonly #deposits: Database<Json, number>
  readonly #tokens: Database<Json, number>
  readonly #batches: Database<Json, number>

  constructor(path: string) {
    mkdirSync(path, { recursive: true })
    // Durable by default: overlappingSync on, no noSync. A resolved write has been flushed.
    this.#root = open<Json, string>({ path, encoding: 'string', maxDbs: 16 })
    const str = { encoding: 'string' as const }
    this.#meta = this.#root.openDB<Json, string>('meta', str)
    this.#blocks = this.#root.openDB<Json, number>('blocks', { ...str, keyEncoding: 'uint32' })
    this.#blockByHash = this.#root.openDB<number, string>('blockByHash', { encoding: 'ordered-binary' })
    this.#txIndex = this.#root.openDB<Json, string>('txIndex', str)
    this.#pending = this.#root.openDB<Json, number>('pending', { ...str, keyEncoding: 'uint32' })
    this.#deposits = this.#root.openDB<Json, number>('deposits', { ...str, keyEncoding: 'uint32' })
    this.#tokens = this.#root.openDB<Json, number>('tokens', { ...str, keyEncoding: 'uint32' })
    this.#batches = this.#root.openDB<Json, number>('batches', { ...str, keyEncoding: 'uint32' })
  }

  getMeta<T>(key: string): T | undefined {
    const v = this.#meta.get(key)
    return v === undefined ? undefined : parseWithBigints<T>(v)
  }

  putMeta(key: string, value: unknown): Promise<boolean> {
    return this.#meta.put(key, stringifyWithBigints(value))
  }

  // ---- blocks ----
  headNumber(): bigint | undefined {
    const n = this.getMeta<bigint>('head')
    return n
  }

  getBlock(number: bigint): L2Block | undefined {
    const v = this.#blocks.get(Number(number))
    return v === undefined ? undefined : parseWithBigints<L2Block>(v)
  }

  getBlockByHash(hash: Hex): L2Block | undefined {
    const n = this.#blockByHash.get(hash.toLowerCase())
    return n === undefined ? undefined : this.getBlock(BigInt(n))
  }

  getTxLocation(hash: Hex): { blockNumber: bigint; index: number } | undefined {
    const v = this.#txIndex.get(hash.toLowerCase())
    return v === undefined ? undefined : parseWithBigints(v)
  }

  /**
   * Seals a block atomically: the block, its hash and tx indexes, the new head, the open block that follows,
   * and the removal of the pending entries it absorbed. Resolves once durable.
   */
  sealBlock(block: L2Block, absorbedPending: readonly number[], next: OpenBlockMeta): Promise<boolean> {
    return this.#root.transaction(() => {
      const n = Number(block.number)
      this.#blocks.put(n, stringifyWithBigints(block))
      this.#blockByHash.put(block.hash.toLowerCase(), n)
      block.txs.forEach((t, index) => {
        this.#txIndex.put(t.hash.toLowerCase(), stringifyWithBigints({ blockNumber: block.number, index }))
      })
      for (const seq of absorbedPending) this.#pending.remove(seq)
      this.#meta.put('head', stringifyWithBigints(block.number))
      this.#meta.put('open', stringifyWithBigints(next))
      return true
    })
  }

  // ---- the open block ----
  getOpenBlock(): OpenBlockMeta | undefined {
    return this.getMeta<OpenBlockMeta>('open')
  }

  putOpenBlock(meta: OpenBlockMeta): Promise<boolean> {
    return this.putMeta('open', meta)
  }

  /** Resolves once the entry is durable: only then may the sequencer acknowledge the transaction. */
  appendPending(entry: PendingEntry): Promise<boolean> {
    return this.#pending.put(entry.seq, entry.raw)
  }

  listPending(): PendingEntry[] {
    const out: PendingEntry[] = []
    for (const { key, value } of this.#pending.getRange()) out.push({ seq: key, raw: value as Hex })
    return out
  }

  // ---- L1 inputs ----
  putDeposits(deposits: readonly Deposit[]): Promise<boolean> {
    return this.#root.transaction(() => {
      for (const d of deposits) this.#deposits.put(Number(d.index), stringifyWithBigints(d))
      return true
    })
  }

  getDeposit(index: bigint): Deposit | undefined {
    const v = this.#deposits.get(Number(index))
    return v === undefined ? undefined : parseWithBigints<Deposit>(v)
  }

  depositCount(): bigint {
    const last = [...this.#deposits.getKeys({ reverse: true, limit: 1 })][0]
    return last === undefined ? 0n : BigInt(last) + 1n
  }

  putToken(token: TokenInfo): Promise<boolean> {
    return this.#tokens.put(token.index, stringifyWithBigints(token))
  }

  listTokens(): TokenInfo[] {
    return [...this.#tokens.getRange()].map(({ value }) => parseWithBigints<TokenInfo>(value))
  }

  // ---- batches the batcher posted ----
  putBatch(b: PostedBatch): Promise<boolean> {
    return this.#batches.put(Number(b.batchIndex), stringifyWithBigints(b))
  }

  listBatches(): PostedBatch[] {
    return [...this.#batches.getRange()].map(({ value }) => parseWithBigints<PostedBatch>(value))
  }

  lastBatch(): PostedBatch | undefined {
    const v = [...this.#batches.getRange({ reverse: true, limit: 1 })][0]
    return v === undefined ? undefined : parseWithBigints<PostedBatch>(v.value)
  }

  async close(): Promise<void> {
    await this.#root.close()
  }
}
