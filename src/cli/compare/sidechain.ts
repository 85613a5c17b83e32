/**
 * The sidechain's row: deposits locked in the L1 bridge and minted by the validators, the dev ERC-20 deployed on
 * the sidechain's EVM (the proof it runs contracts), withdrawals burnt on the sidechain, the transfers signed by
 * viem accounts and committed by the BFT validators, then each withdrawal paid on L1 against the checkpoint that
 * covers it. L1 sees the checkpoints.
 */
import { createPublicClient, createWalletClient, http, type PublicClient, parseEther } from 'viem'
import type { PhaseContext } from '../../compare/runner.ts'
import type { RowResult } from '../../compare/types.ts'
import { devTokenAbi, devTokenBytecode } from '../../generated/contracts.ts'
import { createL1Clients } from '../../l1/clients.ts'
import {
  depositToSidechain,
  proveAndFinalizeSidechainWithdrawal,
  sidechainViemChain,
  withdrawFromSidechain,
} from '../../sdk/sidechain/index.ts'
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
const WITHDRAW_ETH = parseEther('0.5')

export async function runSidechain(env: CompareEnv, ctx: PhaseContext, row: RowResult): Promise<void> {
  await ctx.stage('start')
  const up = await startFamily(env, ctx, 'sidechain')
  const net = up.sidechain
  if (!net) throw new Error('the sidechain devnet did not start')
  const rpcUrl = (net.validators[0] as { rpcUrl: string }).rpcUrl
  const chain = sidechainViemChain(net.chainId, rpcUrl)
  const l2 = createPublicClient({ chain, transport: http(rpcUrl), cacheTime: 0 })
  const wallets = env.accounts.map((account) =>
    createWalletClient({ account, chain, transport: http(rpcUrl) }),
  )
  const l1s = await Promise.all(env.keys.map((k) => createL1Clients({ rpcUrl: env.l1Rpc, privateKey: k })))
  const startBlock = await env.l1.getBlockNumber({ cacheTime: 0 })

  await ctx.stage('deposits')
  const latencies: number[] = []
  const depositGas: number[] = []
  await Promise.all(
    l1s.map(async (l1, i) => {
      const address = l1.account.address
      const before = await l2.getBalance({ address })
      const t0 = performance.now()
      const d = await depositToSidechain({ l1, bridge: net.bridge, amount: DEPOSIT_ETH })
      depositGas.push(Number(d.receipt.gasUsed))
      await waitUntil(
        ctx,
        `the deposit of account ${i} minted`,
        async () => (await l2.getBalance({ address })) >= before + DEPOSIT_ETH,
        60_000,
        100,
      )
      latencies.push((performance.now() - t0) / 1000)
    }),
  )
  row.depositLatencySeconds = round(median(latencies) ?? 0, 2)
  row.depositConfirmedBy = 'minted on the sidechain in a committed (final) block'
  row.l1.depositGas = median(depositGas)

  await ctx.stage('EVM: deploy the dev ERC-20')
  const deployHash = await (wallets[0] as (typeof wallets)[number]).deployContract({
    abi: devTokenAbi,
    bytecode: devTokenBytecode,
    args: ['l2kit Dev Token', 'DEV', 18, env.accounts.map((a) => a.address), parseEther('1000000')],
  })
  const deployed = await l2.waitForTransactionReceipt({ hash: deployHash, timeout: 60_000 })
  const token = deployed.contractAddress
  if (deployed.status !== 'success' || !token)
    throw new Error(`the DEV ERC-20 deployment ${deployHash} failed`)
  row.evm = {
    supported: true,
    evidence: `deployed the DEV ERC-20 contract with viem (${Number(deployed.gasUsed).toLocaleString('en-US')} gas) and transferred it`,
  }

  await ctx.stage('withdrawals started')
  const withdrawing = Math.min(env.workload.withdrawals, l1s.length)
  const started = await Promise.all(
    Array.from({ length: withdrawing }, async (_, i) => {
      const t0 = performance.now()
      const w = await withdrawFromSidechain({
        chain: { rpcUrl },
        wallet: wallets[i] as never,
        publicClient: l2,
        amount: WITHDRAW_ETH,
      })
      return { i, t0, w }
    }),
  )
  const finalizing = started.map(async ({ i, t0, w }) => {
    const f = await proveAndFinalizeSidechainWithdrawal({
      chain: { rpcUrl, bridge: net.bridge },
      l1: l1s[i] as (typeof l1s)[number],
      withdrawalId: w.withdrawalId,
      waitMs: 5 * 60_000,
      pollMs: 250,
    })
    return { seconds: (performance.now() - t0) / 1000, gas: Number(f.gasUsed) }
  })
  for (const f of finalizing) f.catch(() => undefined)

  await ctx.stage('transfers')
  const plan = transferPlan(l1s.length, env.workload.transfers, true)
  row.transfers = await evmTransfers(env, l2 as PublicClient, plan, {
    chainId: chain.id,
    token,
    ethGas: 21_000n,
    tokenGas: 100_000n,
    fees: { type: 'legacy', gasPrice: await l2.getGasPrice() },
    pollingInterval: 100,
    timeoutMs: 180_000,
    confirmedBy: 'receipt in a block committed by > ⅔ of the validators (final: BFT)',
  })
  ctx.step(`${row.transfers.done} transfers in ${row.transfers.seconds} s (${row.transfers.perSecond}/s)`)

  await ctx.stage('withdrawals spendable')
  const done = await Promise.all(finalizing)
  row.withdrawal = {
    ...row.withdrawal,
    measuredSeconds: round(median(done.map((d) => d.seconds)) ?? 0, 1),
    what: 'burnt on the sidechain → next checkpoint signed by > ⅔ of the stake on L1 → proven and paid on L1',
    devnet: {
      setting: `a checkpoint every ${net.checkpointInterval} blocks (1 s blocks)`,
      seconds: net.checkpointInterval,
    },
  }
  row.l1.withdrawalGas = median(done.map((d) => d.gas))

  await ctx.stage('L1 costs')
  const endBlock = await env.l1.getBlockNumber({ cacheTime: 0 })
  row.l1.operator = await scanL1(
    env.l1,
    startBlock + 1n,
    endBlock,
    new Set(net.validators.map((v) => v.address.toLowerCase())),
  )
  amortise(row)
  row.notes.push(
    `${net.validators.length} validators, one process each; the DEV ERC-20 here is a contract deployed on the sidechain (its EVM), not bridged from L1`,
  )
}
