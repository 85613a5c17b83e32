/**
 * The optimistic rollup's row (and, with calldata batches, the Dencun row): deposits through the portal (ETH and
 * the dev ERC-20), withdrawals started on L2, transfers signed by ordinary viem accounts, then each withdrawal
 * proven and finalized on L1 once its root is past the challenge window.
 */
import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  type PublicClient,
  parseEther,
} from 'viem'
import type { PhaseContext } from '../../compare/runner.ts'
import type { RowResult } from '../../compare/types.ts'
import { GAS } from '../../core/constants.ts'
import { devTokenAbi, devTokenBytecode } from '../../generated/contracts.ts'
import { createL1Clients } from '../../l1/clients.ts'
import { DEFAULT_L2_BASE_FEE } from '../../optimistic/config.ts'
import {
  defineL2Chain,
  depositErc20,
  depositEth,
  getL2Balance,
  initiateWithdrawal,
  proveAndFinalizeWithdrawal,
} from '../../sdk/optimistic/index.ts'
import { scanL1 } from './l1Costs.ts'
import { startFamily } from './start.ts'
import {
  amortise,
  type CompareEnv,
  evmTransfers,
  median,
  round,
  transferPlan,
  waitUntil,
} from './workload.ts'

const DEPOSIT_ETH = parseEther('5')
const DEPOSIT_DEV = parseEther('10000')
const WITHDRAW_ETH = parseEther('0.5')

