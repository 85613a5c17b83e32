/**
 * The baseline: the same transfers made directly on L1 (ETH and the dev ERC-20), what a user would do without an
 * L2. Each sender signs its transfers with consecutive nonces and sends them one after another, all senders at once.
 */
import { encodeFunctionData, erc20Abi, type Hex } from 'viem'
import type { PhaseContext } from '../../compare/runner.ts'
import type { RowResult } from '../../compare/types.ts'
import { scanL1 } from './l1Costs.ts'
import { amortise, bySender, type CompareEnv, rate, round, transferPlan } from './workload.ts'

export async function runL1Baseline(env: CompareEnv, ctx: PhaseContext, row: RowResult): Promise<void> {
  const { l1, accounts, workload } = env
  const chainId = l1.chain.id
  await ctx.stage('transfers')
  const plan = transferPlan(accounts.length, workload.transfers, true)
  const block = await l1.getBlock()
  const baseFee = block.baseFeePerGas ?? 1_000_000_000n
  const fees = { maxFeePerGas: baseFee * 2n + 1_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n }
  const nonces = await Promise.all(accounts.map((a) => l1.getTransactionCount({ address: a.address })))
  const from = await l1.getBlockNumber({ cacheTime: 0 })
  const t0 = performance.now()
  const hashes = await bySender(plan, async (t, nth) => {
    const account = accounts[t.from] as (typeof accounts)[number]
    const to = (accounts[t.to] as (typeof accounts)[number]).address
    const raw = await account.signTransaction({
      type: 'eip1559',
      chainId,
      nonce: (nonces[t.from] as number) + nth,
      ...fees,
      ...(t.token
        ? {
            to: env.devToken,
            gas: 100_000n,
            data: encodeFunctionData({
              abi: erc20Abi,
              functionName: 'transfer',
              args: [to, BigInt(workload.tokenAmount)],
            }),
          }
        : { to, gas: 21_000n, value: BigInt(workload.ethAmountWei) }),
    })
    return (await l1.request({ method: 'eth_sendRawTransaction', params: [raw] })) as Hex
  })
  const receipts = await Promise.all(hashes.map((hash) => l1.waitForTransactionReceipt({ hash })))
  const seconds = (performance.now() - t0) / 1000
  const failed = receipts.filter((r) => r.status !== 'success').length
  const to = await l1.getBlockNumber({ cacheTime: 0 })
  row.transfers = {
    done: receipts.length - failed,
    eth: plan.filter((t) => !t.token).length,
    token: plan.filter((t) => t.token).length,
    seconds: round(seconds, 2),
    perSecond: rate(receipts.length - failed, seconds),
    confirmedBy: 'mined by the devnet anvil (one block per transaction)',
  }
  ctx.step(`${row.transfers.done} L1 transfers in ${row.transfers.seconds} s`)
  await ctx.stage('L1 costs')
  // the transfers are their own L1 cost: counted the same way as a family's
  row.l1.operator = await scanL1(l1, from + 1n, to, new Set(accounts.map((a) => a.address.toLowerCase())))
  amortise(row)
  row.depositLatencySeconds = 0
  row.depositConfirmedBy = 'no deposit: the funds are on L1'
  row.withdrawal = {
    ...row.withdrawal,
    measuredSeconds: 0,
    what: 'no withdrawal: the funds are on L1',
    devnet: { setting: 'none', seconds: 0 },
  }
  row.l1.depositGas = 0
  row.l1.withdrawalGas = 0
  row.evm = { supported: true, evidence: 'Ethereum itself' }
  if (failed > 0) row.notes.push(`${failed} L1 transfers reverted`)
  const avg = (token: boolean) => {
    const g = receipts.filter((_, i) => plan[i]?.token === token).map((r) => Number(r.gasUsed))
    return g.length === 0 ? 0 : Math.round(g.reduce((a, b) => a + b, 0) / g.length)
  }
  row.notes.push(`receipt gas: ${avg(false)} per ETH transfer, ${avg(true)} per DEV (ERC-20) transfer`)
}
