import { type Address, encodeFunctionData, type Hex, parseAbi, parseEventLogs } from 'viem'
import { L2_BRIDGE_ADDRESS } from '../../core/constants.ts'
import { L2kitError } from '../../core/errors.ts'
import type { AnyPublicClient, AnyWalletClient } from '../types.ts'

export const l2BridgeAbi = parseAbi([
  'function withdrawETH(address l1Recipient) payable',
  'function withdrawERC20(address l2Token, address l1Recipient, uint256 amount)',
  'event WithdrawalInitiated(uint256 indexed withdrawalIndex, address indexed sender, address indexed recipient, address l1Token, uint256 amount)',
])

export type InitiatedWithdrawal = { l2TxHash: Hex; withdrawalIndex: bigint; l2BlockNumber: bigint }

/**
 * Starts a withdrawal on L2 (burns the amount there). It can be finalized on L1 once a state root covering
 * it has passed the challenge window: see getWithdrawalStatus and proveAndFinalizeWithdrawal.
 */
export async function initiateWithdrawal(
  l2: { walletClient: AnyWalletClient; publicClient: AnyPublicClient },
  parameters: { amount: bigint; recipient?: Address; l2Token?: Address },
): Promise<InitiatedWithdrawal> {
  const recipient = parameters.recipient ?? l2.walletClient.account.address
  const hash = parameters.l2Token
    ? await l2.walletClient.sendTransaction({
        to: L2_BRIDGE_ADDRESS,
        data: encodeFunctionData({
          abi: l2BridgeAbi,
          functionName: 'withdrawERC20',
          args: [parameters.l2Token, recipient, parameters.amount],
        }),
        chain: l2.walletClient.chain,
        account: l2.walletClient.account,
      })
    : await l2.walletClient.sendTransaction({
        to: L2_BRIDGE_ADDRESS,
        value: parameters.amount,
        data: encodeFunctionData({ abi: l2BridgeAbi, functionName: 'withdrawETH', args: [recipient] }),
        chain: l2.walletClient.chain,
        account: l2.walletClient.account,
      })
  const receipt = await l2.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 100 })
  if (receipt.status !== 'success')
    throw new L2kitError('L2_TX_FAILED', `withdrawal transaction ${hash} failed on L2`, {
      details: { txHash: hash },
    })
  const [event] = parseEventLogs({ abi: l2BridgeAbi, logs: receipt.logs, eventName: 'WithdrawalInitiated' })
  if (!event) throw new L2kitError('L2_EVENT_MISSING', `withdrawal ${hash} has no WithdrawalInitiated log`)
  return { l2TxHash: hash, withdrawalIndex: event.args.withdrawalIndex, l2BlockNumber: receipt.blockNumber }
}
