import { type Address, type Hex, parseEventLogs } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { zkRollupAbi } from '../../generated/contracts.ts'
import { TOKENS } from '../../zk/protocol/ops.ts'
import { writeContractChecked } from '../l1Tx.ts'
import { checkAddress, requireExodusMode, type ZkL1Clients } from './shared.ts'
import { withdrawPendingBalance } from './withdrawPendingBalance.ts'

export type ZkDepositRefund = { requestIndex: bigint; owner: Address; token: number; amount: bigint }

export type ZkRefundResult = {
  /** deposits credited back by these calls (base units), in request order */
  refunds: ZkDepositRefund[]
  /** the cancelOutstandingDeposits transactions sent (none if every request had been looked at) */
  cancelTxHashes: Hex[]
  /** pending balances paid out afterwards (`withdrawFor`) */
  payouts: { owner: Address; token: number; amount: bigint; l1TxHash: Hex }[]
}

/**
 * Exodus: refunds the deposits that never made it into a verified block. `cancelOutstandingDeposits` is called in
 * batches of `batchSize` requests (default 64) until every request after the verified ones has been looked at;
 * each deposit is credited to its L2 owner's pending balance on the rollup. Then the pending balances of
 * `withdrawFor` (default: the sender; `[]` for none) are paid out, every token with something pending.
 */
export async function refundOutstandingDeposits(parameters: {
  l1: ZkL1Clients
  rollup: Address
  batchSize?: number
  withdrawFor?: readonly Address[]
}): Promise<ZkRefundResult> {
  const { l1 } = parameters
  const rollup = checkAddress(parameters.rollup, 'rollup')
  const size = parameters.batchSize ?? 64
  if (!Number.isInteger(size) || size < 1) {
    throw new L2kitError('INVALID_OPTIONS', `batchSize must be a positive integer, got ${size}`)
  }
  const batchSize = BigInt(size)
  await requireExodusMode(l1.publicClient, rollup, 'refundOutstandingDeposits')
  const read = (functionName: 'refundCursor' | 'totalPriorityRequests') =>
    l1.publicClient.readContract({ address: rollup, abi: zkRollupAbi, functionName })
  const refunds: ZkDepositRefund[] = []
  const cancelTxHashes: Hex[] = []
  for (;;) {
    const [cursor, total] = await Promise.all([read('refundCursor'), read('totalPriorityRequests')])
    if (cursor >= total) break
    const n = total - cursor < batchSize ? total - cursor : batchSize
    const { hash, receipt } = await writeContractChecked(l1, {
      address: rollup,
      abi: zkRollupAbi,
      functionName: 'cancelOutstandingDeposits',
      args: [n],
      what: 'cancelOutstandingDeposits',
    })
    cancelTxHashes.push(hash)
    for (const e of parseEventLogs({ abi: zkRollupAbi, logs: receipt.logs, eventName: 'DepositRefunded' })) {
      if (e.address.toLowerCase() !== rollup.toLowerCase()) continue
      refunds.push({
        requestIndex: e.args.requestIndex,
        owner: e.args.owner,
        token: e.args.token,
        amount: e.args.amount,
      })
    }
  }
  const payouts: ZkRefundResult['payouts'] = []
  const erc20Count = await l1.publicClient.readContract({
    address: rollup,
    abi: zkRollupAbi,
    functionName: 'erc20Count',
  })
  const tokens = Math.min(TOKENS, Number(erc20Count) + 1)
  for (const who of parameters.withdrawFor ?? [l1.walletClient.account.address]) {
    const owner = checkAddress(who, 'withdrawFor')
    for (let token = 0; token < tokens; token++) {
      const pending = await l1.publicClient.readContract({
        address: rollup,
        abi: zkRollupAbi,
        functionName: 'pendingBalance',
        args: [owner, token],
      })
      if (pending === 0n) continue
      const paid = await withdrawPendingBalance({ l1, rollup, token, owner })
      payouts.push({ owner, token, amount: paid.amount, l1TxHash: paid.l1TxHash })
    }
  }
  return { refunds, cancelTxHashes, payouts }
}
