import { type Address, decodeFunctionData, type Hex, parseEventLogs } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { portalAbi, rollupAbi } from '../../generated/contracts.ts'
import { writeContractChecked } from '../l1Tx.ts'
import type { AnyPublicClient, AnyWalletClient } from '../types.ts'

/** Most queued transactions, and most deposit rows, one forced batch takes (the Rollup's limits). */
export const MAX_FORCED_ROWS = 64

export type ForcedInclusion = {
  l1TxHash: Hex
  batchIndex: bigint
  /** Queued transactions forced in. */
  included: number
  /** Deposit rows forced in (deposits `forcedDepositCount … dueDepositCount`). */
  depositRows: number
}

/**
 * Forces into the canonical order what a sequencer left out past the Rollup's inclusion window, in one forced
 * batch: every due queued transaction (up to 64, queue order) and, with `portal`, the due deposits no forced batch
 * covered yet (up to 64; a deposit the sequencer already applied is a no-op row). Anyone may call it; no trust in
 * the sequencer. Returns undefined when nothing is due.
 */
export async function forceInclusion(
  l1: { walletClient: AnyWalletClient; publicClient: AnyPublicClient },
  parameters: { rollup: Address; portal?: Address; fromBlock?: bigint },
): Promise<ForcedInclusion | undefined> {
  // A forced batch must take every due queued transaction; one that becomes due between our reading of the clock
  // and the including block makes the call revert (DueForcedTxLeftOut): read again and retry. The other way round,
  // the gas estimate runs on a block whose time can lag the wall clock we judged "due" by (an L1 that mines on
  // demand): a row due by our clock is not yet due there (ForcedTxNotDue / ForcedDepositNotDue): wait a moment
  // for L1's clock and retry.
  for (let attempt = 1; ; attempt++) {
    try {
      return await forceInclusionOnce(l1, parameters)
    } catch (error) {
      const text =
        error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause)}` : ''
      const notDueYet = /ForcedTxNotDue|ForcedDepositNotDue/.test(text)
      if (attempt >= 4 || !(notDueYet || /DueForcedTxLeftOut/.test(text))) throw error
      if (notDueYet) await new Promise((r) => setTimeout(r, 1_000))
    }
  }
}

async function forceInclusionOnce(
  l1: { walletClient: AnyWalletClient; publicClient: AnyPublicClient },
  parameters: { rollup: Address; portal?: Address; fromBlock?: bigint },
): Promise<ForcedInclusion | undefined> {
  const { rollup, portal } = parameters
  const client = l1.publicClient
  const read = <T>(functionName: 'forcedIncludedCount' | 'forcedTxCount' | 'inclusionWindow') =>
    client.readContract({ address: rollup, abi: rollupAbi, functionName }) as Promise<T>
  const [included, queued, window, head] = await Promise.all([
    read<bigint>('forcedIncludedCount'),
    read<bigint>('forcedTxCount'),
    read<bigint>('inclusionWindow'),
    client.getBlock(),
  ])
  // The block that includes our call is at least as late as the head, and on an L1 that mines on demand
  // (anvil) it carries the wall clock: an idle devnet's head alone would never look due.
  const now = BigInt(Math.max(Number(head.timestamp), Math.floor(Date.now() / 1000)))
  const rows: Hex[] = []
  if (included < queued) {
    const events = await client.getContractEvents({
      address: rollup,
      abi: rollupAbi,
      eventName: 'ForcedTxQueued',
      fromBlock: parameters.fromBlock ?? 0n,
      strict: true,
    })
    const byIndex = new Map(events.map((e) => [e.args.index, e.args]))
    for (let i = included; i < queued && rows.length < MAX_FORCED_ROWS; i++) {
      const e = byIndex.get(i)
      if (!e) throw new L2kitError('L1_EVENT_MISSING', `no ForcedTxQueued event for forced transaction ${i}`)
      if (BigInt(e.queuedAt) + window > now) break
      rows.push(e.row)
    }
  }
  let due = 0n
  let depositRows = 0
  if (portal) {
    const [forced, count] = await Promise.all([
      syncForcedDeposits(l1, rollup, parameters.fromBlock),
      client.readContract({ address: portal, abi: portalAbi, functionName: 'depositCount' }),
    ])
    due = forced
    while (due < count && due - forced < BigInt(MAX_FORCED_ROWS)) {
      const queuedAt = await client.readContract({
        address: portal,
        abi: portalAbi,
        functionName: 'depositQueuedAt',
        args: [due],
      })
      if (BigInt(queuedAt) + window > now) break
      due++
    }
    depositRows = Number(due - forced)
  }
  if (rows.length === 0 && depositRows === 0) return undefined
  const { hash, receipt } = await writeContractChecked(l1, {
    address: rollup,
    abi: rollupAbi,
    functionName: 'appendForcedBatch',
    args: [rows, depositRows > 0 ? due : 0n, depositRows],
    what: 'appendForcedBatch',
  })
  const [event] = parseEventLogs({ abi: rollupAbi, logs: receipt.logs, eventName: 'ForcedBatchAppended' })
  if (!event)
    throw new L2kitError('L1_EVENT_MISSING', `appendForcedBatch ${hash} emitted no ForcedBatchAppended`)
  return { l1TxHash: hash, batchIndex: event.args.batchIndex, included: rows.length, depositRows }
}

/**
 * Moves the Rollup's forced-deposit counter up to the newest finalized state's deposit count
 * (`syncForcedDepositCount`), when that saves deposit rows: deposits a finalized state applied need none. The
 * state header is read from the proposing transaction's input. Returns the counter.
 */
export async function syncForcedDeposits(
  l1: { walletClient: AnyWalletClient; publicClient: AnyPublicClient },
  rollup: Address,
  fromBlock?: bigint,
): Promise<bigint> {
  const client = l1.publicClient
  const [forced, [exists, proposalIndex]] = await Promise.all([
    client.readContract({ address: rollup, abi: rollupAbi, functionName: 'forcedDepositCount' }),
    client.readContract({ address: rollup, abi: rollupAbi, functionName: 'latestFinalizedProposal' }),
  ])
  if (!exists) return forced
  const [event] = await client.getContractEvents({
    address: rollup,
    abi: rollupAbi,
    eventName: 'StateRootProposed',
    args: { proposalIndex },
    fromBlock: fromBlock ?? 0n,
    strict: true,
  })
  if (!event) return forced
  const tx = await client.getTransaction({ hash: event.transactionHash })
  let end: { depositCount: bigint } & Record<string, unknown>
  try {
    const call = decodeFunctionData({ abi: rollupAbi, data: tx.input })
    if (call.functionName !== 'propose' && call.functionName !== 'proposeCalldata') return forced
    end = call.args[2] as typeof end
  } catch {
    return forced // proposed through another contract: its header is not in the input
  }
  if (BigInt(end.depositCount) <= forced) return forced
  await writeContractChecked(l1, {
    address: rollup,
    abi: rollupAbi,
    functionName: 'syncForcedDepositCount',
    args: [proposalIndex, end as never],
    what: 'syncForcedDepositCount',
  })
  return BigInt(end.depositCount)
}
