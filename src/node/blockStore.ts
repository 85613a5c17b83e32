/**
 * The part of a chain store every family's node needs: sealed blocks by number and by hash, where each
 * transaction is, the head, the block being filled, and the durable log of acknowledged transactions not yet in a
 * sealed block. A family's store extends it with its own tables (deposits, batches, account history…) and writes
 * them in the same transaction as the block (`sealBlock`'s `alsoWrite`, or `transaction`).
 *
 * Durability: every write resolves only once its LMDB transaction is on disk, so a transaction may be
 * acknowledged as soon as `appendPending` resolved.
 */
import type { Hex } from '../core/types.ts'
import type { Store, StoreDb } from './store.ts'

/** What the store needs of a block. */
export type StoredBlock = { number: bigint; hash: Hex; txs: readonly { hash: Hex }[] }

/** An acknowledged transaction of the open block; kept until its block is sealed. */
export type PendingEntry = { seq: number; raw: Hex }

export class BlockStore<B extends StoredBlock, Open = unknown> {
  protected readonly store: Store
  readonly #meta: StoreDb<unknown, 'ordered'>
  readonly #blocks: StoreDb<B, 'uint64'>
  readonly #blockByHash: StoreDb<bigint, 'ordered'>
  readonly #txIndex: StoreDb<{ blockNumber: bigint; index: number }, 'ordered'>
  readonly #pending: StoreDb<Hex, 'uint64'>

  protected constructor(store: Store) {
    this.store = store
    this.#meta = store.db('meta')
    this.#blocks = store.db('blocks', { keyEncoding: 'uint64' })
    this.#blockByHash = store.db('blockByHash')
    this.#txIndex = store.db('txIndex')
    this.#pending = store.db('pending', { keyEncoding: 'uint64' })
  }

  getMeta<T>(key: string): T | undefined {
    return this.#meta.get(key) as T | undefined
  }

  putMeta(key: string, value: unknown): Promise<void> {
    return this.#meta.put(key, value)
  }

  // ---- blocks ----
  headNumber(): bigint | undefined {
    return this.getMeta<bigint>('head')
  }

  getBlock(number: bigint): B | undefined {
    return this.#blocks.get(number)
  }

  getBlockByHash(hash: Hex): B | undefined {
    const n = this.#blockByHash.get(hash.toLowerCase())
    return n === undefined ? undefined : this.getBlock(n)
  }

  getTxLocation(hash: Hex): { blockNumber: bigint; index: number } | undefined {
    return this.#txIndex.get(hash.toLowerCase())
  }

  /**
   * Seals a block atomically: the block, its hash and tx indexes, the new head, the open block that follows, and
   * the removal of the pending entries it absorbed. Resolves once durable.
   */
  sealBlock(block: B, absorbedPending: readonly number[], next: Open): Promise<void> {
    return this.sealBlockWith(block, absorbedPending, next)
  }

  /** `sealBlock`, plus whatever `alsoWrite` writes in the same transaction (synchronously, no awaits). */
  protected async sealBlockWith(
    block: B,
    absorbedPending: readonly number[],
    next: Open,
    alsoWrite?: () => void,
  ): Promise<void> {
    await this.store.transaction(() => {
      alsoWrite?.()
      this.putBlockInTransaction(block)
      for (const seq of absorbedPending) void this.#pending.remove(seq)
      void this.#meta.put('head', block.number)
      void this.#meta.put('open', next)
    })
  }

  /** Runs `fn` as one durable transaction (synchronous body: use the `…InTransaction` writers inside). */
  transaction<T>(fn: () => T): Promise<T> {
    return this.store.transaction(fn)
  }

  /** Writes a block with its hash and tx indexes (inside `transaction`). */
  protected putBlockInTransaction(block: B): void {
    void this.#blocks.put(block.number, block)
    void this.#blockByHash.put(block.hash.toLowerCase(), block.number)
    block.txs.forEach((t, index) => {
      void this.#txIndex.put(t.hash.toLowerCase(), { blockNumber: block.number, index })
    })
  }

  /** Removes block `number` with its hash and tx indexes (inside `transaction`); returns it if it was there. */
  protected removeBlockInTransaction(number: bigint): B | undefined {
    const old = this.#blocks.get(number)
    if (!old) return undefined
    void this.#blockByHash.remove(old.hash.toLowerCase())
    for (const t of old.txs) void this.#txIndex.remove(t.hash.toLowerCase())
    void this.#blocks.remove(number)
    return old
  }

  /** Writes a meta entry (inside `transaction`). */
  protected putMetaInTransaction(key: string, value: unknown): void {
    void this.#meta.put(key, value)
  }

  /** Sets the head and the open block (inside `transaction`). */
  protected setHeadInTransaction(head: bigint, open: Open): void {
    void this.#meta.put('head', head)
    void this.#meta.put('open', open)
  }

  /** Forgets pending entries (inside `transaction`). */
  protected removePendingInTransaction(seqs: readonly number[]): void {
    for (const seq of seqs) void this.#pending.remove(seq)
  }

  // ---- the open block ----
  getOpenBlock(): Open | undefined {
    return this.getMeta<Open>('open')
  }

  putOpenBlock(meta: Open): Promise<void> {
    return this.putMeta('open', meta)
  }

  /** Resolves once the entry is durable: only then may the sequencer acknowledge the transaction. */
  appendPending(entry: PendingEntry): Promise<void> {
    return this.#pending.put(entry.seq, entry.raw)
  }

  removePending(seq: number): Promise<boolean> {
    return this.#pending.remove(seq)
  }

  listPending(): PendingEntry[] {
    return [...this.#pending.getRange()].map(({ key, value }) => ({ seq: Number(key), raw: value }))
  }

  async close(): Promise<void> {
    await this.store.close()
  }
}
