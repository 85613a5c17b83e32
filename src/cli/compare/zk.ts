/**
 * The ZK rollup's row: deposits with L2 keys derived from one wallet signature each, withdrawals (paid on L1 once
 * their block's proof verifies), the transfers (ETH: the devnet registers no ERC-20), then as many blocks proven
 * and verified as the proof budget allows. Proving takes both cores of this machine for ~25 s per 4-chunk block,
 * so the row reports two rates: transfers accepted by the operator, and transfers proven on L1.
 */
import { createPublicClient, type Hex, http, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { PhaseContext } from '../../compare/runner.ts'
import type { RowResult } from '../../compare/types.ts'
import { createL1Clients } from '../../l1/clients.ts'
import {
  depositZk,
  deriveZkKey,
  getZkAccountsByOwner,
  getZkTransaction,
  transferZk,
  waitForZkTransaction,
  withdrawPendingBalance,
  withdrawZk,
} from '../../sdk/zk/index.ts'
import { scanL1 } from './l1Costs.ts'
import { startFamily } from './start.ts'
import { bySender, type CompareEnv, median, rate, round, transferPlan, waitUntil } from './workload.ts'

const DEPOSIT_ETH = parseEther('5')
/** L2 units are gwei */
const UNIT = 1_000_000_000n
const WITHDRAW_UNITS = parseEther('0.5') / UNIT

type ZkStatus = { sealedBlocks: number; committedBlocks: number; verifiedBlocks: number }

export async function runZk(env: CompareEnv, ctx: PhaseContext, row: RowResult): Promise<void> {
  await ctx.stage('start')
  const up = await startFamily(env, ctx, 'zk')
  const zk = up.zk
  if (!zk) throw new Error('the ZK devnet did not start')
  const rollup = zk.deployment.rollup
  const node = createPublicClient({ transport: http(zk.rpcUrl) })
  const status = async () => (await node.request({ method: 'zk_status' as never })) as ZkStatus
  const l1s = await Promise.all(env.keys.map((k) => createL1Clients({ rpcUrl: env.l1Rpc, privateKey: k })))
  const startBlock = await env.l1.getBlockNumber({ cacheTime: 0 })

  await ctx.stage('deposits')
  const keys = await Promise.all(
    l1s.map((l1) => deriveZkKey({ walletClient: l1.walletClient, rollup, chainId: l1.chain.id })),
  )
  const accounts: number[] = []
  const latencies: number[] = []
  const depositGas: number[] = []
  await Promise.all(
    l1s.map(async (l1, i) => {
      const t0 = performance.now()
      const d = await depositZk({
        l1,
        rollup,
        token: 'ETH',
        amount: DEPOSIT_ETH,
        pkHash: (keys[i] as { pkHash: bigint }).pkHash,
      })
      depositGas.push(Number(d.receipt.gasUsed))
      await waitUntil(
        ctx,
        `the deposit of account ${i} applied`,
        async () => {
          const mine = await getZkAccountsByOwner({ node, owner: l1.account.address })
          if (mine[0] === undefined) return false
          accounts[i] = mine[0].index
          return true
        },
        120_000,
        100,
      )
      latencies.push((performance.now() - t0) / 1000)
    }),
  )
  row.depositLatencySeconds = round(median(latencies) ?? 0, 2)
  row.depositConfirmedBy = 'the account and its balance applied by the operator (soft: proven later)'
  row.l1.depositGas = median(depositGas)

  await ctx.stage('withdrawals started')
  const withdrawing = Math.min(env.workload.withdrawals, l1s.length)
  const withdrawals = await Promise.all(
    Array.from({ length: withdrawing }, async (_, i) => {
      const t0 = performance.now()
      const w = await withdrawZk({
        node,
        key: keys[i] as never,
        from: accounts[i] as number,
        token: 0,
        amount: WITHDRAW_UNITS,
        to: (l1s[i] as (typeof l1s)[number]).account.address,
      })
      return { i, t0, hash: w.hash }
    }),
  )
  const proofBudgetMs = env.zkProofBudgetSeconds * 1000
  const paying = withdrawals.map(async ({ i, t0, hash }) => {
    await waitForZkTransaction({
      node,
      hash,
      status: 'verified',
      timeoutMs: proofBudgetMs,
      pollIntervalMs: 500,
    })
    const paid = await withdrawPendingBalance({ l1: l1s[i] as never, rollup, token: 0 })
    return { seconds: (performance.now() - t0) / 1000, gas: Number(paid.receipt.gasUsed) }
  })
  for (const p of paying) p.catch(() => undefined)

  await ctx.stage('transfers')
  const plan = transferPlan(l1s.length, env.workload.transfers, false)
  const units = BigInt(env.workload.ethAmountWei) / UNIT
  const t1 = performance.now()
  const hashes = await bySender(plan, async (t) => {
    const r = await transferZk({
      node,
      key: keys[t.from] as never,
      from: accounts[t.from] as number,
      to: accounts[t.to] as number,
      token: 0,
      amount: units,
    })
    return r.hash as Hex
  })
  const seconds = (performance.now() - t1) / 1000
  row.transfers = {
    done: hashes.length,
    eth: hashes.length,
    token: 0,
    seconds: round(seconds, 2),
    perSecond: rate(hashes.length, seconds),
    confirmedBy:
      'accepted by the operator (soft confirmation; final once its block is proven and verified on L1)',
  }
  ctx.step(
    `${hashes.length} transfers accepted in ${row.transfers.seconds} s; proving (budget ${env.zkProofBudgetSeconds} s)`,
  )

  await ctx.stage('withdrawals spendable (proofs)')
  const done = await Promise.all(paying)
  row.withdrawal = {
    ...row.withdrawal,
    measuredSeconds: round(median(done.map((d) => d.seconds)) ?? 0, 1),
    what: 'withdrawal signed on L2 → its block proven (Groth16) and verified on L1 → pending balance withdrawn',
    devnet: {
      setting: `the proof of its block (${zk.deployment.chunks} chunks per block, 1 prover on this machine)`,
      seconds: 0,
    },
  }
  row.l1.withdrawalGas = median(done.map((d) => d.gas))

  await ctx.stage('proving the transfers')
  const deadline = t1 + proofBudgetMs
  const lastHash = hashes[hashes.length - 1] as Hex
  await waitUntil(
    ctx,
    'the last transfer verified',
    async () =>
      performance.now() > deadline ||
      (await getZkTransaction({ node, hash: lastHash }))?.status === 'verified',
    proofBudgetMs + 60_000,
    1_000,
  )
  const provenSeconds = (performance.now() - t1) / 1000
  let proven = 0
  for (const hash of hashes) if ((await getZkTransaction({ node, hash }))?.status === 'verified') proven++
  const s = await status()
  row.proven = {
    transfers: proven,
    verifiedBlocks: s.verifiedBlocks,
    sealedBlocks: s.sealedBlocks,
    seconds: round(provenSeconds, 1),
    perSecond: rate(proven, provenSeconds),
  }
  if (proven < hashes.length)
    row.notes.push(
      `the proof budget (${env.zkProofBudgetSeconds} s) ran out with ${hashes.length - proven} transfers not yet proven: ${s.verifiedBlocks} of ${s.sealedBlocks} blocks verified`,
    )

  await ctx.stage('L1 costs')
  const endBlock = await env.l1.getBlockNumber({ cacheTime: 0 })
  const operatorAddress = privateKeyToAccount(up.keys.operator).address
  const scan = await scanL1(env.l1, startBlock + 1n, endBlock, new Set([operatorAddress.toLowerCase()]))
  row.l1.operator = scan
  // every sealed block is committed at once; verifying the blocks still unproven costs what verifying one did
  const verify = scan.byFunction.verifyBlocks
  const unverified = Math.max(0, s.sealedBlocks - s.verifiedBlocks)
  const extraVerifyGas =
    verify && s.verifiedBlocks > 0 && unverified > 0 ? (verify.gas / s.verifiedBlocks) * unverified : 0
  const n = row.transfers.done
  if (n > 0) {
    row.perTransfer = {
      gas: round((scan.gas + extraVerifyGas) / n, 1),
      blobGas: 0,
      bytes: round(scan.calldataBytes / n, 1),
    }
  }
  if (extraVerifyGas > 0)
    row.notes.push(
      `L1 gas per transfer includes the verification of the ${unverified} blocks not yet proven at the measured ${Math.round(verify ? verify.gas / s.verifiedBlocks : 0).toLocaleString('en-US')} gas per verified block`,
    )
  row.evm = {
    supported: false,
    evidence: 'EdDSA-signed L2 operations (transfer, withdraw) proven by a circuit: no contracts',
  }
  row.notes.push(
    `circuit: ${zk.deployment.chunks} chunks per block (a transfer is 1 chunk of 10 bytes, a withdrawal 3), depth ${zk.deployment.depth}, ${zk.circuit.constraints.toLocaleString('en-US')} constraints; ${zk.setup.insecure ? 'INSECURE development setup' : 'ceremony setup'}; ETH only (the devnet registers no ERC-20)`,
  )
}
