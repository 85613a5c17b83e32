import type { Address, Deposit, Hex, TokenInfo } from '../core/types.ts'
import { openStore, type Store, type StoreDb } from '../node/store.ts'
import { type ForcedPrefix, type L2Block, touchedAccounts } from './block.ts'

/** An acknowledged transaction of the open block; kept until its block is sealed. */
export type PendingEntry = { seq: number; raw: Hex }

/** The block being filled: its deposits were applied at its start, before any of its transactions. */
export type OpenBlockMeta = { number: bigint; depositCountAfter: bigint; forced?: ForcedPrefix }

/**
 * An account as it was at the end of a block that changed it (non-zero balances by token index, 0 = ETH): the
 * record behind `eth_getBalance` & co at a past block. Written with the block, so history costs one entry per
 * touched account per block instead of a state snapshot.
 */
export type AccountRecord = { nonce: bigint; balances: [number, bigint][] }

/** What the batcher posted for a run of blocks. */
export type PostedBatch = {
  /** Index in the L1 Rollup contract's batch list. */
  batchIndex: bigint
  firstBlock: bigint
  blockCount: number
  depositCountAfter: bigint
  l1TxHash: Hex
  l1BlockNumber: bigint
  /** Hash of the L1 block that included it (absent in records written before reorg tracking). */
  l1BlockHash?: Hex
  /** What the Rollup recorded: keccak of the versioned hashes (blobs) or of the data (calldata). */
  dataHash?: Hex
  isBlob: boolean
  blobHashes: Hex[]
  dataBytes: number
  txCount: number
  l1GasUsed: bigint
  blobGasUsed: bigint
  l1FeeWei: bigint
}

export class ChainStore {
  readonly #store: Store
  readonly #meta: StoreDb<unknown, 'ordered'>
  readonly #blocks: StoreDb<L2Block, 'uint64'>
  readonly #blockByHash: StoreDb<bigint, 'ordered'>
  readonly #txIndex: StoreDb<{ blockNumber: bigint; index: number }, 'ordered'>
  readonly #pending: StoreDb<Hex, 'uint64'>
  readonly #deposits: StoreDb<Deposit, 'uint64'>
  readonly #tokens: StoreDb<TokenInfo, 'uint64'>
  readonly #batches: StoreDb<PostedBatch, 'uint64'>
  /** Key [address, blockNumber]: the account after that block, for every block that touched it. */
  readonly #history: StoreDb<AccountRecord, 'ordered'>

  private constructor(store: Store) {
    this.#store = store
    this.#meta = store.db('meta')
    this.#blocks = store.db('blocks', { keyEncoding: 'uint64' })
    this.#blockByHash = store.db('blockByHash')
    this.#txIndex = store.db('txIndex')
    this.#pending = store.db('pending', { keyEncoding: 'uint64' })
    this.#deposits = store.db('deposits', { keyEncoding: 'uint64' })
    this.#tokens = store.db('tokens', { keyEncoding: 'uint64' })
    this.#batches = store.db('batches', { keyEncoding: 'uint64' })
    this.#history = store.db('accountHistory')
  }