export async function runOptimistic(
  env: CompareEnv,
  ctx: PhaseContext,
  row: RowResult,
  mode: 'blob' | 'calldata',
): Promise<void> {
  await ctx.stage('start')
  const up = await startFamily(env, ctx, 'optimistic', {
    variant: mode === 'blob' ? 'optimistic' : 'optimistic-calldata',
    values: { 'batch-mode': mode },
  })
  const devnet = up.devnet
  if (!devnet) throw new Error('the optimistic devnet did not start')
  const windowSeconds = Number(devnet.node.challengeWindowSeconds)
  const startBlock = await env.l1.getBlockNumber({ cacheTime: 0 })
  const chain = defineL2Chain({ chainId: Number(devnet.chain.chainId), rpcUrl: devnet.l2Rpc })
  const l2 = createPublicClient({ chain, transport: http(devnet.l2Rpc), cacheTime: 0 })
  const l1Of = (i: number) => createL1Clients({ rpcUrl: env.l1Rpc, privateKey: env.keys[i] as Hex })
  const l1s = await Promise.all(env.accounts.map((_, i) => l1Of(i)))
  const portal = devnet.contracts.portal

  await ctx.stage('deposits')
  // the first DEV deposit registers the token (and pays its fee): alone, before the others
  const first = l1s[0] as (typeof l1s)[number]
  await depositErc20(first, { portal, token: env.devToken, amount: DEPOSIT_DEV })
  let l2Token: Address | undefined
  await waitUntil(
    ctx,
    'the DEV token registered on L2',
    async () => {
      const tokens = (await l2.request({ method: 'l2kit_tokens' as never })) as {
        l1Address: Address
        l2Address: Address
      }[]
      l2Token = tokens.find((t) => t.l1Address.toLowerCase() === env.devToken.toLowerCase())?.l2Address
      return l2Token !== undefined
    },
    60_000,
    100,
  )
  if (!l2Token) throw new Error(`the DEV token ${env.devToken} was not registered on L2`)
  const devOnL2: Address = l2Token
  const latencies: number[] = []
  const depositGas: number[] = []
  await Promise.all(
    l1s.map(async (c, i) => {
      const t0 = performance.now()
      const address = c.account.address
      const before = await getL2Balance(l2, { address })
      const d = await depositEth(c, { portal, amount: DEPOSIT_ETH })
      depositGas.push(Number(d.l1GasUsed))
      await waitUntil(
        ctx,
        `the ETH deposit of account ${i} on L2`,
        async () => (await getL2Balance(l2, { address })) >= before + DEPOSIT_ETH,
        60_000,
        50,
      )
      latencies.push((performance.now() - t0) / 1000)
      if (i > 0) await depositErc20(c, { portal, token: env.devToken, amount: DEPOSIT_DEV })
    }),
  )
  await waitUntil(
    ctx,
    'the DEV deposits on L2',
    async () => {
      for (const c of l1s)
        if (
          (await getL2Balance(l2, { address: c.account.address, l2Token: devOnL2 }).catch(() => 0n)) <
          DEPOSIT_DEV
        )
          return false
      return true
    },
    60_000,
  )
  row.depositLatencySeconds = round(median(latencies) ?? 0, 2)
  row.depositConfirmedBy = 'the ETH balance shows on the L2 (the sequencer includes L1 deposits)'
  row.l1.depositGas = median(depositGas)
  ctx.step(
    `${l1s.length} accounts deposited ETH and DEV; ETH on L2 after ${row.depositLatencySeconds} s (median)`,
  )

  await ctx.stage('withdrawals started')
  const wallets = env.accounts.map((account) =>
    createWalletClient({ account, chain, transport: http(devnet.l2Rpc) }),
  )
  const withdrawals = await Promise.all(
    Array.from({ length: Math.min(env.workload.withdrawals, l1s.length) }, async (_, i) => {
      const t0 = performance.now()
      const w = await initiateWithdrawal(
        { walletClient: wallets[i] as never, publicClient: l2 },
        { amount: WITHDRAW_ETH },
      )
      return { i, t0, w }
    }),
  )
  // proven and finalized on L1 while the transfers run, as a user would
  const finalizing = withdrawals.map(async ({ i, t0, w }) => {
    const f = await proveAndFinalizeWithdrawal(
      {
        l1WalletClient: (l1s[i] as (typeof l1s)[number]).walletClient,
        l1PublicClient: env.l1,
        l2PublicClient: l2,
      },
      { portal, withdrawalIndex: w.withdrawalIndex, wait: true, pollIntervalMs: 250, timeoutMs: 10 * 60_000 },
    )
    return { seconds: (performance.now() - t0) / 1000, gas: Number(f.l1GasUsed) }
  })
  for (const f of finalizing) f.catch(() => undefined)

  await ctx.stage('transfers')
  const plan = transferPlan(l1s.length, env.workload.transfers, true)
  row.transfers = await evmTransfers(env, l2 as PublicClient, plan, {
    chainId: chain.id,
    token: devOnL2,
    ethGas: GAS.ethTransfer,
    tokenGas: GAS.tokenTransfer,
    fees: { type: 'eip1559', maxFeePerGas: DEFAULT_L2_BASE_FEE * 2n, maxPriorityFeePerGas: 0n },
    pollingInterval: 50,
    timeoutMs: 120_000,
    confirmedBy:
      'receipt in an L2 block (soft confirmation by the sequencer; final on L1 after the challenge window)',
  })
  ctx.step(`${row.transfers.done} transfers in ${row.transfers.seconds} s (${row.transfers.perSecond}/s)`)

  await ctx.stage('withdrawals spendable')
  const done = await Promise.all(finalizing)
  row.withdrawal = {
    ...row.withdrawal,
    measuredSeconds: round(median(done.map((d) => d.seconds)) ?? 0, 1),
    what: 'withdrawal sent on L2 → batch and root on L1 → challenge window → proven and finalized on L1',
    devnet: { setting: `challenge window ${windowSeconds} s`, seconds: windowSeconds },
  }
  row.l1.withdrawalGas = median(done.map((d) => d.gas))

  await ctx.stage('EVM probe')
  row.evm = await evmProbe(wallets[0] as never, l2)

  await ctx.stage('L1 costs')
  // let the batcher and proposer post what the transfers left, so the phase pays for all of them
  await waitUntil(
    ctx,
    'the last transfers batched on L1',
    () => {
      const b = devnet.node.derivation.latestBatch()
      return b !== undefined && devnet.node.sequencer.head.number <= b.l2BlockNumber
    },
    60_000,
    200,
  ).catch(() => row.notes.push('the last transfers were not yet batched when the phase ended'))
  const endBlock = await env.l1.getBlockNumber({ cacheTime: 0 })
  row.l1.operator = await scanL1(env.l1, startBlock + 1n, endBlock, new Set([devnet.operator.toLowerCase()]))
  amortise(row)
  row.notes.push(
    `batches posted as ${mode === 'blob' ? 'EIP-4844 blobs' : 'calldata'}; ${devnet.node.store.listBatches().length} batches and ${devnet.node.proposer.posted.length} proposals during the phase`,
  )
}

/** Tries to deploy a contract through the L2's eth_sendRawTransaction: the refusal (or success) is the evidence. */
async function evmProbe(
  wallet: ReturnType<typeof createWalletClient>,
  l2: ReturnType<typeof createPublicClient>,
): Promise<RowResult['evm']> {
  try {
    const hash = await wallet.deployContract({
      abi: devTokenAbi,
      bytecode: devTokenBytecode,
      args: ['probe', 'P', 18, [], 0n],
      account: wallet.account as never,
      chain: wallet.chain,
      gas: 3_000_000n,
    })
    const r = await l2.waitForTransactionReceipt({ hash, timeout: 30_000 })
    return { supported: r.status === 'success', evidence: `contract deployment ${r.status}` }
  } catch (err) {
    const e = err as { details?: string; shortMessage?: string; message?: string }
    const why = (e.details ?? e.shortMessage ?? e.message ?? String(err)).split(/\n|\. /)[0]
    return {
      supported: false,
      evidence: `a contract deployment was refused (${why}); ETH and bridged ERC-20 transfers and withdrawals only`,
    }
  }
}
