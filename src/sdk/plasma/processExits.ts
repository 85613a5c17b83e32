import { type Address, type Hex, parseEventLogs, type TransactionReceipt } from 'viem'
import { plasmaFrameworkAbi } from '../../generated/contracts.ts'
import { writeContractChecked } from '../l1Tx.ts'
import type { PlasmaL1Clients } from './shared.ts'

export type ProcessExitsResult = {
  /** exits paid in this call */
  paid: { exitId: bigint; owner: Address; token: Address; amount: bigint }[]
  txHash: Hex
  receipt: TransactionReceipt
}

/**
 * Pays every exit whose exit period is over, oldest output first, up to `max` (anyone may call it; each owner is
 * paid, not the caller).
 */
export async function processExits(p: {
  l1: PlasmaL1Clients
  framework: Address
  max?: bigint
}): Promise<ProcessExitsResult> {
  const sent = await writeContractChecked(p.l1, {
    address: p.framework,
    abi: plasmaFrameworkAbi,
    functionName: 'processExits',
    args: [p.max ?? 20n],
    what: 'Plasma processExits',
  })
  const paid = parseEventLogs({
    abi: plasmaFrameworkAbi,
    logs: sent.receipt.logs,
    eventName: 'ExitFinalized',
  }).map((e) => {
    const a = e.args as { exitId: bigint; owner: Address; token: Address; amount: bigint }
    return { exitId: a.exitId, owner: a.owner, token: a.token, amount: a.amount }
  })
  return { paid, txHash: sent.hash, receipt: sent.receipt }
}
