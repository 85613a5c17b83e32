/**
 * The derivation rule for one batch (docs/optimistic.md, "Batch data v3"), shared by the verifier, the node's
 * own safe-head tracking, the proposer and the challenger. Pure: L1 inputs come in as arguments. The same rule
 * is what the L1 fraud proof re-executes row by row, so the trace returned here is what a proposal commits to.
 */

import type { L2State } from '../core/state.ts'
import type { Address, Deposit, Hex, L2Tx } from '../core/types.ts'
import { computeBlockHash } from './block.ts'
import { executeBatchV3 } from './protocol/trace.ts'

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

/** A row that did nothing (a skipped transaction, a malformed row, a deposit row beyond the batch). */
export type SkippedRow = { row: number; kind: string; code: string; reason: string }

export type DeriveResult = {
  /** Whether the batch is valid; an invalid batch changes nothing and has the one-leaf trace `[L0]`. */
  valid: boolean
  reason?: string
  blocks: DerivedBlock[]
  skippedRows: SkippedRow[]
  txCount: number
  /** Rows of a valid batch (the proposal's stepCount), 0 for an invalid one. */
  rowCount: number
  /** The trace: state commitments before the first row and after every row. */
  leaves: Hex[]
  /** Forced batches (they close no block): the deposits and transactions their rows applied, in order. */
  forcedApplied?: { depositIndices: bigint[]; txs: { tx: L2Tx; hash: Hex; sender: Address }[] }
}

export type DeriveContext = {
  chainId: bigint
  /** Every deposit queued on L1 up to the batch's L1 position, by index. */
  deposits: readonly Deposit[]
  /** The last derived block (parent of the batch's first block). */
  parent: { number: bigint; hash: Hex; timestamp: number; depositCountAfter: bigint }
  /** A forced batch (built by the Rollup from its forced queue): no block rules, closes no block. */
  forced?: boolean
}

/**
 * Applies a batch to `state`: rows of a valid batch are executed one by one (a row that fails is a no-op);
 * an invalid batch leaves `state` untouched and says why. Blocks are the runs of rows closed by block ends.
 */
export function deriveBatch(
  state: L2State,
  data: Uint8Array,
  header: BatchHeader,
  ctx: DeriveContext,
): DeriveResult {
  const trace = executeBatchV3(state, data, {
    chainId: ctx.chainId,
    blockNumber: ctx.parent.number,
    batchDepositCountAfter: header.depositCountAfter,
    deposits: (i) => ctx.deposits[Number(i)],
    forced: ctx.forced === true,
  })
  const skippedRows: SkippedRow[] = []
  trace.outcomes.forEach((o, row) => {
    if (!o.applied) skippedRows.push({ row, kind: o.kind, code: o.code, reason: o.reason })
  })
  const blocks: DerivedBlock[] = []
  let parentHash = ctx.parent.hash
  let txCount = 0
  for (const b of trace.blocks) {
    const txHashes = b.txs.map((t) => t.hash)
    txCount += txHashes.length
    const timestamp = Number(b.timestamp)
    const hash = computeBlockHash({
      number: b.number,
      parentHash,
      timestamp,
      stateRoot: b.stateRoot,
      txHashes,
      depositCountAfter: b.depositCountAfter,
    })
    blocks.push({
      number: b.number,
      hash,
      timestamp,
      stateRoot: b.stateRoot,
      txHashes,
      depositCountAfter: b.depositCountAfter,
    })
    parentHash = hash
  }
  const forcedApplied =
    ctx.forced === true
      ? {
          depositIndices: trace.outcomes.flatMap((o) =>
            o.applied && o.kind === 'deposit' ? [o.depositIndex] : [],
          ),
          txs: trace.outcomes.flatMap((o) => (o.applied && o.kind === 'tx' ? [o.tx] : [])),
        }
      : undefined
  return {
    ...(forcedApplied ? { forcedApplied } : {}),
    valid: trace.valid,
    ...(trace.reason === undefined ? {} : { reason: trace.reason }),
    blocks,
    skippedRows,
    txCount,
    rowCount: trace.rowCount,
    leaves: trace.leaves,
  }
}
