/**
 * Plasma's row: deposits (ETH and the dev ERC-20, each its own deposit block on L1), an exit started for each
 * withdrawing account (of an output deposited for it), the transfers signed as EIP-712 typed data (a UTXO sender
 * pays from its newest change, so each sender's transfers go one after another), then the exits processed on L1
 * once their exit period is over. L1 sees one block root per operator block.
 */
import { parseEther, parseEventLogs } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { PhaseContext } from '../../compare/runner.ts'
import type { RowResult } from '../../compare/types.ts'
import { plasmaFrameworkAbi } from '../../generated/contracts.ts'
import { createL1Clients } from '../../l1/clients.ts'
import {
  depositPlasma,
  listUtxos,
  type PlasmaChain,
  processExits,
  startExit,
  transferPlasma,
} from '../../sdk/plasma/index.ts'
import { scanL1 } from './l1Costs.ts'
import { startFamily } from './start.ts'
import {
  amortise,
  bySender,
  type CompareEnv,
  median,
  rate,
  round,
  transferPlan,
  waitUntil,
} from './workload.ts'

const DEPOSIT_ETH = parseEther('5')
const DEPOSIT_DEV = parseEther('10000')
const EXIT_ETH = parseEther('0.5')

export async function runPlasma(env: CompareEnv, ctx: PhaseContext, row: RowResult): Promise<void> {
  await ctx.stage('start')
  const up = await startFamily(env, ctx, 'plasma')
  const net = up.plasma
  if (!net) throw new Error('the Plasma devnet did not start')
  const chain: PlasmaChain = {
    operatorUrl: net.rpcUrls.operator,
    framework: net.framework,
    chainId: BigInt(net.chainId),
  }
  const operator = privateKeyToAccount(up.keys.operator).address
  const l1s = await Promise.all(env.keys.map((k) => createL1Clients({ rpcUrl: env.l1Rpc, privateKey: k })))
  const startBlock = await env.l1.getBlockNumber({ cacheTime: 0 })
  const has = async (owner: `0x${string}`, utxoPos: bigint) =>
    (await listUtxos(chain, owner)).some((u) => u.utxoPos === utxoPos)

  await ctx.stage('deposits')
  const latencies: number[] = []
  const depositGas: number[] = []
  const withdrawing = Math.min(env.workload.withdrawals, l1s.length)
  const exitOutputs: bigint[] = []
  await Promise.all(
    l1s.map(async (l1, i) => {
      const owner = l1.account.address
      const t0 = performance.now()
      const d = await depositPlasma({ l1, framework: net.framework, amount: DEPOSIT_ETH })
      depositGas.push(Number(d.receipt.gasUsed))
      await waitUntil(ctx, `deposit ${d.utxoPos} at the operator`, () => has(owner, d.utxoPos), 60_000, 50)
      latencies.push((performance.now() - t0) / 1000)
      const t = await depositPlasma({
        l1,
        framework: net.framework,
        amount: DEPOSIT_DEV,
        token: env.devToken,
      })
      await waitUntil(
        ctx,
        `DEV deposit ${t.utxoPos} at the operator`,
        () => has(owner, t.utxoPos),
        60_000,
        50,
      )
      if (i < withdrawing) {
        const e = await depositPlasma({ l1, framework: net.framework, amount: EXIT_ETH })
        await waitUntil(ctx, `deposit ${e.utxoPos} at the operator`, () => has(owner, e.utxoPos), 60_000, 50)
        exitOutputs[i] = e.utxoPos
      }
    }),
  )
  row.depositLatencySeconds = round(median(latencies) ?? 0, 2)
  row.depositConfirmedBy = 'the deposit output listed by the operator (it follows L1 deposit blocks)'
  row.l1.depositGas = median(depositGas)

  await ctx.stage('withdrawals started (exits)')
  const exits = await Promise.all(
    exitOutputs.map(async (utxoPos, i) => {
      const t0 = performance.now()
      const e = await startExit({ l1: l1s[i] as (typeof l1s)[number], chain, utxoPos })
      return { t0, exitId: e.exitId, exitableAt: e.exitableAt, gas: Number(e.receipt.gasUsed), i }
    }),
  )

  await ctx.stage('transfers')
  const plan = transferPlan(l1s.length, env.workload.transfers, true)
  const t1 = performance.now()
  await bySender(plan, async (t) => {
    await transferPlasma({
      chain,
      wallet: (l1s[t.from] as (typeof l1s)[number]).walletClient,
      to: (l1s[t.to] as (typeof l1s)[number]).account.address,
      amount: t.token ? BigInt(env.workload.tokenAmount) : BigInt(env.workload.ethAmountWei),
      ...(t.token ? { token: env.devToken } : {}),
    })
  })
  const seconds = (performance.now() - t1) / 1000
  row.transfers = {
    done: plan.length,
    eth: plan.filter((t) => !t.token).length,
    token: plan.filter((t) => t.token).length,
    seconds: round(seconds, 2),
    perSecond: rate(plan.length, seconds),
    confirmedBy: 'accepted and stored (fsync) by the operator; its block root reaches L1 at the next seal',
  }
  ctx.step(`${plan.length} transfers in ${row.transfers.seconds} s (${row.transfers.perSecond}/s)`)
  await net.operator.seal()
  await net.operator.committed()

  await ctx.stage('withdrawals spendable')
  const paidAt = new Map<bigint, number>()
  const processGas: number[] = []
  let last = 0n // bigints: no Math.max
  for (const e of exits) if (e.exitableAt > last) last = e.exitableAt
  ctx.step(`waiting for the exit period (exitable at L1 time ${last}; exit period ${net.exitPeriod} s)`)
  await waitUntil(
    ctx,
    'the exits to be paid',
    async () => {
      if (BigInt(Math.floor(Date.now() / 1000)) <= last) return false
      const r = await processExits({ l1: l1s[0] as (typeof l1s)[number], framework: net.framework, max: 50n })
      processGas.push(Number(r.receipt.gasUsed))
      const paid = await env.l1.getContractEvents({
        address: net.framework,
        abi: plasmaFrameworkAbi,
        eventName: 'ExitFinalized',
        fromBlock: startBlock,
      })
      for (const p of parseEventLogs({ abi: plasmaFrameworkAbi, logs: paid, eventName: 'ExitFinalized' })) {
        const id = (p.args as { exitId: bigint }).exitId
        if (!paidAt.has(id)) paidAt.set(id, performance.now())
      }
      return exits.every((e) => paidAt.has(e.exitId))
    },
    Number(net.exitPeriod) * 3 * 1000 + 60_000,
    1_000,
  )
  row.withdrawal = {
    ...row.withdrawal,
    measuredSeconds: round(median(exits.map((e) => ((paidAt.get(e.exitId) ?? e.t0) - e.t0) / 1000)) ?? 0, 1),
    what: 'exit started with its bond → exit period → processExits pays it on L1',
    devnet: { setting: `exit period ${net.exitPeriod} s`, seconds: Number(net.exitPeriod) },
  }
  row.l1.withdrawalGas = (median(exits.map((e) => e.gas)) ?? 0) + (processGas[processGas.length - 1] ?? 0)

  await ctx.stage('L1 costs')
  const endBlock = await env.l1.getBlockNumber({ cacheTime: 0 })
  row.l1.operator = await scanL1(env.l1, startBlock + 1n, endBlock, new Set([operator.toLowerCase()]))
  amortise(row)
  row.evm = {
    supported: false,
    evidence:
      'UTXO transfers of ETH and ERC-20s checked by the operator and the exit game: no contract execution',
  }
  row.notes.push(
    'exits are paid oldest output first; an exit of an output younger than the exit period waits for it (More Viable Plasma)',
  )
}
