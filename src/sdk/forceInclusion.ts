import { type Address, type Hex, parseEventLogs } from 'viem'
import { L2kitError } from '../core/errors.ts'
import { rollupAbi } from '../generated/contracts.ts'
import type { AnyPublicClient, AnyWalletClient } from './types.ts'

/** Most queued transactions one forced batch takes (the Rollup's limit). */
export const MAX_FORCED_ROWS = 64

export type ForcedInclusion = { l1TxHash: Hex; batchIndex: bigint; included: number }

/**
 * Forces every queued transaction whose inclusion window has passed (up to 64, in queue order) into the canonical
 * order: anyone may call it, no trust in the sequencer needed. Returns undefined when nothing is due.
 */
export async function forceInclusion(
  l1: { walletClient: AnyWalletClient; publicClient: AnyPublicClient },
  parameters: {
    rollup: Address
    fromBlock?: bigint
    /** Deposits the forced batch's deposit rows may apply up to (the Rollup checks the last one is due). */
    dueDepositCount?: bigint
    /** Deposit rows before the transaction rows (0..64). */
    depositRows?: number
  },
): Promise<ForcedInclusion | undefined> {
  const { rollup } = parameters
  const read = <T>(functionName: 'forcedIncludedCount' | 'forcedTxCount' | 'inclusionWindow') =>
    l1.publicClient.readContract({ address: rollup, abi: rollupAbi, functionName }) as Promise<T>
  const [included, queued, window, head] = await Promise.all([
    read<bigint>('forcedIncludedCount'),
    read<bigint>('forcedTxCount'),
    read<bigint>('inclusionWindow'),
    l1.publicClient.getBlock(),
  ])
  if (included >= queued) return undefined
  const events = await l1.publicClient.getContractEvents({
    address: rollup,
    abi: rollupAbi,
    eventName: 'ForcedTxQueued',
    fromBlock: parameters.fromBlock ?? 0n,
    strict: true,
  })
  const byIndex = new Map(events.map((e) => [e.args.index, e.args]))
  // The block that includes our call is at least as late as the head, and on an L1 that mines on demand
  // (anvil) it carries the wall clock: an idle devnet's head alone would never look due.
  const now = BigInt(Math.max(Number(head.timestamp), Math.floor(Date.now() / 1000)))
  const rows: Hex[] = []
  for (let i = included; i < queued && rows.length < MAX_FORCED_ROWS; i++) {
    const e = byIndex.get(i)
    if (!e) throw new L2kitError('L1_EVENT_MISSING', `no ForcedTxQueued event for forced transaction ${i}`)
    if (BigInt(e.queuedAt) + window > now) break
    rows.push(e.row)
  }
  if (rows.length === 0) return undefined
  const hash = await l1.walletClient.writeContract({
    address: rollup,
    abi: rollupAbi,
    functionName: 'appendForcedBatch',
    args: [rows, parameters.dueDepositCount ?? 0n, parameters.depositRows ?? 0],
    chain: l1.walletClient.chain,
    account: l1.walletClient.account,
  })
  const receipt = await l1.publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new L2kitError('L1_TX_REVERTED', `appendForcedBatch ${hash} reverted`)
  const [event] = parseEventLogs({ abi: rollupAbi, logs: receipt.logs, eventName: 'ForcedBatchAppended' })
  if (!event) throw new L2kitError('L1_EVENT_MISSING', `appendForcedBatch ${hash} emitted no ForcedBatchAppended`)
  return { l1TxHash: hash, batchIndex: event.args.batchIndex, included: rows.length }
}
