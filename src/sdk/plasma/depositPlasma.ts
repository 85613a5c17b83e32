import { type Address, type Hex, parseEventLogs, type TransactionReceipt } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { plasmaFrameworkAbi } from '../../generated/contracts.ts'
import { approveIfNeeded, writeContractChecked } from '../l1Tx.ts'
import { ETH_TOKEN, type PlasmaL1Clients } from './shared.ts'

export type DepositPlasmaParameters = {
  l1: PlasmaL1Clients
  framework: Address
  amount: bigint
  /** an ERC-20 (approved for `amount` first if needed); default ETH */
  token?: Address
  /** who owns the deposit on the Plasma chain (default: the sender) */
  owner?: Address
}

export type DepositPlasmaResult = {
  /** the deposit block: the output's position is `blknum · 10^9` */
  blknum: bigint
  utxoPos: bigint
  txHash: Hex
  receipt: TransactionReceipt
  approveTxHash?: Hex
}

/** Deposits ETH or an ERC-20 into PlasmaFramework; the deposit is its own block, spendable once the operator sees it. */
export async function depositPlasma(p: DepositPlasmaParameters): Promise<DepositPlasmaResult> {
  const sender = p.l1.walletClient.account.address
  const owner = p.owner ?? sender
  const token = (p.token ?? ETH_TOKEN).toLowerCase() as Address
  if (typeof p.amount !== 'bigint' || p.amount <= 0n) {
    throw new L2kitError('INVALID_AMOUNT', `a deposit must be more than 0, got ${String(p.amount)}`)
  }
  let approveTxHash: Hex | undefined
  let sent: { hash: Hex; receipt: TransactionReceipt }
  if (token === ETH_TOKEN) {
    sent = await writeContractChecked(p.l1, {
      address: p.framework,
      abi: plasmaFrameworkAbi,
      functionName: 'depositEth',
      args: [owner],
      value: p.amount,
      what: 'Plasma deposit',
    })
  } else {
    approveTxHash = await approveIfNeeded(p.l1, {
      token,
      spender: p.framework,
      amount: p.amount,
      what: 'ERC-20 approve for a Plasma deposit',
    })
    sent = await writeContractChecked(p.l1, {
      address: p.framework,
      abi: plasmaFrameworkAbi,
      functionName: 'depositToken',
      args: [owner, token, p.amount],
      what: 'Plasma deposit',
    })
  }
  const [event] = parseEventLogs({
    abi: plasmaFrameworkAbi,
    logs: sent.receipt.logs,
    eventName: 'DepositCreated',
  })
  if (event === undefined) {
    throw new L2kitError('L1_TX_REVERTED', `deposit ${sent.hash} emitted no DepositCreated event`)
  }
  const blknum = (event.args as { blknum: bigint }).blknum
  return {
    blknum,
    utxoPos: blknum * 1_000_000_000n,
    txHash: sent.hash,
    receipt: sent.receipt,
    ...(approveTxHash ? { approveTxHash } : {}),
  }
}
