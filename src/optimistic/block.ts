/** L2 blocks of the optimistic rollup: their record, their hash (see ARCHITECTURE.md "Blocks"). */
import { concatHex, encodePacked, keccak256 } from 'viem'
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
