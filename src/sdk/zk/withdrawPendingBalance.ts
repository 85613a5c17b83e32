import { type Address, type Hex, parseEventLogs, type TransactionReceipt } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { zkRollupAbi } from '../../generated/contracts.ts'
import { writeContractChecked } from '../l1Tx.ts'
import { checkAddress, checkTokenId, type ZkL1Clients } from './shared.ts'

export type ZkPendingWithdrawalResult = {
  l1TxHash: Hex
  receipt: TransactionReceipt
  /** base units (wei for ETH) paid to `owner` */
  amount: bigint
}

/**
 * Pays `owner` (default: the sender; anyone may pay anyone) their whole pending balance of token id `token` on the
 * rollup: what verified withdrawals, full exits and exodus deposit refunds credited. Refuses with
 * `WITHDRAWAL_NOT_READY` when nothing is pending (a withdrawal's block may not be verified yet).
 */
export async function withdrawPendingBalance(parameters: {
  l1: ZkL1Clients
  rollup: Address
  token: number
  owner?: Address
}): Promise<ZkPendingWithdrawalResult> {
  const { l1 } = parameters
  const rollup = checkAddress(parameters.rollup, 'rollup')
  const token = checkTokenId(parameters.token)
  const owner = checkAddress(parameters.owner ?? l1.walletClient.account.address, 'owner')
  const pending = await l1.publicClient.readContract({
    address: rollup,
    abi: zkRollupAbi,
    functionName: 'pendingBalance',
    args: [owner, token],
  })
  if (pending === 0n) {
    throw new L2kitError(
      'WITHDRAWAL_NOT_READY',
      `${owner} has no pending balance of token ${token} on rollup ${rollup} (is the withdrawal's block verified yet?)`,
      { details: { owner, token, rollup } },
    )
  }
  const { hash, receipt } = await writeContractChecked(l1, {
    address: rollup,
    abi: zkRollupAbi,
    functionName: 'withdrawPendingBalance',
    args: [owner, token],
    what: 'withdrawPendingBalance',
  })
  const paid = parseEventLogs({ abi: zkRollupAbi, logs: receipt.logs, eventName: 'WithdrawalPaid' }).find(
    (e) => e.address.toLowerCase() === rollup.toLowerCase(),
  )
  return { l1TxHash: hash, receipt, amount: paid?.args.amount ?? pending }
}
