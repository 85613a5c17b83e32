/**
 * The ZK node's durable state (LMDB through node/store.ts; every write resolves once it is on disk):
 * - `requests`: the L1 priority queue as followed (index → request, chain hash after it, expiry);
 * - `pending`: operations soft-confirmed but not yet in a block, in the order they were applied (a tx is acked only
 *   after it is here);
 * - `blocks`: sealed blocks (their items with signatures, pubdata, roots, commitment, withdrawals);
 * - `witnesses`: each sealed block's circuit input until its proof exists;
 * - `jobs`: the durable prove queue (`queued` / `leased` by a worker); `proofs`: finished proofs;
 * - `txs`: tx hash → where it is (pending sequence number, then block).
 */
import type { Groth16Proof } from 'snarkjs'
import type { Store, StoreDb } from '../node/store.ts'
import type { PriorityRequest } from './protocol/ops.ts'
import type { SignedZkTx } from './protocol/state.ts'

export type StoredRequest = {
  index: number
  request: PriorityRequest
  /** chain hash after this request: p[index + 1] */
  hashAfter: bigint
  /** L1 timestamp after which an unprocessed request lets anyone start exodus mode */
  expiry: number
  l1BlockNumber: bigint
  l1TxHash: string
}

/** An item as the soft state applied it. A request carries the account the sequencer chose for it. */
export type PendingItem =
  | { seq: number; kind: 'tx'; hash: string; tx: SignedZkTx; receivedAt: number }
  | { seq: number; kind: 'request'; index: number; account: number }

export type Withdrawal = { address: bigint; token: number; amount: bigint }

export type SealedBlock = {
  number: number
  items: PendingItem[]
  /** priority requests consumed: [firstRequest, firstRequest + priorityOps) */
  firstRequest: number
  priorityOps: number
  oldRoot: bigint
  newRoot: bigint
  pBefore: bigint
  pAfter: bigint
  pubdata: Uint8Array
  commitment: bigint
  /** what L1 pays once the block is verified (amounts in units) */
  withdrawals: Withdrawal[]
  txHashes: string[]
  sealedAt: number
}

export type ProveJob = {
  block: number
  status: 'queued' | 'leased'
  worker?: string
  leasedAt?: number
  attempts: number
}

export type StoredProof = {
  block: number
  /** snarkjs's proof JSON (converted to the verifier's words when posted) */
  proof: Groth16Proof
  publicSignals: string[]
  seconds: number
  worker: string
  provedAt: number
}

export type TxLocation =
  | { status: 'pending'; seq: number }
  | { status: 'sealed'; block: number; index: number }

export class ZkStore {
  readonly store: Store
  readonly requests: StoreDb<StoredRequest, 'uint64'>
  readonly pending: StoreDb<PendingItem, 'uint64'>
  readonly blocks: StoreDb<SealedBlock, 'uint64'>
  readonly witnesses: StoreDb<Record<string, unknown>, 'uint64'>
  readonly jobs: StoreDb<ProveJob, 'uint64'>
  readonly proofs: StoreDb<StoredProof, 'uint64'>
  readonly txs: StoreDb<TxLocation, 'ordered'>
  readonly meta: StoreDb<unknown, 'ordered'>

  constructor(store: Store) {
    this.store = store
    this.requests = store.db('zk.requests', { encoding: 'json', keyEncoding: 'uint64' })
    this.pending = store.db('zk.pending', { encoding: 'json', keyEncoding: 'uint64' })
    this.blocks = store.db('zk.blocks', { encoding: 'json', keyEncoding: 'uint64' })
    this.witnesses = store.db('zk.witnesses', { encoding: 'json', keyEncoding: 'uint64' })
    this.jobs = store.db('zk.jobs', { encoding: 'json', keyEncoding: 'uint64' })
    this.proofs = store.db('zk.proofs', { encoding: 'json', keyEncoding: 'uint64' })
    this.txs = store.db('zk.txs', { encoding: 'json' })
    this.meta = store.db('zk.meta', { encoding: 'json' })
  }

  /** Number of sealed blocks (blocks are numbered 1, 2, …). */
  sealedCount(): number {
    const last = this.blocks.last()
    return last === undefined ? 0 : Number(last.key)
  }

  requestCount(): number {
    const last = this.requests.last()
    return last === undefined ? 0 : Number(last.key) + 1
  }

  /** p[index]: the chain hash before request `index`. */
  chainHashBefore(index: number): bigint {
    if (index === 0) return 0n
    const r = this.requests.get(BigInt(index - 1))
    if (r === undefined) throw new RangeError(`request ${index - 1} is not known yet`)
    return r.hashAfter
  }
}
