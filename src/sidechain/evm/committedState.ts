/**
 * Readers of the committed state for the EVM overlay: `HeadState` (the head, with a warm in-memory cache over the
 * chain store's tables) and `HistoricalState` (the end of an older block, from the history tables, uncached).
 *
 * While a block is being committed the tables already hold the new values but the head has not moved yet: during
 * that window `HeadState` answers cache misses from the history as of the old head, so a reader never sees half a
 * block. After the commit the cache takes the block's diff.
 */
import type { SidechainChainStore } from '../chainStore.ts'
import type { AccountRecord, StateDiff, StateReader } from './overlayState.ts'

/** Entries kept per cache before it is emptied (a simple bound: a cold restart costs one LMDB read per key). */
const MAX_CACHED = 250_000

export class HeadState implements StateReader {
  readonly #store: SidechainChainStore
  readonly #accounts = new Map<string, AccountRecord | null>()
  readonly #storage = new Map<string, Uint8Array>()
  readonly #code = new Map<string, Uint8Array>()
  /** Set while a commit is being written: the head the readers must still see. */
  #committingOver: bigint | undefined

  constructor(store: SidechainChainStore) {
    this.#store = store
  }

  account(address: string): AccountRecord | undefined {
    const cached = this.#accounts.get(address)
    if (cached !== undefined) return cached === null ? undefined : cached
    if (this.#committingOver !== undefined) return this.#store.accountAt(address, this.#committingOver)
    const r = this.#store.account(address)
    if (this.#accounts.size >= MAX_CACHED) this.#accounts.clear()
    this.#accounts.set(address, r ?? null)
    return r
  }

  storage(address: string, slot: string): Uint8Array {
    const key = address + slot
    const cached = this.#storage.get(key)
    if (cached !== undefined) return cached
    if (this.#committingOver !== undefined) return this.#store.storageAt(address, slot, this.#committingOver)
    const v = this.#store.storage(address, slot)
    if (this.#storage.size >= MAX_CACHED) this.#storage.clear()
    this.#storage.set(key, v)
    return v
  }

  hasStorage(address: string): boolean {
    return this.#store.hasStorage(address)
  }

  code(codeHash: Uint8Array): Uint8Array {
    const key = Buffer.from(codeHash.buffer, codeHash.byteOffset, codeHash.byteLength).toString('hex')
    const cached = this.#code.get(key)
    if (cached !== undefined) return cached
    const c = this.#store.code(codeHash)
    if (c.length > 0) {
      if (this.#code.size >= 10_000) this.#code.clear()
      this.#code.set(key, c)
    }
    return c
  }

  /** The tables are about to change under block `oldHead + 1`: keep answering as of `oldHead`. */
  beginCommit(oldHead: bigint): void {
    this.#committingOver = oldHead
  }

  /** The commit is over: take its diff into the cache (`diff` undefined: it failed, nothing changed). */
  endCommit(diff: StateDiff | undefined): void {
    this.#committingOver = undefined
    if (diff === undefined) return
    if (diff.cleared.length > 0) {
      const cleared = new Set(diff.cleared)
      for (const key of this.#storage.keys()) if (cleared.has(key.slice(0, 40))) this.#storage.delete(key)
    }
    for (const [address, record] of diff.accounts) {
      if (this.#accounts.has(address)) this.#accounts.set(address, record)
    }
    for (const [address, slot, value] of diff.storage) {
      const key = address + slot
      if (this.#storage.has(key)) this.#storage.set(key, value)
    }
  }
}

/** The state at the end of block `number`, read from the history tables. */
export class HistoricalState implements StateReader {
  readonly #store: SidechainChainStore
  readonly number: bigint

  constructor(store: SidechainChainStore, number: bigint) {
    this.#store = store
    this.number = number
  }

  account(address: string): AccountRecord | undefined {
    return this.#store.accountAt(address, this.number)
  }

  storage(address: string, slot: string): Uint8Array {
    return this.#store.storageAt(address, slot, this.number)
  }

  hasStorage(address: string): boolean {
    return this.#store.hasStorage(address)
  }

  code(codeHash: Uint8Array): Uint8Array {
    return this.#store.code(codeHash)
  }
}

/** An empty state (genesis is built on it). */
export const EMPTY_STATE: StateReader = {
  account: () => undefined,
  storage: () => new Uint8Array(0),
  hasStorage: () => false,
  code: () => new Uint8Array(0),
}
