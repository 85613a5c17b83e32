import { type Address, type Hex, parseEventLogs } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { decodeRawTransaction } from '../../core/l2tx.ts'
import { rollupAbi } from '../../generated/contracts.ts'
import { encodeTxRowV3 } from '../../optimistic/protocol/batchCodecV3.ts'
import { writeContractChecked } from '../l1Tx.ts'
import type { AnyPublicClient, AnyWalletClient } from '../types.ts'

export type ForcedTransaction = {
  l1TxHash: Hex
  /** Position in the Rollup's forced queue. */
  forcedIndex: bigint
  queuedAt: number
  /** From this L1 time on anyone can force it into the canonical order (`forceInclusion`). */
  dueAt: number
}

/**
 * Queues a signed L2 transaction on L1 (censorship resistance): the sequencer must include it within the Rollup's
 * inclusion window, and after the window anyone can force it in with `forceInclusion`. The transaction is checked
 * and encoded exactly as batches carry it (a v3 row), so a malformed one is refused here, not silently ignored.
 * Queuing burns the Rollup's `forcedTxFee()` (300k gas at the L1 base fee), which prices floods of the queue.
 */
export async function forceTransaction(
  l1: { walletClient: AnyWalletClient; publicClient: AnyPublicClient },
  parameters: { rollup: Address; signedTransaction: Hex; l2ChainId: bigint },
): Promise<ForcedTransaction> {
  const { tx } = decodeRawTransaction(parameters.signedTransaction, { chainId: parameters.l2ChainId })
  const row = encodeTxRowV3(tx)
  // The Rollup burns FORCED_TX_FEE_GAS at the including block's base fee (anti-flood); send half again as much
  // so a rising base fee cannot make it revert: the excess comes back in the same transaction.
  const fee = await l1.publicClient.readContract({
    address: parameters.rollup,
    abi: rollupAbi,
    functionName: 'forcedTxFee',
  })
  const { hash, receipt } = await writeContractChecked(l1, {
    address: parameters.rollup,
    abi: rollupAbi,
    functionName: 'queueForcedTx',
    args: [`0x${Buffer.from(row).toString('hex')}`],
    value: fee + fee / 2n + 1n,
    what: 'queueForcedTx',
  })
  const [event] = parseEventLogs({ abi: rollupAbi, logs: receipt.logs, eventName: 'ForcedTxQueued' })
  if (!event)
    throw new L2kitError('L1_EVENT_MISSING', `queueForcedTx ${hash} emitted no ForcedTxQueued event`)
  const window = await l1.publicClient.readContract({
    address: parameters.rollup,
    abi: rollupAbi,
    functionName: 'inclusionWindow',
  })
  const queuedAt = Number(event.args.queuedAt)
  return { l1TxHash: hash, forcedIndex: event.args.index, queuedAt, dueAt: queuedAt + Number(window) }
}
