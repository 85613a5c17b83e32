import { isL2kitError } from '../../core/errors.ts'
import type { WithdrawalProof } from '../../optimistic/protocol/rpcSchema.ts'
import type { AnyPublicClient } from '../types.ts'
import { requestL2kit } from './requestL2kit.ts'

/** The proof `Portal.finalizeWithdrawal` takes, as the L2 node's `l2kit_getWithdrawalProof` returns it. */
export type { WithdrawalProof }

export type WithdrawalStatus =
  | { status: 'waiting-for-proposal'; reason: string }
  | { status: 'in-challenge-window'; secondsLeft: number; proof: WithdrawalProof }
  | { status: 'ready-to-finalize'; proof: WithdrawalProof }
  | { status: 'finalized'; proof: WithdrawalProof }

export async function getWithdrawalProof(
  l2Client: AnyPublicClient,
  withdrawalIndex: bigint,
): Promise<WithdrawalProof> {
  return requestL2kit(l2Client, 'l2kit_getWithdrawalProof', [`0x${withdrawalIndex.toString(16)}`])
}

/** Where a withdrawal stands: not yet covered by a proposed root, in its challenge window, ready, or paid. */
export async function getWithdrawalStatus(
  l2Client: AnyPublicClient,
  withdrawalIndex: bigint,
): Promise<WithdrawalStatus> {
  let proof: WithdrawalProof
  try {
    proof = await getWithdrawalProof(l2Client, withdrawalIndex)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    if (isL2kitError(err) || /WITHDRAWAL_NOT|not in a batch|no state root/.test(message)) {
      return { status: 'waiting-for-proposal', reason: message.split('\n')[0] ?? message }
    }
    throw err
  }
  if (proof.finalized) return { status: 'finalized', proof }
  if (proof.secondsToFinality > 0)
    return { status: 'in-challenge-window', secondsLeft: proof.secondsToFinality, proof }
  return { status: 'ready-to-finalize', proof }
}
