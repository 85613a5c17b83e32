/**
 * Fault injection for adversarial tests and `l2kit demo --attack`: the ways a malicious operator can try to
 * get a wrong state root accepted (docs/optimistic.md). Each fault yields the trace a dishonest proposer
 * posts; two of them also change the batch data the batcher posts (a colluding sequencer). The challenger
 * must catch every one. Nothing here is used unless a fault is configured.
 */

import { type StateHeader, stateCommitment } from '../core/commitment.ts'
import { L2kitError } from '../core/errors.ts'
import { L2State, type StateSnapshot } from '../core/state.ts'
import type { Address, Deposit, Hex } from '../core/types.ts'
import {
  encodeHeaderV3,
  ROW_TYPE,
  rowAtV3,
  V3_HEADER_BYTES,
  V3_ROW_BYTES,
  V3_TX_OFFSETS,
} from './protocol/batchCodecV3.ts'
import { executeBatchV3, type TraceResultV3 } from './protocol/trace.ts'

export const FAULT_KINDS = [
  'wrong-balance',
  'skip-tx',
  'bad-signature',
  'forged-deposit',
  'forged-withdrawal',
  'garbage-batch',
] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

export const FAULT_DESCRIPTIONS: Record<FaultKind, string> = {
  'wrong-balance': 'the proposer credits the recipient of a transfer 1 ETH more than it received',
  'skip-tx': 'the proposer leaves a valid transaction of the batch out of the state',
  'bad-signature':
    'the sequencer posts a transaction whose signature does not verify and the proposer applies it anyway',
  'forged-deposit': 'the proposer credits the attacker 100 ETH from a deposit L1 never queued',
  'forged-withdrawal': 'the proposer adds a 10 ETH withdrawal to the attacker that no L2 transaction made',
  'garbage-batch': 'the sequencer posts undecodable batch data and the proposer claims it executed',
}

export function parseFaultKind(value: string): FaultKind {
  if ((FAULT_KINDS as readonly string[]).includes(value)) return value as FaultKind
  throw new L2kitError(
    'INVALID_ARGUMENTS',
    `unknown fault "${value}": expected one of ${FAULT_KINDS.join(', ')}`,
  )
}

/** Whether the fault changes the batch data on L1 (the batcher must corrupt it) or only the proposal. */
export function faultCorruptsBatch(kind: FaultKind): boolean {
  return kind === 'bad-signature' || kind === 'garbage-batch'
}

/**
 * The bytes a colluding batcher posts instead of `data`, or undefined when this batch cannot carry the fault
 * (bad-signature needs a transaction row): the fault then waits for a later batch.
 */
export function corruptBatchData(kind: FaultKind, data: Uint8Array): Uint8Array | undefined {
  if (kind === 'garbage-batch') {
    const out = data.slice()
    out[0] = 0xff // an unknown version: the whole batch is invalid
    return out
  }
  if (kind === 'bad-signature') {
    const r = lastRowOfType(data, ROW_TYPE.tx)
    if (r === undefined) return undefined
    const out = data.slice()
    const at = V3_HEADER_BYTES + V3_ROW_BYTES * r + V3_TX_OFFSETS.s + 31
    out[at] = (out[at] as number) ^ 0x01 // s changes: the signature recovers someone else (or nobody)
    return out
  }
  return undefined
}

export type FaultInput = {
  /** State before the batch (not modified). */
  pre: L2State
  preBlockNumber: bigint
  /** What the proposer claims the batch is: the data on L1, or the uncorrupted data for faults that corrupt it. */
  data: Uint8Array
  chainId: bigint
  batchDepositCountAfter: bigint
  deposits: (index: bigint) => Deposit | undefined
  /** Who profits from the forged state. */
  attacker: Address
}

export type FaultyTrace = {
  leaves: Hex[]
  end: StateHeader
  stepCount: number
  description: string
  /** The forged state after the batch (what the wrong root commits to; e.g. to build a withdrawal proof). */
  state: L2State
}

