import { type Address, type Hex, parseEventLogs, type TransactionReceipt } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { zkRollupAbi } from '../../generated/contracts.ts'
import { writeContractChecked } from '../l1Tx.ts'
import { checkAddress, revertName, type ZkL1Clients } from './shared.ts'

export type ZkExodusActivation = {
  l1TxHash: Hex
  receipt: TransactionReceipt
  /** the expired priority request that allowed it */
  requestIndex: bigint
  expiry: bigint
}

/**
 * Activates exodus mode: possible (for anyone) once the oldest priority request not in a verified block is past
 * its expiry (the operator censored or stopped). Commits and verifications stop for good; everyone then leaves with
 * exodusWithdraw, and deposits never verified are refunded (refundOutstandingDeposits).
 *
 * The contract decides (its check uses the timestamp of the block that includes the call); its refusals come back
 * typed: `WITHDRAWAL_NOT_READY` when the request has not expired yet or every request is verified,
 * `UNSUPPORTED_OPERATION` when exodus is already active.
 */
export async function activateZkExodusMode(parameters: {
  l1: ZkL1Clients
  rollup: Address
}): Promise<ZkExodusActivation> {
  const rollup = checkAddress(parameters.rollup, 'rollup')
  let sent: { hash: Hex; receipt: TransactionReceipt }
  try {
    sent = await writeContractChecked(parameters.l1, {
      address: rollup,
      abi: zkRollupAbi,
      functionName: 'activateExodusMode',
      args: [],
      what: 'activateExodusMode',
    })
  } catch (err) {
    const name = revertName(err)
    if (name === 'PriorityRequestNotExpired' || name === 'NoPendingPriorityRequest') {
      throw new L2kitError(
        'WITHDRAWAL_NOT_READY',
        name === 'NoPendingPriorityRequest'
          ? `every priority request of rollup ${rollup} is in a verified block: exodus cannot be activated`
          : `the oldest unverified priority request of rollup ${rollup} has not expired yet: exodus cannot be activated`,
        { details: { rollup, revert: name }, cause: err },
      )
    }
    if (name === 'ExodusModeActive') {
      throw new L2kitError('UNSUPPORTED_OPERATION', `rollup ${rollup} is already in exodus mode`, {
        cause: err,
      })
    }
    throw err
  }
  const event = parseEventLogs({ abi: zkRollupAbi, logs: sent.receipt.logs, eventName: 'ExodusMode' })[0]
  if (!event) {
    throw new L2kitError('L1_EVENT_MISSING', `activateExodusMode ${sent.hash} emitted no ExodusMode event`)
  }
  return {
    l1TxHash: sent.hash,
    receipt: sent.receipt,
    requestIndex: event.args.requestIndex,
    expiry: event.args.expiry,
  }
}
