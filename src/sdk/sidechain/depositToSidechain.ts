import { type Address, type Hex, parseEventLogs, type TransactionReceipt } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { sidechainBridgeAbi } from '../../generated/contracts.ts'
import { approveIfNeeded, writeContractChecked } from '../l1Tx.ts'
import { ETH_TOKEN, type SidechainL1Clients } from './shared.ts'

export type DepositToSidechainParameters = {
  l1: SidechainL1Clients
  /** The L1 SidechainBridge. */
  bridge: Address
  amount: bigint
  /** An L1 ERC-20 (approved for exactly `amount` first when needed); default ETH. */
  token?: Address
  /** Who receives it on the sidechain (default: the sender). */
  to?: Address
}

export type DepositToSidechainResult = {
  depositId: bigint
  txHash: Hex
  receipt: TransactionReceipt
  approveTxHash?: Hex
}

/**
 * Locks ETH or an ERC-20 in the L1 bridge. The validators mint it on the sidechain once the deposit is the
 * configured number of L1 blocks deep (ETH as native balance, an ERC-20 as its `BridgedERC20`).
 */
export async function depositToSidechain(p: DepositToSidechainParameters): Promise<DepositToSidechainResult> {
  const to = p.to ?? p.l1.walletClient.account.address
  const token = (p.token ?? ETH_TOKEN).toLowerCase() as Address
  if (typeof p.amount !== 'bigint' || p.amount <= 0n)
    throw new L2kitError('INVALID_AMOUNT', `a deposit must be more than 0, got ${String(p.amount)}`)
  let approveTxHash: Hex | undefined
  let sent: { hash: Hex; receipt: TransactionReceipt }
  if (token === ETH_TOKEN) {
    sent = await writeContractChecked(p.l1, {
      address: p.bridge,
      abi: sidechainBridgeAbi,
      functionName: 'depositETH',
      args: [to],
      value: p.amount,
      what: 'sidechain deposit',
    })
  } else {
    approveTxHash = await approveIfNeeded(p.l1, {
      token,
      spender: p.bridge,
      amount: p.amount,
      what: 'ERC-20 approve for a sidechain deposit',
    })
    sent = await writeContractChecked(p.l1, {
      address: p.bridge,
      abi: sidechainBridgeAbi,
      functionName: 'depositERC20',
      args: [token, to, p.amount],
      what: 'sidechain deposit',
    })
  }
  const [event] = parseEventLogs({ abi: sidechainBridgeAbi, logs: sent.receipt.logs, eventName: 'Deposited' })
  if (event === undefined)
    throw new L2kitError('L1_TX_REVERTED', `deposit ${sent.hash} emitted no Deposited event`)
  return {
    depositId: (event.args as { id: bigint }).id,
    txHash: sent.hash,
    receipt: sent.receipt,
    ...(approveTxHash ? { approveTxHash } : {}),
  }
}
