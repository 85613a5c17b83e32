/**
 * A channel node's durable state (LMDB through node/store.ts; every write resolves once it is fsynced, and the node
 * sends a signature, a revocation or a "paid" only after the write that records it has resolved):
 * - `channels`: channel id → the ChannelRecord (newest state signed by both, revocations, an update in flight);
 * - `payments`: payment hash → an outgoing payment (amount, route, status, preimage once paid);
 * - `invoices`: payment hash → an invoice this node issued, with its preimage;
 * - `forwards`: `in:<channel>:<htlc id>` and `out:<channel>:<htlc id>` → the HTLC pair of a forwarded payment, so a
 *   restarted intermediary still knows which upstream HTLC a downstream fulfil or fail settles;
 * - `graph`: channel id → a channel announcement signed by both ends (the routing graph);
 * - `meta`: cursors (the L1 block followed up to) and the node's own settings.
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

export class ChannelStore {
  readonly channels: StoreDb<ChannelRecord>
  readonly payments: StoreDb<StoredPayment>
  readonly invoices: StoreDb<StoredInvoice>
  readonly forwards: StoreDb<StoredForward>
  readonly graph: StoreDb<AnnouncementMessage>
  readonly meta: StoreDb<unknown>

  constructor(readonly store: Store) {
    this.channels = store.db<ChannelRecord>('channels')
    this.payments = store.db<StoredPayment>('payments')
    this.invoices = store.db<StoredInvoice>('invoices')
    this.forwards = store.db<StoredForward>('forwards')
    this.graph = store.db<AnnouncementMessage>('graph')
    this.meta = store.db<unknown>('meta')
  }

  channel(id: Hex): ChannelRecord | undefined {
    return this.channels.get(id.toLowerCase())
  }

  /** Stores a channel record durably (resolve before sending what it records). */
  putChannel(record: ChannelRecord): Promise<void> {
    return this.channels.put(record.channelId.toLowerCase(), record)
  }

  allChannels(): ChannelRecord[] {
    return [...this.channels.getRange()].map((e) => e.value)
  }

  forwardByIn(channel: Hex, htlcId: bigint): StoredForward | undefined {
    return this.forwards.get(`in:${channel.toLowerCase()}:${htlcId}`)
  }

  forwardByOut(channel: Hex, htlcId: bigint): StoredForward | undefined {
    return this.forwards.get(`out:${channel.toLowerCase()}:${htlcId}`)
  }

  /** Records a forward under both of its HTLCs in one durable transaction. */
  putForward(f: StoredForward): Promise<void> {
    return this.store.transaction(() => {
      void this.forwards.put(`in:${f.inChannel.toLowerCase()}:${f.inHtlcId}`, f)
      void this.forwards.put(`out:${f.outChannel.toLowerCase()}:${f.outHtlcId}`, f)
    })
  }
}
