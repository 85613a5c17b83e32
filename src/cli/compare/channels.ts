/**
 * The state channels' row. A channel is between two nodes, so the workload's "accounts" are channel nodes here:
 * node A opens a fresh channel to node C (the deposit: one L1 transaction, usable once C accepts), pays C the
 * workload's transfers over it (signed states, stored by both before each is acknowledged), then closes it
 * cooperatively (the withdrawal: paid out on L1 in one transaction). L1 sees only the open and the close.
 */
import { type Hex, parseEther } from 'viem'
import type { PhaseContext } from '../../compare/runner.ts'
import type { RowResult } from '../../compare/types.ts'
import { scanL1 } from './l1Costs.ts'
import { startFamily } from './start.ts'
import { amortise, type CompareEnv, rate, round, setL1Balance } from './workload.ts'

/** The unilateral-close dispute window the channel is opened with: the devnet's (`l2kit up`). */
const DISPUTE_WINDOW = 3_600n

export async function runChannels(env: CompareEnv, ctx: PhaseContext, row: RowResult): Promise<void> {
  await ctx.stage('start')
  const up = await startFamily(env, ctx, 'channels')
  const net = up.channels
  if (!net) throw new Error('the channels devnet did not start')
  const { a, c } = net
  const amount = BigInt(env.workload.ethAmountWei)
  const n = env.workload.transfers
  // the channel carries every payment with room to spare: its deposit is the capital these payments lock
  const capital = amount * BigInt(n) * 2n + parseEther('0.01')
  await setL1Balance(env.l1, a.address, parseEther('100'))
  const startBlock = await env.l1.getBlockNumber({ cacheTime: 0 })

  await ctx.stage('deposit (channel open)')
  await a.connect(c.peerAddress)
  const t0 = performance.now()
  const channelId = (await a.openChannel({
    peer: c.nodeId,
    amount: capital,
    disputeWindow: DISPUTE_WINDOW,
  })) as Hex
  row.depositLatencySeconds = round((performance.now() - t0) / 1000, 2)
  row.depositConfirmedBy = 'channel open mined on L1 and accepted by the peer (ready to pay)'
  row.capitalLockedWei = capital.toString()
  ctx.step(`A opened a ${Number(capital) / 1e18} ETH channel to C in ${row.depositLatencySeconds} s`)

  await ctx.stage('transfers')
  const t1 = performance.now()
  // every payment at once, as many wallets paying through one node would: each resolves once stored by both
  await Promise.all(Array.from({ length: n }, () => a.pay(channelId, amount)))
  const seconds = (performance.now() - t1) / 1000
  row.transfers = {
    done: n,
    eth: n,
    token: 0,
    seconds: round(seconds, 2),
    perSecond: rate(n, seconds),
    confirmedBy: 'the new channel state signed and stored (fsync) by both nodes, the old one revoked',
  }
  ctx.step(`${n} payments A → C in ${row.transfers.seconds} s (${row.transfers.perSecond}/s)`)

  await ctx.stage('withdrawal (cooperative close)')
  const t2 = performance.now()
  const closeHash = await a.closeCooperatively(channelId)
  const closeReceipt = await env.l1.waitForTransactionReceipt({ hash: closeHash })
  row.withdrawal = {
    ...row.withdrawal,
    measuredSeconds: round((performance.now() - t2) / 1000, 2),
    what: 'cooperative close: both sign the final balances, one L1 transaction pays both out',
    devnet: {
      setting: `cooperative close: 1 L1 transaction; unilateral close: dispute window ${DISPUTE_WINDOW} s`,
      seconds: 0,
    },
  }

  await ctx.stage('L1 costs')
  const endBlock = await env.l1.getBlockNumber({ cacheTime: 0 })
  row.l1.operator = await scanL1(
    env.l1,
    startBlock + 1n,
    endBlock,
    new Set([a.address.toLowerCase(), c.address.toLowerCase()]),
  )
  amortise(row)
  const open = Object.entries(row.l1.operator.byFunction).find(([f]) => f === 'open')?.[1]
  row.l1.depositGas = open ? open.gas : null
  row.l1.withdrawalGas = Number(closeReceipt.gasUsed)
  row.evm = {
    supported: false,
    evidence: 'payments are signed balance updates between two nodes: there is no chain to run contracts on',
  }
  row.notes.push(
    `one channel between two nodes (A pays C) carries the ${n} payments: the L1 cost is its open and close, whatever the number of payments; ETH only (token channels exist, the workload uses ETH)`,
    `a unilateral close (peer unresponsive) waits the dispute window: ${DISPUTE_WINDOW} s on the devnet`,
  )
}
