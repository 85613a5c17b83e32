import { type Address, type Hex, parseEventLogs, type TransactionReceipt } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { portalAbi } from '../../generated/contracts.ts'
import { requireSuccess, writeContractChecked } from '../l1Tx.ts'
import type { AnyPublicClient, AnyWalletClient } from '../types.ts'

export type DepositResult = {
  l1TxHash: Hex
  depositIndex: bigint
  l1BlockNumber: bigint
  l1GasUsed: bigint
  l1FeeWei: bigint
}

/**
 * Locks ETH in the L1 portal; the sequencer credits `to` (default: the sender) on L2 once it sees the deposit.
 * The gas limit is the estimate plus a margin (see l1Tx.ts: a deposit that opens a new storage slot costs more
 * than the one estimated before it), and a reverted deposit throws `L1_TX_REVERTED` naming its hash.
 */
export async function depositEth(
  l1: { walletClient: AnyWalletClient; publicClient: AnyPublicClient },
  parameters: { portal: Address; amount: bigint; to?: Address },
): Promise<DepositResult> {
  if (parameters.amount <= 0n) throw new L2kitError('INVALID_AMOUNT', 'a deposit must be more than 0 wei')
  const to = parameters.to ?? l1.walletClient.account.address
  const { hash, receipt } = await writeContractChecked(l1, {
    address: parameters.portal,
    abi: portalAbi,
    functionName: 'depositETH',
    args: [to],
    value: parameters.amount,
    what: 'depositETH',
  })
  return depositReceiptOf(hash, receipt)
}

/** Waits for a deposit's L1 receipt and reads its queue index from the `DepositQueued` event. */
export async function depositReceipt(publicClient: AnyPublicClient, hash: Hex): Promise<DepositResult> {
  return depositReceiptOf(hash, await requireSuccess(publicClient, hash, 'deposit'))
}

/** The deposit index and costs from a successful deposit receipt (its `DepositQueued` event). */
export function depositReceiptOf(hash: Hex, receipt: TransactionReceipt): DepositResult {
  const [event] = parseEventLogs({ abi: portalAbi, logs: receipt.logs, eventName: 'DepositQueued' })
  if (!event)
    throw new L2kitError('L1_EVENT_MISSING', `deposit transaction ${hash} emitted no DepositQueued event`)
  return {
    l1TxHash: hash,
    depositIndex: event.args.depositIndex,
    l1BlockNumber: receipt.blockNumber,
    l1GasUsed: receipt.gasUsed,
    l1FeeWei: receipt.gasUsed * receipt.effectiveGasPrice,
  }
}
