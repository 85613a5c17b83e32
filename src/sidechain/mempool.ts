/**
 * A validator's mempool: signed transactions checked against the head state (`checkTx`), made durable before
 * `eth_sendRawTransaction` answers (so an acknowledged transaction survives a crash of the validator that took it),
 * gossiped to the other validators, and offered to the block builder per sender in nonce order.
 *
 * Bounds: `maxTxs` in all and `maxPerSender` per sender; a second transaction for a (sender, nonce) replaces the
 * first only with a fee at least 10% higher (geth's rule), else it is refused.
 */
import { L2kitError } from '../core/errors.ts'
import type { Address, Hex } from '../core/types.ts'
import type { Store, StoreDb } from '../node/store.ts'
import { SidechainErrorCode } from './protocol/errors.ts'

/** What the mempool needs of a checked transaction. */
export type PoolEntry = {
  hash: Hex
  raw: Hex
  from: Address
  nonce: bigint
  /** Wei per gas the sender offers at most (legacy: its gas price). */
  maxFee: bigint
}

export type MempoolOptions = { maxTxs: number; maxPerSender: number }
export const defaultMempoolOptions: MempoolOptions = { maxTxs: 50_000, maxPerSender: 1_024 }

export class Mempool<T extends PoolEntry = PoolEntry> {
  readonly options: MempoolOptions
  readonly #byHash = new Map<Hex, T>()
  /** sender → nonce → entry; senders in order of first arrival (Map order). */
  readonly #bySender = new Map<Address, Map<bigint, T>>()
  readonly #db: StoreDb<Hex, 'ordered'>

  constructor(store: Store, options: Partial<MempoolOptions> = {}) {
    this.options = { ...defaultMempoolOptions, ...options }
    this.#db = store.db<Hex>('mempool')
  }

  get size(): number {
    return this.#byHash.size
  }

  /** The stored raw transactions (to re-check at start: the head may have moved on since). */
  storedRaw(): Hex[] {
    return [...this.#db.getRange()].map((e) => e.value)
  }

  get(hash: Hex): T | undefined {
    return this.#byHash.get(hash.toLowerCase() as Hex)
  }

  has(hash: Hex): boolean {
    return this.#byHash.has(hash.toLowerCase() as Hex)
  }

  /**
   * Admits checked transactions; resolves once they are durable. Already-known ones are skipped (no error: gossip
   * brings every transaction several times); a refused one throws when it is the only one (an RPC call), and is
   * skipped in a batch (gossip).
   */
  async add(entries: readonly T[], options: { persist?: boolean } = {}): Promise<T[]> {
    const accepted: T[] = []
    const replaced: Hex[] = []
    for (const e of entries) {
      try {
        const old = this.#admit(e)
        if (old) replaced.push(old)
        if (old !== null) accepted.push(e)
      } catch (err) {
        if (entries.length === 1) throw err
      }
    }
    if (accepted.length === 0) return accepted
    if (options.persist !== false) {
      await Promise.all([
        ...accepted.map((e) => this.#db.put(e.hash, e.raw)),
        ...replaced.map((h) => this.#db.remove(h)),
      ])
    }
    return accepted
  }

  /** Puts `e` in memory: its replaced hash, undefined when new, null when already known. Throws when refused. */
  #admit(e: T): Hex | undefined | null {
    if (this.#byHash.has(e.hash)) return null
    let nonces = this.#bySender.get(e.from)
    const old = nonces?.get(e.nonce)
    if (old !== undefined) {
      if (e.maxFee * 10n < old.maxFee * 11n) {
        throw new L2kitError(
          SidechainErrorCode.replacementUnderpriced,
          'replacement transaction underpriced: a transaction with this nonce is pending; offer at least 10% more to replace it',
          { details: { pending: old.hash, nonce: e.nonce.toString() } },
        )
      }
    } else {
      if (this.#byHash.size >= this.options.maxTxs)
        throw new L2kitError(
          SidechainErrorCode.mempoolFull,
          'txpool is full: try again after the next block',
          {
            kind: 'temporary',
          },
        )
      if ((nonces?.size ?? 0) >= this.options.maxPerSender)
        throw new L2kitError(
          SidechainErrorCode.mempoolFull,
          `this sender already has ${this.options.maxPerSender} pending transactions`,
          { kind: 'temporary' },
        )
    }
    if (nonces === undefined) {
      nonces = new Map()
      this.#bySender.set(e.from, nonces)
    }
    if (old !== undefined) this.#byHash.delete(old.hash)
    nonces.set(e.nonce, e)
    this.#byHash.set(e.hash, e)
    return old?.hash
  }

  /**
   * Block candidates: senders in arrival order, each sender's transactions in ascending nonce from its state nonce
   * (`nonceOf`), stopping at a gap; at most `max`.
   */
  candidates(nonceOf: (address: Address) => bigint, max: number): T[] {
    const out: T[] = []
    const stale: Hex[] = []
    for (const [sender, nonces] of this.#bySender) {
      let n = nonceOf(sender)
      // Included by a block whose other transactions we never had: no longer executable, forget them.
      for (const [k, e] of nonces) {
        if (k >= n) continue
        nonces.delete(k)
        this.#byHash.delete(e.hash)
        stale.push(e.hash)
      }
      if (nonces.size === 0) this.#bySender.delete(sender)
      for (;;) {
        const e = nonces.get(n)
        if (e === undefined || out.length >= max) break
        out.push(e)
        n++
      }
      if (out.length >= max) break
    }
    for (const h of stale) void this.#db.remove(h)
    return out
  }

  /** Every pending entry, senders in arrival order. */
  entries(): T[] {
    const out: T[] = []
    for (const nonces of this.#bySender.values())
      out.push(...[...nonces.values()].sort((a, b) => (a.nonce < b.nonce ? -1 : 1)))
    return out
  }

  /**
   * After a block: drops what it included and everything its senders can no longer execute (nonce below the new
   * state nonce). Durable before it resolves.
   */
  async removeIncluded(hashes: readonly Hex[], nonceOf: (address: Address) => bigint): Promise<void> {
    const removed: Hex[] = []
    const touched = new Set<Address>()
    for (const h of hashes) {
      const e = this.#byHash.get(h.toLowerCase() as Hex)
      if (e === undefined) continue
      touched.add(e.from)
    }
    for (const sender of touched) {
      const nonces = this.#bySender.get(sender)
      if (nonces === undefined) continue
      const next = nonceOf(sender)
      for (const [n, e] of nonces) {
        if (n < next) {
          nonces.delete(n)
          this.#byHash.delete(e.hash)
          removed.push(e.hash)
        }
      }
      if (nonces.size === 0) this.#bySender.delete(sender)
    }
    if (removed.length > 0) await Promise.all(removed.map((h) => this.#db.remove(h)))
  }

  /** Drops one entry (it turned out invalid at build time). */
  async drop(hash: Hex): Promise<void> {
    const key = hash.toLowerCase() as Hex
    const e = this.#byHash.get(key)
    if (e !== undefined) {
      this.#byHash.delete(e.hash)
      const nonces = this.#bySender.get(e.from)
      nonces?.delete(e.nonce)
      if (nonces?.size === 0) this.#bySender.delete(e.from)
    }
    await this.#db.remove(key)
  }
}