/** The trace a dishonest proposer posts for this batch, or undefined when the batch cannot carry the fault. */
export function faultyTrace(kind: FaultKind, input: FaultInput): FaultyTrace | undefined {
  const run = (
    state: L2State,
    data: Uint8Array,
    blockNumber = input.preBlockNumber,
    stopBeforeRow?: number,
  ) =>
    executeBatchV3(state, data, {
      chainId: input.chainId,
      blockNumber,
      batchDepositCountAfter: input.batchDepositCountAfter,
      deposits: input.deposits,
      ...(stopBeforeRow === undefined ? {} : { stopBeforeRow }),
    })
  const finish = (state: L2State, trace: TraceResultV3, leaves = trace.leaves): FaultyTrace => ({
    leaves,
    end: state.stateHeader(trace.blockNumber),
    stepCount: leaves.length - 1,
    description: FAULT_DESCRIPTIONS[kind],
    state,
  })
  if (kind === 'bad-signature' || kind === 'garbage-batch') {
    // The data is the uncorrupted batch: the proposer executes what the sequencer meant, not what L1 holds.
    const state = input.pre.clone()
    const trace = run(state, input.data)
    return trace.valid ? finish(state, trace) : undefined
  }
  const honest = run(input.pre.clone(), input.data)
  if (!honest.valid) return undefined
  // Faults land as late in the batch as they can, so the challenger has to find the first wrong leaf itself.
  const lastAppliedTx = honest.outcomes.findLastIndex((o) => o.kind === 'tx' && o.applied)
  if (kind === 'skip-tx') {
    // Skip a transfer rather than a withdrawal, so the forged state still holds the user's withdrawal and the
    // attack can show a withdrawal proven against the wrong root being refused.
    const lastTransfer = honest.outcomes.findLastIndex(
      (o) => o.kind === 'tx' && o.applied && !o.tx.tx.op.kind.startsWith('withdraw'),
    )
    const skipped = lastTransfer >= 0 ? lastTransfer : lastAppliedTx
    if (skipped < 0) return undefined
    const data = input.data.slice()
    data[V3_HEADER_BYTES + V3_ROW_BYTES * skipped] = 0xff // the proposer treats the row as a no-op
    const state = input.pre.clone()
    return finish(state, run(state, data))
  }
  // The rest change the state after one row (a transaction row for wrong-balance, the first row otherwise) and
  // let the rest of the batch execute on the forged state.
  const rowCount = (input.data.length - V3_HEADER_BYTES) / V3_ROW_BYTES
  // wrong-balance: after the last applied transaction; the forgeries: just before the batch's last block end.
  const row = kind === 'wrong-balance' ? lastAppliedTx : Math.max(0, rowCount - 2)
  if (row < 0) return undefined
  const state = input.pre.clone()
  const prefix = run(state, input.data, input.preBlockNumber, row + 1)
  const snapshot = state.snapshot()
  const outcome = honest.outcomes[row]
  if (kind === 'wrong-balance') {
    const tx = outcome && outcome.kind === 'tx' && outcome.applied ? outcome.tx : undefined
    if (!tx) return undefined
    const op = tx.tx.op
    const beneficiary = op.kind === 'ethTransfer' || op.kind === 'tokenTransfer' ? op.to : tx.sender
    credit(snapshot, beneficiary, 10n ** 18n)
  } else if (kind === 'forged-deposit') {
    credit(snapshot, input.attacker, 100n * 10n ** 18n)
  } else {
    snapshot.withdrawals.push({
      index: String(snapshot.withdrawals.length),
      sender: input.attacker,
      recipient: input.attacker,
      l1Token: '0x0000000000000000000000000000000000000000',
      amount: (10n * 10n ** 18n).toString(),
    })
  }
  const forged = L2State.fromSnapshot({ chainId: input.chainId, baseFee: input.pre.baseFee }, snapshot)
  const leaves = [...prefix.leaves.slice(0, row + 1), stateCommitment(forged.stateHeader(prefix.blockNumber))]
  if (row + 1 === rowCount) return finish(forged, { ...prefix, blockNumber: prefix.blockNumber }, leaves)
  // The remaining rows as a batch of their own, starting where the prefix left off.
  const rest = new Uint8Array(V3_HEADER_BYTES + V3_ROW_BYTES * (rowCount - row - 1))
  rest.set(encodeHeaderV3(prefix.blockNumber + 1n, rowCount - row - 1), 0)
  rest.set(input.data.subarray(V3_HEADER_BYTES + V3_ROW_BYTES * (row + 1)), V3_HEADER_BYTES)
  const tail = run(forged, rest, prefix.blockNumber)
  if (!tail.valid) return undefined
  return finish(forged, tail, [...leaves, ...tail.leaves.slice(1)])
}

function lastRowOfType(data: Uint8Array, type: number): number | undefined {
  const rows = Math.floor((data.length - V3_HEADER_BYTES) / V3_ROW_BYTES)
  for (let r = rows - 1; r >= 0; r--) if (rowAtV3(data, r)[0] === type) return r
  return undefined
}

function credit(snapshot: StateSnapshot, address: Address, amount: bigint): void {
  const lower = address.toLowerCase() as Address
  let account = snapshot.accounts.find((a) => a.address.toLowerCase() === lower)
  if (!account) {
    account = { address: lower, nonce: '0', balances: [] }
    snapshot.accounts.push(account)
  }
  const eth = account.balances.find(([t]) => t === 0)
  if (eth) eth[1] = (BigInt(eth[1]) + amount).toString()
  else account.balances.unshift([0, amount.toString()])
}
