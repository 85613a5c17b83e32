/**
 * Durable derivation checkpoints: what a derivation has built from L1 up to one L1 block, so a restart resumes
 * there instead of re-reading every batch since the deployment.
 *
 * Layout: the append-mostly tables (tokens, deposits, forced txs, batches, derived blocks, proposals) are written
 * incrementally, only the entries added or changed since the previous save; one `checkpoint` record names how
 * many entries of each table belong to it, the L1 block (number and hash) it stands at, and the full L2 state
 * snapshot. Each save is one durable LMDB transaction, so the record and the tables always agree: a crash leaves
 * the previous checkpoint or the new one, never a mix.
 */
import type { StateSnapshot } from '../core/state.ts'
import type { Address, Deposit, Hex, TokenInfo } from '../core/types.ts'
import type { SeenBlock } from '../l1/logFollower.ts'
import { openStore, openStoreSync, type Store, type StoreDb } from '../node/store.ts'
import type { DerivedBatchRecord, ForcedTx, ProposalRecord } from './derivation.ts'
import type { DerivedBlock } from './deriveBatch.ts'

/** Which rollup a checkpoint belongs to: a store is never resumed against other contracts or another L2. */
export type DerivationIdentity = { portal: Address; rollup: Address; deployBlock: bigint; l2ChainId: bigint }

/** The checkpoint record (the tables hold the listed number of entries that belong to it). */
export type StoredCheckpoint = {
  version: 1
  identity: DerivationIdentity
  l1Block: bigint
  l1BlockHash: Hex
  state: StateSnapshot
  head: DerivedBlock
  counts: { tokens: number; deposits: number; forcedTxs: number; batches: number; proposals: number }
  finalizedWithdrawals: bigint[]
  /** The log follower's remembered blocks before `l1Block`: to find the common ancestor of a reorg after a restart. */
  recentBlocks: SeenBlock[]
  /** Wall-clock time of the save (ms since the epoch), for logs. */
  savedAt: number
}

/** A deposit with the L1 block that queued it (a node waiting for confirmations needs it after a restart). */
export type StoredDeposit = { deposit: Deposit; l1Block: bigint }

/** Everything a derivation restores from. */
export type LoadedCheckpoint = StoredCheckpoint & {
  tokens: TokenInfo[]
  deposits: StoredDeposit[]
  forcedTxs: ForcedTx[]
  batches: DerivedBatchRecord[]
  blocks: DerivedBlock[]
  proposals: ProposalRecord[]
}

/** Entries `from` .. count−1 of a table, read by index. */
export type TableWrite<T> = { from: number; get: (index: number) => T | undefined }

/** What changed since the previous save: entries at and after each `from` (and the listed proposals) are written. */
export type CheckpointWrite = {
  checkpoint: StoredCheckpoint
  tokens: TableWrite<TokenInfo>
  deposits: TableWrite<StoredDeposit>
  forcedTxs: TableWrite<ForcedTx>
  batches: TableWrite<DerivedBatchRecord>
  /** Derived blocks by block number (count: head + 1). */
  blocks: TableWrite<DerivedBlock>
  proposals: { changed: readonly ProposalRecord[] }
}

export class DerivationStore {
  readonly #store: Store
  readonly #meta: StoreDb<StoredCheckpoint, 'ordered'>
  readonly #tokens: StoreDb<TokenInfo, 'uint64'>
  readonly #deposits: StoreDb<StoredDeposit, 'uint64'>
  readonly #forcedTxs: StoreDb<ForcedTx, 'uint64'>
  readonly #batches: StoreDb<DerivedBatchRecord, 'uint64'>
  readonly #blocks: StoreDb<DerivedBlock, 'uint64'>
  readonly #proposals: StoreDb<ProposalRecord, 'uint64'>

  private constructor(store: Store) {
    this.#store = store
    this.#meta = store.db('meta')
    this.#tokens = store.db('tokens', { keyEncoding: 'uint64' })
    this.#deposits = store.db('deposits', { keyEncoding: 'uint64' })
    this.#forcedTxs = store.db('forcedTxs', { keyEncoding: 'uint64' })
    this.#batches = store.db('batches', { keyEncoding: 'uint64' })
    this.#blocks = store.db('blocks', { keyEncoding: 'uint64' })
    this.#proposals = store.db('proposals', { keyEncoding: 'uint64' })
  }

  static async open(path: string): Promise<DerivationStore> {
    return new DerivationStore(await openStore({ path }))
  }

  static openSync(path: string): DerivationStore {
    return new DerivationStore(openStoreSync({ path }))
  }

  /** The saved checkpoint with its table entries, or undefined when nothing was saved. */
  load(): LoadedCheckpoint | undefined {
    const c = this.#meta.get('checkpoint')
    if (c === undefined) return undefined
    const take = <T>(db: StoreDb<T, 'uint64'>, count: number): T[] =>
      [...db.getRange({ start: 0, end: count })].map((e) => e.value)
    return {
      ...c,
      tokens: take(this.#tokens, c.counts.tokens),
      deposits: take(this.#deposits, c.counts.deposits),
      forcedTxs: take(this.#forcedTxs, c.counts.forcedTxs),
      batches: take(this.#batches, c.counts.batches),
      blocks: take(this.#blocks, Number(c.head.number) + 1),
      proposals: take(this.#proposals, c.counts.proposals),
    }
  }

  /** Writes a checkpoint and the table changes it needs, atomically; resolves once durable. */
  async save(w: CheckpointWrite): Promise<void> {
    const c = w.checkpoint
    await this.#store.transaction(() => {
      const write = <T>(db: StoreDb<T, 'uint64'>, t: TableWrite<T>, count: number) => {
        for (let i = t.from; i < count; i++) {
          const item = t.get(i)
          if (item === undefined) throw new Error(`derivation checkpoint: entry ${i} of ${count} is missing`)
          void db.put(i, plain(item))
        }
        // Entries past the checkpoint's count are from a branch an L1 reorg removed.
        for (const k of [...db.getKeys({ start: count })]) void db.remove(k)
      }
      write(this.#tokens, w.tokens, c.counts.tokens)
      write(this.#deposits, w.deposits, c.counts.deposits)
      write(this.#forcedTxs, w.forcedTxs, c.counts.forcedTxs)
      write(this.#batches, w.batches, c.counts.batches)
      write(this.#blocks, w.blocks, Number(c.head.number) + 1)
      for (const p of w.proposals.changed) void this.#proposals.put(p.proposalIndex, plain(p))
      for (const k of [...this.#proposals.getKeys({ start: c.counts.proposals })])
        void this.#proposals.remove(k)
      void this.#meta.put('checkpoint', c)
    })
  }

  /** Forgets the checkpoint (the tables are overwritten by the next save). */
  async clear(): Promise<void> {
    await this.#meta.remove('checkpoint')
  }

  async close(): Promise<void> {
    await this.#store.close()
  }
}

/** Drops `undefined` fields: msgpack would bring them back as `null`. */
function plain<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array)
    return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (v !== undefined) out[k] = v
  return out as T
}
