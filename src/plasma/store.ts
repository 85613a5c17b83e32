/**
 * The Plasma operator's durable state (LMDB through node/store.ts; a write resolves once it is fsynced, and the
 * operator answers a transaction only after the write that records it has resolved):
 * - `blocks`: block number → a sealed operator block or a deposit block (its signed transactions, root, L1 status);
 * - `pending`: index → a signed transaction of the open block, in order (moved into `blocks` when it is sealed);
 * - `utxos`: position → an unspent output (including the open block's outputs, at the position they will have);
 * - `spent`: position → the hash of the transaction that spent it, or `exit` when it is being exited on L1;
 * - `txs`: transaction hash → where it is (block, index);
 * - `meta`: the open block's number, the L1 block deposits were followed up to.
 */
import type { Hex } from '../core/types.ts'
import type { Store, StoreDb } from '../node/store.ts'
import type { PlasmaOutput } from './protocol/tx.ts'

/** A signed transaction as stored and served: its canonical bytes and its signatures. */
export type StoredTx = { txBytes: Hex; sigs: Hex[]; txHash: Hex }

export type StoredBlock = {
  blknum: bigint
  root: Hex
  txs: StoredTx[]
  /** operator block or deposit block */
  kind: 'operator' | 'deposit'
  /** ms since epoch when the operator sealed it (deposits: when seen) */
  sealedAt: number
  /** the L1 transaction that committed the root (operator blocks), once mined */
  l1TxHash?: Hex
  /** sealed while the operator withheld data (a fault injected by the attack demo) */
  withheld?: boolean
}

export type PlasmaOperatorStore = {
  store: Store
  blocks: StoreDb<StoredBlock, 'ordered'>
  pending: StoreDb<StoredTx, 'ordered'>
  utxos: StoreDb<PlasmaOutput, 'ordered'>
  spent: StoreDb<Hex | 'exit', 'ordered'>
  txs: StoreDb<{ blknum: bigint; txIndex: number }, 'ordered'>
  meta: StoreDb<unknown, 'ordered'>
}

/** Positions and block numbers as ordered keys: decimal strings zero-padded to 30 digits sort numerically. */
export const posKey = (pos: bigint): string => pos.toString().padStart(30, '0')

export function openPlasmaOperatorStore(store: Store): PlasmaOperatorStore {
  return {
    store,
    blocks: store.db<StoredBlock>('blocks'),
    pending: store.db<StoredTx>('pending'),
    utxos: store.db<PlasmaOutput>('utxos'),
    spent: store.db<Hex | 'exit'>('spent'),
    txs: store.db<{ blknum: bigint; txIndex: number }>('txs'),
    meta: store.db<unknown>('meta'),
  }
}
