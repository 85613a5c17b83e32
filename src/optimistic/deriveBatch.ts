/**
 * The derivation rule for one batch (ARCHITECTURE.md "Derivation rule"), shared by the verifier, the
 * sequencer node's own safe-head tracking and, later, the fraud proof. Pure: L1 inputs come in as arguments.
 */
import { bytesToHex } from 'viem'
import { decodeBatch } from '../core/batchCodec.ts'
import { decompressBatchData } from '../core/compression.ts'
import { isL2kitError } from '../core/errors.ts'
import { encodeRawTransaction, recoverSender, txHash } from '../core/l2tx.ts'
import type { L2State } from '../core/state.ts'
import type { Address, Batch, Deposit, Hex } from '../core/types.ts'
import { computeBlockHash } from './block.ts'

/** What the Rollup contract recorded with the batch (its `BatchAppended` event). */
export type BatchHeader = {
  batchIndex: bigint
  firstL2Block: bigint
  l2BlockCount: number
  depositCountAfter: bigint
}

/** A block rebuilt from L1 data alone. */
export type DerivedBlock = {
  number: bigint
  hash: Hex
  timestamp: number
  stateRoot: Hex
  txHashes: Hex[]
  depositCountAfter: bigint
}

export type SkippedTx = { block: bigint; index: number; code: string; reason: string }

export type DeriveResult =
  | { valid: true; blocks: DerivedBlock[]; skippedTxs: SkippedTx[]; txCount: number }
  | { valid: false; reason: string }

export type DeriveContext = {
  chainId: bigint
  /** Every deposit queued on L1 up to the batch's L1 position, by index. */
  deposits: readonly Deposit[]
  /** The last derived block (parent of the batch's first block). */
  parent: { number: bigint; hash: Hex; timestamp: number; depositCountAfter: bigint }
}

/**
 * Applies a batch to `state` if it is valid; an invalid batch leaves `state` untouched and says why.
 * Transactions that fail execution inside a valid batch are skipped, as the spec says.
 */
export function deriveBatch(
  state: L2State,
  data: Uint8Array,
  header: BatchHeader,
  ctx: DeriveContext,
): DeriveResult {
  let batch: Batch
  const accountsAtStart = state.accountCount
  try {
    const raw = decompressBatchData(data)
    batch = decodeBatch(raw, {
      addressAt: (i: number) =>
        i < accountsAtStart ? (state.addressAt(i) as Address | undefined) : undefined,
    })
  } catch (err) {
    return {
      valid: false,
      reason: isL2kitError(err) ? `${err.code}: ${err.message}` : `undecodable batch: ${String(err)}`,
    }
  }
  const expected = ctx.parent.number + 1n
  if (batch.firstBlockNumber !== expected) {
    return {
      valid: false,
      reason: `batch starts at L2 block ${batch.firstBlockNumber}, expected ${expected}`,
    }
  }
  if (
    batch.blocks.length === 0 ||
    batch.blocks.length !== header.l2BlockCount ||
    batch.firstBlockNumber !== header.firstL2Block
  ) {
    return { valid: false, reason: 'batch contents disagree with the block range recorded on L1' }
  }
  // Structural checks first, so an invalid batch never half-applies.
  let depositCount = ctx.parent.depositCountAfter
  let timestamp = ctx.parent.timestamp
  for (const b of batch.blocks) {
    if (b.depositCountAfter < depositCount) return { valid: false, reason: 'deposit count goes backwards' }
    if (b.depositCountAfter > BigInt(ctx.deposits.length)) {
      return {
        valid: false,
        reason: `block consumes deposits up to ${b.depositCountAfter}, only ${ctx.deposits.length} queued on L1`,
      }
    }
    if (b.timestamp < timestamp) return { valid: false, reason: 'block timestamps go backwards' }
    depositCount = b.depositCountAfter
    timestamp = b.timestamp
  }
  if (depositCount !== header.depositCountAfter) {
    return {
      valid: false,
      reason: `batch ends at deposit ${depositCount}, L1 recorded ${header.depositCountAfter}`,
    }
  }

  const blocks: DerivedBlock[] = []
  const skippedTxs: SkippedTx[] = []
  let parent = ctx.parent
  let number = batch.firstBlockNumber
  let txCount = 0
  for (const b of batch.blocks) {
    for (let i = parent.depositCountAfter; i < b.depositCountAfter; i++) {
      state.applyDeposit(ctx.deposits[Number(i)] as Deposit)
    }
    const txHashes: Hex[] = []
    b.txs.forEach((tx, index) => {
      try {
        const sender = recoverSender(tx, ctx.chainId)
        state.applyTx(tx, sender)
        txHashes.push(txHash(encodeRawTransaction(tx, ctx.chainId)))
        txCount++
      } catch (err) {
        if (!isL2kitError(err)) throw err
        skippedTxs.push({ block: number, index, code: err.code, reason: err.message })
      }
    })
    const root = state.stateRoot()
    const stateRoot = typeof root === 'string' ? (root as Hex) : bytesToHex(root as Uint8Array)
    const hash = computeBlockHash({
      number,
      parentHash: parent.hash,
      timestamp: b.timestamp,
      stateRoot,
      txHashes,
      depositCountAfter: b.depositCountAfter,
    })
    const derived: DerivedBlock = {
      number,
      hash,
      timestamp: b.timestamp,
      stateRoot,
      txHashes,
      depositCountAfter: b.depositCountAfter,
    }
    blocks.push(derived)
    parent = derived
    number++
  }
  return { valid: true, blocks, skippedTxs, txCount }
}
