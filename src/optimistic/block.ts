/** L2 blocks of the optimistic rollup: their record, their hash (see ARCHITECTURE.md "Blocks"). */
import { concatHex, encodePacked, keccak256 } from 'viem'
import { L2_FEE_VAULT_ADDRESS } from '../core/constants.ts'
import type { Address, Deposit, Hex, L2Tx, Withdrawal } from '../core/types.ts'

export const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`

/** A transaction as executed in a sealed block, with what its receipt needs. */
export type BlockTx = {
  hash: Hex
  raw: Hex
  sender: Address
  tx: L2Tx
  gasUsed: bigint
  effectiveGasPrice: bigint
  withdrawal?: Withdrawal
}

/** A transaction an L1 forced batch applied (it has no fee of its own in the block: it ran on L1's order). */
export type ForcedBlockTx = { tx: L2Tx; hash: Hex; sender: Address }

/**
 * The rows of an L1 forced batch that changed the state, applied before a block's own deposits (forced batches
 * close no block: their rows come before the next block the sequencer closes). Kept in the block so a restart
 * replays them; not part of the block hash or of any batch (they are on L1 already).
 */
export type ForcedPrefix = { batchIndex: bigint; deposits: Deposit[]; txs: ForcedBlockTx[] }

export type L2Block = {
  number: bigint
  hash: Hex
  parentHash: Hex
  /** Unix seconds. */
  timestamp: number
  /** Total deposits applied once this block is executed. */
  depositCountAfter: bigint
  /** Deposits applied at the start of this block, in L1 order. */
  deposits: Deposit[]
  /** Accounts that existed before this block: the codec's "known at the start" set for a batch starting here. */
  accountCountBefore: number
  txs: BlockTx[]
  stateRoot: Hex
  /** A forced batch's effects applied before `deposits` (see `ForcedPrefix`). */
  forced?: ForcedPrefix
}

export function txsHash(hashes: readonly Hex[]): Hex {
  return keccak256(hashes.length === 0 ? '0x' : concatHex(hashes as Hex[]))
}

export function computeBlockHash(b: {
  number: bigint
  parentHash: Hex
  timestamp: number
  stateRoot: Hex
  txHashes: readonly Hex[]
  depositCountAfter: bigint
}): Hex {
  return keccak256(
    encodePacked(
      ['uint64', 'bytes32', 'uint64', 'bytes32', 'bytes32', 'uint64'],
      [b.number, b.parentHash, BigInt(b.timestamp), b.stateRoot, txsHash(b.txHashes), b.depositCountAfter],
    ),
  )
}

/** Block 0: the genesis state (fee vault only) at the chain's genesis timestamp. Every node computes the same. */
export function genesisBlock(genesisTimestamp: number, stateRoot: Hex): L2Block {
  const block: L2Block = {
    number: 0n,
    hash: ZERO_HASH,
    parentHash: ZERO_HASH,
    timestamp: genesisTimestamp,
    depositCountAfter: 0n,
    deposits: [],
    accountCountBefore: 0,
    txs: [],
    stateRoot,
  }
  block.hash = computeBlockHash({ ...block, txHashes: [] })
  return block
}

/**
 * Accounts a block's deposits and transactions touch (deposit recipients, senders, transfer recipients, and the
 * fee vault when there are transactions), lowercase: what the chain store's account history is keyed by.
 */
export function touchedAccounts(
  deposits: readonly Deposit[],
  txs: readonly Pick<BlockTx, 'sender' | 'tx'>[],
): Set<Address> {
  const touched = new Set<Address>()
  for (const d of deposits) touched.add(d.to.toLowerCase() as Address)
  for (const t of txs) {
    touched.add(t.sender.toLowerCase() as Address)
    const op = t.tx.op
    if (op.kind === 'ethTransfer' || op.kind === 'tokenTransfer') touched.add(op.to.toLowerCase() as Address)
  }
  if (txs.length > 0) touched.add(L2_FEE_VAULT_ADDRESS.toLowerCase() as Address)
  return touched
}
