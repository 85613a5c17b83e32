import type { Address, Hex } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { portalAbi } from '../../generated/contracts.ts'
import { writeContractChecked } from '../l1Tx.ts'
import type { AnyPublicClient, AnyWalletClient } from '../types.ts'
import { getWithdrawalStatus, type WithdrawalStatus } from './getWithdrawalStatus.ts'

type Tuple<T, N extends number, R extends T[] = []> = R['length'] extends N ? R : Tuple<T, N, [...R, T]>

function siblingsTuple(siblings: readonly Hex[]): Tuple<Hex, 32> {
  if (siblings.length !== 32)
    throw new L2kitError('INVALID_PROOF', `a withdrawal proof has 32 siblings, got ${siblings.length}`)
  return [...siblings] as Tuple<Hex, 32>
}

export type FinalizedWithdrawal = {
  l1TxHash: Hex
  l1GasUsed: bigint
  l1FeeWei: bigint
  amount: bigint
  recipient: Address
  l1Token: Address
}

/**
 * Proves a withdrawal against a finalized state root and pays it out on L1, in one portal call. With
 * `wait`, it first waits (polling, reporting progress) until the covering root is past its challenge window.
 */
export async function proveAndFinalizeWithdrawal(
  clients: {
    l1WalletClient: AnyWalletClient
    l1PublicClient: AnyPublicClient
    l2PublicClient: AnyPublicClient
  },
  parameters: {
    portal: Address
    withdrawalIndex: bigint
    wait?: boolean
    pollIntervalMs?: number
    timeoutMs?: number
    onProgress?: (status: WithdrawalStatus) => void
  },
): Promise<FinalizedWithdrawal> {
  const deadline = Date.now() + (parameters.timeoutMs ?? 15 * 60_000)
  for (;;) {
    const status = await getWithdrawalStatus(clients.l2PublicClient, parameters.withdrawalIndex)
    parameters.onProgress?.(status)
    if (status.status === 'finalized') {
      throw new L2kitError(
        'WITHDRAWAL_ALREADY_FINALIZED',
        `withdrawal ${parameters.withdrawalIndex} was already paid out on L1`,
      )
    }
    if (status.status === 'ready-to-finalize') {
      const { proof } = status
      const w = proof.withdrawal
      const amount = BigInt(w.amount)
      const { hash, receipt } = await writeContractChecked(
        { walletClient: clients.l1WalletClient, publicClient: clients.l1PublicClient },
        {
          address: parameters.portal,
          abi: portalAbi,
          functionName: 'finalizeWithdrawal',
          args: [
            BigInt(proof.proposalIndex),
            { index: BigInt(w.index), sender: w.sender, recipient: w.recipient, l1Token: w.l1Token, amount },
            proof.accountsRoot,
            siblingsTuple(proof.siblings),
          ],
          what: 'finalizeWithdrawal',
        },
      )
      return {
        l1TxHash: hash,
        l1GasUsed: receipt.gasUsed,
        l1FeeWei: receipt.gasUsed * receipt.effectiveGasPrice,
        amount,
        recipient: w.recipient,
        l1Token: w.l1Token,
      }
    }
    if (!parameters.wait) {
      throw new L2kitError(
        'WITHDRAWAL_NOT_READY',
        `withdrawal ${parameters.withdrawalIndex} is not final yet (${status.status})`,
        {
          kind: 'temporary',
          details: { status: status.status },
        },
      )
    }
    if (Date.now() > deadline)
      throw new L2kitError('TIMEOUT', `withdrawal ${parameters.withdrawalIndex} did not become final in time`)
    await new Promise((r) => setTimeout(r, parameters.pollIntervalMs ?? 1_000))
  }
}
