import { type Address, erc20Abi } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { portalAbi } from '../../generated/contracts.ts'
import { writeContractChecked } from '../l1Tx.ts'
import type { AnyPublicClient, AnyWalletClient } from '../types.ts'
import { type DepositResult, depositReceiptOf } from './depositEth.ts'

/**
 * Deposits an ERC-20 through the portal, approving it first if the allowance is short. The first deposit of a
 * token registers it (paying `portal.tokenRegistrationFee(token)` wei, burnt); its L2 address is then `0x42…10`
 * followed by its token index. Gas is estimated with a
 * margin and every receipt is checked (`L1_TX_REVERTED` names the transaction that reverted).
 */
export async function depositErc20(
  l1: { walletClient: AnyWalletClient; publicClient: AnyPublicClient },
  parameters: { portal: Address; token: Address; amount: bigint; to?: Address },
): Promise<DepositResult & { approveTxHash?: `0x${string}` }> {
  if (parameters.amount <= 0n) throw new L2kitError('INVALID_AMOUNT', 'a deposit must be more than 0')
  const owner = l1.walletClient.account.address
  const to = parameters.to ?? owner
  const allowance = await l1.publicClient.readContract({
    address: parameters.token,
    abi: erc20Abi,
    functionName: 'allowance',
    args: [owner, parameters.portal],
  })
  let approveTxHash: `0x${string}` | undefined
  if (allowance < parameters.amount) {
    approveTxHash = (
      await writeContractChecked(l1, {
        address: parameters.token,
        abi: erc20Abi,
        functionName: 'approve',
        args: [parameters.portal, parameters.amount],
        what: 'approve',
      })
    ).hash
  }
  // The first deposit of a token registers it and must send exactly its registration fee (burnt by the
  // portal); a registered token's fee is 0. Read just before sending: another registration in between changes it.
  const registrationFee = await l1.publicClient.readContract({
    address: parameters.portal,
    abi: portalAbi,
    functionName: 'tokenRegistrationFee',
    args: [parameters.token],
  })
  const { hash, receipt } = await writeContractChecked(l1, {
    address: parameters.portal,
    abi: portalAbi,
    functionName: 'depositERC20',
    args: [parameters.token, to, parameters.amount],
    value: registrationFee,
    what: 'depositERC20',
  })
  const result = depositReceiptOf(hash, receipt)
  return approveTxHash ? { ...result, approveTxHash } : result
}
