import { type Address, type Hex, parseEventLogs, type TransactionReceipt } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { l2BridgeAbi } from '../../generated/contracts.ts'
import { writeContractChecked } from '../l1Tx.ts'
import type { AnyPublicClient, AnyWalletClient } from '../types.ts'
import { getSidechainInfo, type SidechainChain } from './shared.ts'

export type WithdrawFromSidechainParameters = {
  chain: Pick<SidechainChain, 'rpcUrl'>
  /** Clients on the sidechain (any validator's JSON-RPC). */
  wallet: AnyWalletClient
  publicClient: AnyPublicClient
  amount: bigint
  /** A bridged ERC-20 on the sidechain (its `BridgedERC20`); default ETH. */
  l2Token?: Address
  /** Who is paid on L1 (default: the sender). */
  to?: Address
}

export type WithdrawFromSidechainResult = {
  withdrawalId: bigint
  txHash: Hex
  blockNumber: bigint
  receipt: TransactionReceipt
}

/**
 * Burns ETH or a bridged ERC-20 on the sidechain (`L2Bridge.withdraw` / `withdrawToken`). L1 pays it once the
 * checkpoint covering its block is accepted: then `proveAndFinalizeSidechainWithdrawal`.
 */
export async function withdrawFromSidechain(
  p: WithdrawFromSidechainParameters,
): Promise<WithdrawFromSidechainResult> {
  if (typeof p.amount !== 'bigint' || p.amount <= 0n)
    throw new L2kitError('INVALID_AMOUNT', `a withdrawal must be more than 0, got ${String(p.amount)}`)
  const { l2Bridge } = await getSidechainInfo(p.chain)
  const to = p.to ?? p.wallet.account.address
  const l2 = { walletClient: p.wallet, publicClient: p.publicClient }
  const sent =
    p.l2Token === undefined
      ? await writeContractChecked(l2, {
          address: l2Bridge,
          abi: l2BridgeAbi,
          functionName: 'withdraw',
          args: [to],
          value: p.amount,
          what: 'sidechain withdrawal',
        })
      : await writeContractChecked(l2, {
          address: l2Bridge,
          abi: l2BridgeAbi,
          functionName: 'withdrawToken',
          args: [p.l2Token, to, p.amount],
          what: 'sidechain withdrawal',
        })
  const [event] = parseEventLogs({
    abi: l2BridgeAbi,
    logs: sent.receipt.logs,
    eventName: 'WithdrawalInitiated',
  })
  if (event === undefined)
    throw new L2kitError('L1_TX_REVERTED', `withdrawal ${sent.hash} emitted no WithdrawalInitiated event`)
  return {
    withdrawalId: (event.args as { id: bigint }).id,
    txHash: sent.hash,
    blockNumber: sent.receipt.blockNumber,
    receipt: sent.receipt,
  }
}
