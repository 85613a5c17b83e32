/**
 * The per-step trace of a v3 batch (docs/optimistic.md, "Row semantics" and "Trace"): executes a batch row by
 * row on an `L2State` and records the state commitment after every row. What the proposer publishes, what
 * derivation derives blocks from, and what a challenger compares against a proposal, step by step.
 *
 * Row semantics (the spec's, exactly; a row never throws for being wrong, it is a no-op step):
 * - tx row: malformed (`parseRowV3`) → no-op. Otherwise the signed transaction is rebuilt, the sender recovered
 *   (`recoverSender`; a non-canonical or unrecoverable signature → no-op), and `applyTx` runs; any failing check
 *   (an unknown sender included) → skipped, no-op.
 * - deposit row: well-formed and `depositCount < batchDepositCountAfter` → applies deposit #depositCount with
 *   `applyDeposit`; else no-op.
 * - block-end row: well-formed → blockNumber += 1, the block is closed; else no-op.
 * - any other row type → no-op.
 * An invalid batch (`checkBatchV3`) changes nothing and its trace is `[L0]`.
 */

import { bytesToHex, hexToBytes } from '../../core/bytes.ts'
import { stateCommitment } from '../../core/commitment.ts'
import { ErrorKind, L2kitError } from '../../core/errors.ts'
import { encodeRawTransaction, recoverSender, txHash } from '../../core/l2tx.ts'
import type { L2State } from '../../core/state.ts'
import type { Address, Deposit, Hex, L2Tx } from '../../core/types.ts'
import { checkBatchV3, parseRowV3, ROW_TYPE, rowAtV3 } from './batchCodecV3.ts'

/** What executing one row needs besides the state. */
export type RowContextV3 = {
  /** The L2 chain id (signatures); must be the state's. */
  chainId: bigint
  /** The batch's `depositCountAfter` as `appendBatch` declared it on L1: deposit rows beyond it are no-ops. */
  batchDepositCountAfter: bigint
  /** Deposit `index` of the L1 queue. Must know every index below `batchDepositCountAfter`. */
  deposits: (index: bigint) => Deposit | undefined
}

/** What `executeBatchV3` needs besides the state and the data. */
export type TraceContextV3 = RowContextV3 & {
  /** The pre-state's block number (the last closed L2 block). */
  blockNumber: bigint
  /** Execute rows `[0, stopBeforeRow)` only (leaves `L0..L(stopBeforeRow)`); for building step witnesses. */
  stopBeforeRow?: number | undefined
  /** A forced batch (from the Rollup's forced-transaction queue): validity without the block rules. */
  forced?: boolean | undefined
}

/** An applied transaction. */
export type AppliedTxV3 = { tx: L2Tx; hash: Hex; sender: Address }

/** A block derivation closed (by a well-formed block-end row). */
export type DerivedBlockV3 = {
  number: bigint
  /** The block-end row's u64 timestamp. */
  timestamp: bigint
  /** The state's depositCount at the block's end. */
  depositCountAfter: bigint
  /** The tx rows applied in this block, in order. */
  txs: AppliedTxV3[]
  /** `keccak256(accountsRoot ‖ withdrawalsRoot)` at the block's end. */
  stateRoot: Hex
}

/** What the row's type byte says (`unknown` for any other value). */
export type RowKindV3 = 'tx' | 'deposit' | 'blockEnd' | 'unknown'

/**
 * What one row did. `code` of a no-op: `MALFORMED_ROW`, `UNKNOWN_ROW_TYPE`, `INVALID_SIGNATURE`,
 * `DEPOSIT_BEYOND_BATCH`, or the `applyTx` error code of a skipped transaction (`UNKNOWN_ACCOUNT`,
 * `NONCE_TOO_HIGH`, `INSUFFICIENT_BALANCE`, ...).
 */
export type RowOutcomeV3 =
  | { kind: 'tx'; applied: true; tx: AppliedTxV3 }
  | { kind: 'deposit'; applied: true; depositIndex: bigint }
  | { kind: 'blockEnd'; applied: true; blockNumber: bigint; timestamp: bigint }
  | { kind: RowKindV3; applied: false; code: string; reason: string }

/** The trace of a batch. */
export type TraceResultV3 = {
  valid: boolean
  /** Why the batch is invalid. */
  reason?: string
  /** Rows of a valid batch (the proposal's stepCount), 0 for an invalid one. */
  rowCount: number
  /** `L0..LR` (fewer with `stopBeforeRow`), or `[L0]` for an invalid batch. */
  leaves: Hex[]
  /** Blocks closed by block-end rows, in order. */
  blocks: DerivedBlockV3[]
  /** The post-state's block number. */
  blockNumber: bigint
  /** One per executed row. */
  outcomes: RowOutcomeV3[]
}

function kindOf(row: Uint8Array): RowKindV3 {
  switch (row[0]) {
    case ROW_TYPE.tx:
      return 'tx'
    case ROW_TYPE.deposit:
      return 'deposit'
    case ROW_TYPE.blockEnd:
      return 'blockEnd'
    default:
      return 'unknown'
  }
}

function checkContext(state: L2State, ctx: RowContextV3): void {
  if (ctx.chainId !== state.chainId)
    throw new L2kitError('INVALID_ARGUMENT', `chain id ${ctx.chainId} is not the state's (${state.chainId})`)
}

/**
 * Executes one 124-byte row on `state` (mutated) whose last closed block is `blockNumber`; returns the block
 * number after the row and what the row did. Throws only for caller errors: a wrong chain id, a deposit the
 * context does not know (`MISSING_DEPOSIT`, critical), or a deposit `applyDeposit` refuses (e.g. its token is
 * not registered in the state).
 */
