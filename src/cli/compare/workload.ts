/**
 * What every row of `l2kit compare` shares: the accounts (keys derived from a fixed string, funded on the anvil),
 * the dev ERC-20 on L1, the transfer plan, the role keys each family runs with, and small timing helpers.
 */
import {
  type Address,
  encodeFunctionData,
  erc20Abi,
  type Hex,
  keccak256,
  type PublicClient,
  parseEther,
  toBytes,
} from 'viem'
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts'
import { ROW_FACTS } from '../../compare/facts.ts'
import type { PhaseContext } from '../../compare/runner.ts'
import type { FamilyName, RowId, RowResult, Workload } from '../../compare/types.ts'
import { L2kitError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import { devTokenAbi, devTokenBytecode } from '../../generated/contracts.ts'
import { createL1Clients, type L1PublicClient } from '../../l1/clients.ts'

/** A key of its own for each role compare plays, so no two families ever share an L1 nonce. */
export function roleKey(role: string): Hex {
  return keccak256(toBytes(`l2kit compare ${role}`))
}

export type CompareEnv = {
  l1Rpc: string
  l1: L1PublicClient
  keys: Hex[]
  accounts: PrivateKeyAccount[]
  /** the dev ERC-20 on L1 (1,000,000 DEV for every account) */
  devToken: Address
  workload: Workload
  dataDir: string
  logger: Logger
  /** seconds the ZK rows wait for proofs before reporting what was proven */
  zkProofBudgetSeconds: number
  plasmaExitPeriodSeconds: number
}

/** Sets `address`'s L1 balance (anvil): funding without a funder's nonce to share. */
export async function setL1Balance(l1: L1PublicClient, address: Address, wei: bigint): Promise<void> {
  await l1.request({
    method: 'anvil_setBalance' as never,
    params: [address, `0x${wei.toString(16)}`] as never,
  })
}

/** The workload's accounts, funded with 1,000 ETH each on the anvil, and the dev ERC-20 they all hold on L1. */
export async function prepareAccounts(
  l1Rpc: string,
  l1: L1PublicClient,
  count: number,
): Promise<{ keys: Hex[]; accounts: PrivateKeyAccount[]; devToken: Address }> {
  const keys = Array.from({ length: count }, (_, i) => roleKey(`account ${i}`))
  const accounts = keys.map((k) => privateKeyToAccount(k))
  for (const a of accounts) await setL1Balance(l1, a.address, parseEther('1000'))
  const deployerKey = roleKey('dev token deployer')
  const deployer = await createL1Clients({ rpcUrl: l1Rpc, privateKey: deployerKey })
  await setL1Balance(l1, deployer.account.address, parseEther('10'))
  const hash = await deployer.walletClient.deployContract({
    abi: devTokenAbi,
    bytecode: devTokenBytecode,
    args: ['l2kit Dev Token', 'DEV', 18, accounts.map((a) => a.address), parseEther('1000000')],
    account: deployer.account,
    chain: deployer.walletClient.chain,
  })
  const receipt = await l1.waitForTransactionReceipt({ hash })
  if (!receipt.contractAddress)
    throw new L2kitError('L1_TX_REVERTED', `the DEV token deployment ${hash} failed`)
  return { keys, accounts, devToken: receipt.contractAddress }
}

export type PlannedTransfer = { index: number; from: number; to: number; token: boolean }

/**
 * N transfers among M accounts: sender i mod M, a recipient that is never the sender, every other one in the dev
 * ERC-20 when the family carries tokens.
 */
export function transferPlan(accounts: number, transfers: number, tokens: boolean): PlannedTransfer[] {
  return Array.from({ length: transfers }, (_, i) => {
    const from = i % accounts
    const hop = 1 + (Math.floor(i / accounts) % Math.max(1, accounts - 1))
    return { index: i, from, to: (from + hop) % accounts, token: tokens && i % 2 === 1 }
  })
}

/** Runs each sender's transfers in order, all senders at once (what M independent wallets do). */
export async function bySender<T>(
  plan: PlannedTransfer[],
  send: (t: PlannedTransfer, nth: number) => Promise<T>,
): Promise<T[]> {
  const senders = new Map<number, PlannedTransfer[]>()
  for (const t of plan) senders.set(t.from, [...(senders.get(t.from) ?? []), t])
  const results: T[] = new Array(plan.length)
  await Promise.all(
    [...senders.values()].map(async (mine) => {
      for (const [nth, t] of mine.entries()) results[t.index] = await send(t, nth)
    }),
  )
  return results
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

export function round(x: number, digits = 3): number {
  return Number(x.toFixed(digits))
}

/** Polls `check` until true, the phase is aborted, or `timeoutMs` passes (TIMEOUT naming `what`). */
export async function waitUntil(
  ctx: Pick<PhaseContext, 'signal'>,
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (ctx.signal.aborted)
      throw new L2kitError('TIMEOUT', `stopped waiting for ${what}: the phase's time is up`)
    if (Date.now() > deadline)
      throw new L2kitError(
        'TIMEOUT',
        `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`,
        {
          kind: 'temporary',
        },
      )
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

/** A row before anything is measured (what a failed row keeps of it is what was filled in before the failure). */
export function newRow(id: RowId, family: FamilyName | 'l1', label: string): RowResult {
  const facts = ROW_FACTS[id]
  return {
    id,
    family,
    label,
    status: 'failed',
    stages: [],
    phaseSeconds: 0,
    transfers: { done: 0, eth: 0, token: 0, seconds: 0, perSecond: null, confirmedBy: '' },
    depositLatencySeconds: null,
    depositConfirmedBy: '',
    withdrawal: {
      measuredSeconds: null,
      what: '',
      devnet: { setting: '', seconds: 0 },
      production: facts.production,
    },
    l1: {
      operator: { txs: 0, gas: 0, blobGas: 0, calldataBytes: 0, blobs: 0, byFunction: {} },
      depositGas: null,
      withdrawalGas: null,
    },
    perTransfer: { gas: null, blobGas: null, bytes: null },
    capitalLockedWei: null,
    evm: { supported: false, evidence: '' },
    wallets: facts.wallets,
    notes: [],
  }
}

/** Fills the amortised per-transfer figures from the operator's L1 costs. */
export function amortise(row: RowResult): void {
  const n = row.transfers.done
  if (n === 0) return
  const o = row.l1.operator
  row.perTransfer = {
    gas: round(o.gas / n, 1),
    blobGas: round(o.blobGas / n, 1),
    bytes: round((o.calldataBytes + o.blobs * 131_072) / n, 1),
  }
}

/** Transfers per second from the first send to the last confirmation. */
export function rate(done: number, seconds: number): number | null {
  return seconds > 0 ? Number((done / seconds).toPrecision(3)) : null
}

/**
 * The transfer plan on an EVM L2 (the optimistic rollup, the sidechain): each sender signs its transfers in nonce
 * order (ETH, or `token`'s ERC-20 `transfer`), sends them with `eth_sendRawTransaction`, and the row counts those
 * with a successful receipt per second from the first send to the last receipt.
 */
export async function evmTransfers(
  env: CompareEnv,
  l2: PublicClient,
  plan: PlannedTransfer[],
  o: {
    chainId: number
    token: Address
    ethGas: bigint
    tokenGas: bigint
    fees:
      | { type: 'eip1559'; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
      | { type: 'legacy'; gasPrice: bigint }
    pollingInterval: number
    timeoutMs: number
    confirmedBy: string
  },
): Promise<RowResult['transfers']> {
  const nonces = await Promise.all(
    env.accounts.map((a) => l2.getTransactionCount({ address: a.address, blockTag: 'pending' })),
  )
  const t0 = performance.now()
  const hashes = await bySender(plan, async (t, nth) => {
    const account = env.accounts[t.from] as PrivateKeyAccount
    const to = (env.accounts[t.to] as PrivateKeyAccount).address
    const raw = await account.signTransaction({
      chainId: o.chainId,
      nonce: (nonces[t.from] as number) + nth,
      ...o.fees,
      ...(t.token
        ? {
            to: o.token,
            gas: o.tokenGas,
            data: encodeFunctionData({
              abi: erc20Abi,
              functionName: 'transfer',
              args: [to, BigInt(env.workload.tokenAmount)],
            }),
          }
        : { to, gas: o.ethGas, value: BigInt(env.workload.ethAmountWei) }),
    } as Parameters<PrivateKeyAccount['signTransaction']>[0])
    return (await l2.request({ method: 'eth_sendRawTransaction', params: [raw] })) as Hex
  })
  const receipts = await Promise.all(
    hashes.map((hash) =>
      l2.waitForTransactionReceipt({ hash, pollingInterval: o.pollingInterval, timeout: o.timeoutMs }),
    ),
  )
  const seconds = (performance.now() - t0) / 1000
  const ok = receipts.filter((r) => r.status === 'success').length
  return {
    done: ok,
    eth: plan.filter((t) => !t.token).length,
    token: plan.filter((t) => t.token).length,
    seconds: round(seconds, 2),
    perSecond: rate(ok, seconds),
    confirmedBy: o.confirmedBy,
  }
}
