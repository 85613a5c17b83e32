/**
 * A channel node's durable state (LMDB through node/store.ts; every write resolves once it is fsynced, and the node
 * sends a signature, a revocation or a "paid" only after the write that records it has resolved):
 * - `channels`: channel id → the ChannelRecord (newest state signed by both, revocations, an update in flight);
 * - `payments`: payment hash → an outgoing payment (amount, route, status, preimage once paid);
 * - `invoices`: payment hash → an invoice this node issued, with its preimage;
 * - `forwards`: `in:<channel>:<htlc id>` and `out:<channel>:<htlc id>` → the HTLC pair of a forwarded payment, so a
 *   restarted intermediary still knows which upstream HTLC a downstream fulfil or fail settles;
 * - `preimages`: payment hash → a preimage learned from a fulfil (received or sent), stored in the transaction of
 *   the channel record of that update (kept apart so the record, rewritten on every update, does not grow);
 * - `onions`: `<channel>:<htlc id>` → an HTLC offered to us: the update's seq that added it and the onion it came
 *   with, stored with that update, removed once our fulfil or fail of it is acked: what a restarted node needs to
 *   act on an HTLC that was committed while the in-memory events of that update were lost;
 * - `graph`: channel id → a channel announcement signed by both ends (the routing graph);
 * - `meta`: cursors (the L1 block followed up to) and the node's own settings.
 *
 * Channel records are also kept decoded in memory (every message of a channel reads its record; decoding it from
 * LMDB each time was most of a payment's CPU). The cache takes a record when its write is issued, so the handler
 * chain of a channel always builds on the newest record; nothing built on it leaves the node before the write has
 * resolved (LMDB commits in order, so a later write resolving means every earlier one is on disk). A write that
 * fails puts the record on disk back in the cache.
 */
import type { Hex } from '../core/types.ts'
import type { Store, StoreDb } from '../node/store.ts'
import type { ChannelRecord } from './protocol/channel.ts'
import type { AnnouncementMessage } from './protocol/wire.ts'

export type PaymentStatus = 'pending' | 'succeeded' | 'failed'

export type StoredPayment = {
  paymentHash: Hex
  /** what the payee receives, token units */
  amount: bigint
  /** what the payer sends into the first hop (amount + fees) */
  sent: bigint
  /** node ids from the first hop to the payee */
  route: Hex[]
  firstChannel: Hex
  htlcId: bigint
  status: PaymentStatus
  preimage?: Hex
  failure?: { code: string; message: string; hop?: number }
  createdAt: number
  settledAt?: number
}

export type StoredInvoice = {
  paymentHash: Hex
  preimage: Hex
  paymentSecret: Hex
  amount: bigint | null
  invoice: string
  description: string
  createdAt: number
  expiresAt: number
  status: 'open' | 'paid'
  paidAt?: number
  /** the token the invoice is payable in (lower case; absent in invoices stored before tokens: ETH) */
  token?: Hex
}

export type StoredForward = {
  paymentHash: Hex
  inChannel: Hex
  inHtlcId: bigint
  inAmount: bigint
  outChannel: Hex
  outHtlcId: bigint
  outAmount: bigint
  /** the onion shared secret with the payer, to wrap a failure coming back */
  sharedSecret: Hex
  status: PaymentStatus
}

/** An HTLC offered to us, as it came: the seq of the update that added it and its onion (null: none came). */
export type StoredIncoming = { seq: bigint; onion: Hex | null }

/** The key of an HTLC in a channel (`onions`, and the node's in-memory bookkeeping). */
export const htlcKey = (channelId: Hex, htlcId: bigint): string => `${channelId.toLowerCase()}:${htlcId}`

export class ChannelStore {
  readonly channels: StoreDb<ChannelRecord>
  readonly payments: StoreDb<StoredPayment>
  readonly invoices: StoreDb<StoredInvoice>
  readonly forwards: StoreDb<StoredForward>
  readonly preimages: StoreDb<Hex>
  readonly onions: StoreDb<StoredIncoming>
  readonly graph: StoreDb<AnnouncementMessage>
  readonly meta: StoreDb<unknown>

  /** decoded channel records by lower-case id (all of them: loaded at start, kept on every write) */
  private readonly cache = new Map<string, ChannelRecord>()

  constructor(readonly store: Store) {
    this.channels = store.db<ChannelRecord>('channels')
    for (const { key, value } of this.channels.getRange()) this.cache.set(String(key), value)
    this.payments = store.db<StoredPayment>('payments')
    this.invoices = store.db<StoredInvoice>('invoices')
    this.forwards = store.db<StoredForward>('forwards')
    this.preimages = store.db<Hex>('preimages')
    this.onions = store.db<StoredIncoming>('onions')
    this.graph = store.db<AnnouncementMessage>('graph')
    this.meta = store.db<unknown>('meta')
  }

  /** The newest record of a channel (its write may still be in progress: see the header). Do not mutate it. */
  channel(id: Hex): ChannelRecord | undefined {
    const k = id.toLowerCase()
    const cached = this.cache.get(k)
    if (cached !== undefined) return cached
    const stored = this.channels.get(k)
    if (stored !== undefined) this.cache.set(k, stored)
    return stored
  }

  /**
   * Stores a channel record durably (resolve before sending what it records). `also` adds writes (puts on the other
   * databases, not awaited) to the same LMDB transaction: one commit and one fsync for everything a message did.
   */
  putChannel(record: ChannelRecord, also?: () => void): Promise<void> {
    const k = record.channelId.toLowerCase()
    this.cache.set(k, record)
    const written =
      also === undefined
        ? this.channels.put(k, record)
        : this.store.transaction(() => {
            void this.channels.put(k, record)
            also()
          })
    return written.catch((err: unknown) => {
      if (this.cache.get(k) === record) {
        const stored = this.channels.get(k)
        if (stored === undefined) this.cache.delete(k)
        else this.cache.set(k, stored)
      }
      throw err
    })
  }

  /** Writes `fn`'s puts (not awaited inside) in one durable transaction. */
  write(fn: () => void): Promise<void> {
    return this.store.transaction(fn)
  }

  allChannels(): ChannelRecord[] {
    return [...this.cache.values()]
  }

  forwardByIn(channel: Hex, htlcId: bigint): StoredForward | undefined {
    return this.forwards.get(`in:${channel.toLowerCase()}:${htlcId}`)
  }

  forwardByOut(channel: Hex, htlcId: bigint): StoredForward | undefined {
    return this.forwards.get(`out:${channel.toLowerCase()}:${htlcId}`)
  }

  /** Records a forward under both of its HTLCs in one durable transaction. */
  putForward(f: StoredForward): Promise<void> {
    return this.store.transaction(() => this.stageForward(f))
  }

  /** The puts of `putForward`, inside a transaction the caller runs (`putChannel`'s `also`, `write`). */
  stageForward(f: StoredForward): void {
    void this.forwards.put(`in:${f.inChannel.toLowerCase()}:${f.inHtlcId}`, f)
    void this.forwards.put(`out:${f.outChannel.toLowerCase()}:${f.outHtlcId}`, f)
  }
}