  static async open(path: string): Promise<ChainStore> {
    return new ChainStore(await openStore({ path }))
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

  getBlock(number: bigint): L2Block | undefined {
    return this.#blocks.get(number)
  }

  getBlockByHash(hash: Hex): L2Block | undefined {
    const n = this.#blockByHash.get(hash.toLowerCase())
    return n === undefined ? undefined : this.getBlock(n)
  }

  getTxLocation(hash: Hex): { blockNumber: bigint; index: number } | undefined {
    return this.#txIndex.get(hash.toLowerCase())
  }

  /**
   * Seals a block atomically: the block, its hash and tx indexes, the new head, the open block that follows,
   * and the removal of the pending entries it absorbed. Resolves once durable.
   */
  async sealBlock(
    block: L2Block,
    absorbedPending: readonly number[],
    next: OpenBlockMeta,
    changedAccounts?: ReadonlyMap<Address, AccountRecord>,
  ): Promise<void> {
    await this.#store.transaction(() => {
      for (const [address, record] of changedAccounts ?? [])
        void this.#history.put([address.toLowerCase(), Number(block.number)], record)
      void this.#blocks.put(block.number, block)
      void this.#blockByHash.put(block.hash.toLowerCase(), block.number)
      block.txs.forEach((t, index) => {
        void this.#txIndex.put(t.hash.toLowerCase(), { blockNumber: block.number, index })
      })
      for (const seq of absorbedPending) void this.#pending.remove(seq)
      void this.#meta.put('head', block.number)
      void this.#meta.put('open', next)
    })
  }

  /**
   * Replaces the sealed blocks after `fromNumber − 1` with `blocks` (a re-sync onto L1's canonical state after a
   * forced batch), atomically with their indexes and history, the open block that follows, and the removal of
   * pending entries that no longer apply. Resolves once durable.
   */
  async replaceBlocksFrom(
    fromNumber: bigint,
    blocks: readonly { block: L2Block; changedAccounts: ReadonlyMap<Address, AccountRecord> }[],
    open: OpenBlockMeta,
    droppedPending: readonly number[],
  ): Promise<void> {
    const head = this.headNumber() ?? 0n
    await this.#store.transaction(() => {
      for (let n = fromNumber; n <= head; n++) {
        const old = this.#blocks.get(n)
        if (!old) continue
        // Its history entries go too: the rebuilt block writes its own (an account it no longer touches must
        // answer from an earlier block).
        const deposits = [...(old.forced?.deposits ?? []), ...old.deposits]
        for (const address of touchedAccounts(deposits, [...(old.forced?.txs ?? []), ...old.txs]))
          void this.#history.remove([address, Number(n)])
        void this.#blockByHash.remove(old.hash.toLowerCase())
        for (const t of old.txs) void this.#txIndex.remove(t.hash.toLowerCase())
        void this.#blocks.remove(n)
      }
      let newHead = fromNumber - 1n
      for (const { block, changedAccounts } of blocks) {
        for (const [address, record] of changedAccounts)
          void this.#history.put([address.toLowerCase(), Number(block.number)], record)
        void this.#blocks.put(block.number, block)
        void this.#blockByHash.put(block.hash.toLowerCase(), block.number)
        block.txs.forEach((t, index) => {
          void this.#txIndex.put(t.hash.toLowerCase(), { blockNumber: block.number, index })
        })
        newHead = block.number
      }
      for (const seq of droppedPending) void this.#pending.remove(seq)
      void this.#meta.put('head', newHead)
      void this.#meta.put('open', open)
    })
  }

  // ---- account history ----
  /** First block whose end state the history can answer (undefined: not set up yet). */
  historyFrom(): bigint | undefined {
    return this.getMeta<bigint>('historyFrom')
  }

  /**
   * Starts the account history at `blockNumber` with every account as it is then (stores written before the
   * history existed start it at their head; a fresh chain at genesis with no records).
   */
  async startHistory(blockNumber: bigint, accounts: ReadonlyMap<Address, AccountRecord>): Promise<void> {
    await this.#store.transaction(() => {
      for (const [address, record] of accounts)
        void this.#history.put([address.toLowerCase(), Number(blockNumber)], record)
      void this.#meta.put('historyFrom', blockNumber)
    })
  }

  /**
   * The account at the end of block `blockNumber` (the newest record at or before it); undefined when no block
   * up to it touched the account (it did not exist: nonce 0, no balances). The caller checks `historyFrom`.
   */
  accountAt(address: Address, blockNumber: bigint): AccountRecord | undefined {
    const a = address.toLowerCase()
    for (const e of this.#history.getRange({
      start: [a, Number(blockNumber)],
      end: [a],
      reverse: true,
      limit: 1,
    })) {
      const key = e.key as unknown as readonly unknown[]
      if (Array.isArray(key) && key[0] === a) return e.value
    }
    return undefined
  }

  // ---- the open block ----
  getOpenBlock(): OpenBlockMeta | undefined {
    return this.getMeta<OpenBlockMeta>('open')
  }

  putOpenBlock(meta: OpenBlockMeta): Promise<void> {
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

  // ---- L1 inputs ----
  async putDeposits(deposits: readonly Deposit[]): Promise<void> {
    await this.#store.transaction(() => {
      for (const d of deposits) void this.#deposits.put(d.index, d)
    })
  }

  /**
   * Forgets deposits `fromIndex` and after (an L1 reorg dropped them before the sequencer included any): the
   * sequencer includes only stored deposits, so it can no longer include them. Returns how many were removed.
   */
  async removeDepositsFrom(fromIndex: bigint): Promise<number> {
    return this.#store.transaction(() => {
      const keys = [...this.#deposits.getKeys({ start: fromIndex })]
      for (const k of keys) void this.#deposits.remove(k)
      return keys.length
    })
  }

  getDeposit(index: bigint): Deposit | undefined {
    return this.#deposits.get(index)
  }

  /** Deposits stored so far (they are stored in queue order, so this is the next index). */
  depositCount(): bigint {
    const last = this.#deposits.last()
    return last === undefined ? 0n : last.key + 1n
  }

  putToken(token: TokenInfo): Promise<void> {
    return this.#tokens.put(token.index, token)
  }

  listTokens(): TokenInfo[] {
    return [...this.#tokens.getRange()].map((e) => e.value)
  }

  // ---- batches the batcher posted ----
  putBatch(b: PostedBatch): Promise<void> {
    return this.#batches.put(b.batchIndex, b)
  }

  listBatches(): PostedBatch[] {
    return [...this.#batches.getRange()].map((e) => e.value)
  }

  lastBatch(): PostedBatch | undefined {
    return this.#batches.last()?.value
  }

  getBatch(batchIndex: bigint): PostedBatch | undefined {
    return this.#batches.get(batchIndex)
  }

  /** The newest posted batch with an index below `batchIndex` (indices of others' batches are skipped). */
  batchBefore(batchIndex: bigint): PostedBatch | undefined {
    if (batchIndex === 0n) return undefined
    for (const e of this.#batches.getRange({ start: batchIndex - 1n, reverse: true, limit: 1 }))
      return e.value
    return undefined
  }

  /**
   * Forgets the posted batches `fromIndex` and after, atomically (an L1 reorg dropped them: the batcher posts
   * their blocks again). Returns the removed records, oldest first.
   */
  async removeBatchesFrom(fromIndex: bigint): Promise<PostedBatch[]> {
    return this.#store.transaction(() => {
      const removed = [...this.#batches.getRange({ start: fromIndex })].map((e) => e.value)
      for (const b of removed) void this.#batches.remove(b.batchIndex)
      return removed
    })
  }

  async close(): Promise<void> {
    await this.#store.close()
  }
}
