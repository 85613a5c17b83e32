import type { Address, Hex, TransactionReceipt } from 'viem'
import { zkRollupAbi } from '../../generated/contracts.ts'
import { writeContractChecked } from '../l1Tx.ts'
import {
  checkAccountIndex,
  checkAddress,
  checkTokenId,
  priorityRequestOf,
  type ZkL1Clients,
} from './shared.ts'

export type ZkFullExitResult = {
  l1TxHash: Hex
  receipt: TransactionReceipt
  /** the FULL_EXIT request's index in the L1 priority queue */
  requestIndex: bigint
  /** L1 timestamp by which the operator must have processed it in a verified block, else exodus can be activated */
  expiry: bigint
}

/**
 * Asks, from L1, for the whole balance of `token` of account `accountIndex` to be withdrawn to the sender (who must
 * own the account; otherwise the operator processes it with amount 0). It is a priority request: the operator must
 * include it before its expiry or anyone can activate exodus, so an operator cannot censor a withdrawal. Once the
 * block that processes it is verified the amount is credited to the sender's pending balance on the rollup:
 * withdrawPendingBalance pays it out.
 */
export async function requestFullExit(parameters: {
  l1: ZkL1Clients
  rollup: Address
  accountIndex: number
  /** token id: 0 = ETH */
  token: number
}): Promise<ZkFullExitResult> {
  const rollup = checkAddress(parameters.rollup, 'rollup')
  const accountIndex = checkAccountIndex(parameters.accountIndex)
  const token = checkTokenId(parameters.token)
  const { hash, receipt } = await writeContractChecked(parameters.l1, {
    address: rollup,
    abi: zkRollupAbi,
    functionName: 'requestFullExit',
    args: [accountIndex, token],
    what: 'requestFullExit',
  })
  const event = priorityRequestOf(rollup, hash, receipt, 'requestFullExit')
  return { l1TxHash: hash, receipt, requestIndex: event.requestIndex, expiry: event.expiry }
}