export function executeRowV3(
  state: L2State,
  blockNumber: bigint,
  row: Uint8Array,
  ctx: RowContextV3,
): { blockNumber: bigint; outcome: RowOutcomeV3 } {
  checkContext(state, ctx)
  const parsed = parseRowV3(row)
  const noop = (code: string, reason: string) => ({
    blockNumber,
    outcome: { kind: kindOf(row), applied: false as const, code, reason },
  })
  switch (parsed.type) {
    case 'noop':
      return noop(kindOf(row) === 'unknown' ? 'UNKNOWN_ROW_TYPE' : 'MALFORMED_ROW', parsed.reason)
    case 'blockEnd':
      return {
        blockNumber: blockNumber + 1n,
        outcome: {
          kind: 'blockEnd',
          applied: true,
          blockNumber: blockNumber + 1n,
          timestamp: parsed.timestamp,
        },
      }
    case 'deposit': {
      const index = state.depositCount
      if (index >= ctx.batchDepositCountAfter)
        return noop(
          'DEPOSIT_BEYOND_BATCH',
          `deposit ${index} is not below the batch's depositCountAfter ${ctx.batchDepositCountAfter}`,
        )
      const deposit = ctx.deposits(index)
      if (deposit === undefined)
        throw new L2kitError('MISSING_DEPOSIT', `deposit ${index} is not known (the batch applies it)`, {
          kind: ErrorKind.critical,
          details: { depositIndex: index.toString() },
        })
      state.applyDeposit(deposit)
      return { blockNumber, outcome: { kind: 'deposit', applied: true, depositIndex: index } }
    }
    case 'tx': {
      const tx = parsed.tx
      let sender: Address
      try {
        sender = recoverSender(tx, ctx.chainId)
      } catch (error) {
        if (error instanceof L2kitError) return noop('INVALID_SIGNATURE', error.message)
        throw error
      }
      try {
        state.applyTx(tx, sender)
      } catch (error) {
        if (error instanceof L2kitError) return noop(error.code, error.message)
        throw error
      }
      const hash = txHash(encodeRawTransaction(tx, ctx.chainId))
      return { blockNumber, outcome: { kind: 'tx', applied: true, tx: { tx, hash, sender } } }
    }
  }
}

/**
 * Executes the v3 batch `data` on `state` (mutated; unchanged when the batch is invalid) and returns its trace:
 * the commitment `stateCommitment(state.stateHeader(blockNumber))` before the first row and after every row, the
 * blocks it closes and what each row did.
 */
export function executeBatchV3(state: L2State, data: Uint8Array, ctx: TraceContextV3): TraceResultV3 {
  checkContext(state, ctx)
  const leaf = (blockNumber: bigint): Hex => stateCommitment(state.stateHeader(blockNumber))
  const check = checkBatchV3(data, ctx.blockNumber + 1n, { forced: ctx.forced === true })
  if (!check.valid) {
    return {
      valid: false,
      reason: check.reason,
      rowCount: 0,
      leaves: [leaf(ctx.blockNumber)],
      blocks: [],
      blockNumber: ctx.blockNumber,
      outcomes: [],
    }
  }
  const stop = ctx.stopBeforeRow === undefined ? check.rowCount : Math.min(ctx.stopBeforeRow, check.rowCount)
  if (!Number.isInteger(stop) || stop < 0)
    throw new L2kitError('INVALID_ARGUMENT', `stopBeforeRow ${ctx.stopBeforeRow} is not a row index`)
  const leaves: Hex[] = [leaf(ctx.blockNumber)]
  const blocks: DerivedBlockV3[] = []
  const outcomes: RowOutcomeV3[] = []
  let blockNumber = ctx.blockNumber
  let txs: AppliedTxV3[] = []
  for (let r = 0; r < stop; r++) {
    const step = executeRowV3(state, blockNumber, rowAtV3(data, r), ctx)
    blockNumber = step.blockNumber
    const outcome = step.outcome
    outcomes.push(outcome)
    if (outcome.applied && outcome.kind === 'tx') txs.push(outcome.tx)
    if (outcome.applied && outcome.kind === 'blockEnd') {
      blocks.push({
        number: outcome.blockNumber,
        timestamp: outcome.timestamp,
        depositCountAfter: state.depositCount,
        txs,
        stateRoot: state.stateRoot(),
      })
      txs = []
    }
    leaves.push(leaf(blockNumber))
  }
  return { valid: true, rowCount: check.rowCount, leaves, blocks, blockNumber, outcomes }
}

/** Trace data: the leaves concatenated, 32 bytes each (in a blob, leaf s is at payload offset 4 + 32s). */
export function traceBytes(leaves: readonly Hex[]): Uint8Array {
  const out = new Uint8Array(32 * leaves.length)
  leaves.forEach((leaf, s) => {
    const bytes = hexToBytes(leaf, 'INVALID_TRACE')
    if (bytes.length !== 32) throw new L2kitError('INVALID_TRACE', `trace leaf ${s} is not 32 bytes`)
    out.set(bytes, 32 * s)
  })
  return out
}

/** The leaves of trace data; throws `INVALID_TRACE` unless its length is a non-zero multiple of 32. */
export function leavesFromTraceData(data: Uint8Array): Hex[] {
  if (data.length === 0 || data.length % 32 !== 0)
    throw new L2kitError('INVALID_TRACE', `trace data is ${data.length} bytes, not a non-zero multiple of 32`)
  const leaves: Hex[] = []
  for (let o = 0; o < data.length; o += 32) leaves.push(bytesToHex(data.subarray(o, o + 32)))
  return leaves
}

/** Blob payload offset of trace leaf `s` (after the 4-byte length prefix). */
export function traceLeafPayloadOffset(s: number): number {
  return 4 + 32 * s
}
