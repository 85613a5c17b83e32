import { type Address, erc20Abi } from 'viem'
import { L2kitError } from '../core/errors.ts'
import { portalAbi } from '../generated/contracts.ts'
import { type DepositResult, depositReceipt } from './depositEth.ts'
import type { AnyPublicClient, AnyWalletClient } from './types.ts'

/**
 * Deposits an ERC-20 through the portal, approving it first if the allowance is short. The first deposit of a
 * token registers it; its L2 address is then `0x42…10` followed by its token index.
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
    approveTxHash = await l1.walletClient.writeContract({
      address: parameters.token,
      abi: erc20Abi,
      functionName: 'approve',
      args: [parameters.portal, parameters.amount],
      chain: l1.walletClient.chain,
      account: l1.walletClient.account,
    })
    await l1.publicClient.waitForTransactionReceipt({ hash: approveTxHash })
  }
  const hash = await l1.walletClient.writeContract({
    address: parameters.portal,
    abi: portalAbi,
    functionName: 'depositERC20',
    args: [parameters.token, to, parameters.amount],
    chain: l1.walletClient.chain,
    account: l1.walletClient.account,
  })
  const result = await depositReceipt(l1.publicClient, hash)
  return approveTxHash ? { ...result, approveTxHash } : result
}
