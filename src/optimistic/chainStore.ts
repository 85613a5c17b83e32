import type { Address, Deposit, Hex, TokenInfo } from '../core/types.ts'
import { BlockStore } from '../node/blockStore.ts'
import { openStore, type Store, type StoreDb } from '../node/store.ts'
import { type ForcedPrefix, type L2Block, touchedAccounts } from './block.ts'

export type { PendingEntry } from '../node/blockStore.ts'

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

/**
 * The optimistic node's store: the shared block store (blocks, tx index, head, open block, pending log) and the
 * rollup's own tables (deposits, tokens, posted batches, account history), all in one LMDB environment.
 */
export class ChainStore extends BlockStore<L2Block, OpenBlockMeta> {
  readonly #deposits: StoreDb<Deposit, 'uint64'>
  readonly #tokens: StoreDb<TokenInfo, 'uint64'>
  readonly #batches: StoreDb<PostedBatch, 'uint64'>
  /** Key [address, blockNumber]: the account after that block, for every block that touched it. */
  readonly #history: StoreDb<AccountRecord, 'ordered'>

  private constructor(store: Store) {
    super(store)
    this.#deposits = store.db('deposits', { keyEncoding: 'uint64' })
    this.#tokens = store.db('tokens', { keyEncoding: 'uint64' })
    this.#batches = store.db('batches', { keyEncoding: 'uint64' })
    this.#history = store.db('accountHistory')
  }

  static async open(path: string): Promise<ChainStore> {
    return new ChainStore(await openStore({ path }))
  }

  /**
   * Seals a block atomically with the history records of the accounts it changed (see `BlockStore.sealBlock`).
   * Resolves once durable.
   */
  override async sealBlock(
    block: L2Block,
    absorbedPending: readonly number[],
    next: OpenBlockMeta,
    changedAccounts?: ReadonlyMap<Address, AccountRecord>,
  ): Promise<void> {
    await this.sealBlockWith(block, absorbedPending, next, () => {
      for (const [address, record] of changedAccounts ?? [])
        void this.#history.put([address.toLowerCase(), Number(block.number)], record)
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
    await this.transaction(() => {
      for (let n = fromNumber; n <= head; n++) {
        const old = this.removeBlockInTransaction(n)
        if (!old) continue
        // Its history entries go too: the rebuilt block writes its own (an account it no longer touches must
        // answer from an earlier block).
        const deposits = [...(old.forced?.deposits ?? []), ...old.deposits]
        for (const address of touchedAccounts(deposits, [...(old.forced?.txs ?? []), ...old.txs]))
          void this.#history.remove([address, Number(n)])
      }
      let newHead = fromNumber - 1n
      for (const { block, changedAccounts } of blocks) {
        for (const [address, record] of changedAccounts)
          void this.#history.put([address.toLowerCase(), Number(block.number)], record)
        this.putBlockInTransaction(block)
        newHead = block.number
      }
      this.removePendingInTransaction(droppedPending)
      this.setHeadInTransaction(newHead, open)
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
    await this.transaction(() => {
      for (const [address, record] of accounts)
        void this.#history.put([address.toLowerCase(), Number(blockNumber)], record)
      this.putMetaInTransaction('historyFrom', blockNumber)
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

  // ---- L1 inputs ----
  async putDeposits(deposits: readonly Deposit[]): Promise<void> {
    await this.transaction(() => {
      for (const d of deposits) void this.#deposits.put(d.index, d)
    })
  }

  /**
   * Forgets deposits `fromIndex` and after (an L1 reorg dropped them before the sequencer included any): the
   * sequencer includes only stored deposits, so it can no longer include them. Returns how many were removed.
   */
  async removeDepositsFrom(fromIndex: bigint): Promise<number> {
    return this.transaction(() => {
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
    return this.transaction(() => {
      const removed = [...this.#batches.getRange({ start: fromIndex })].map((e) => e.value)
      for (const b of removed) void this.#batches.remove(b.batchIndex)
      return removed
    })
  }
}
