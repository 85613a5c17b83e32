/**
 * `l2kit zk deposit | transfer | withdraw | full-exit | exodus-withdraw | status`. The L2 key is derived from
 * `--private-key` exactly as a wallet derives it (a signature over a fixed message), so a user never handles it.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Address, isAddress } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { zkRollupAbi } from '../../generated/contracts.ts'
import { createL1Clients } from '../../l1/clients.ts'
import {
  activateZkExodusMode,
  depositZk,
  exodusWithdraw,
  getZkAccount,
  getZkAccountsByOwner,
  rebuildVerifiedZkState,
  requestFullExit,
  transferZk,
  waitForZkTransaction,
  withdrawPendingBalance,
  withdrawZk,
} from '../../sdk/zk/index.ts'
import { loadZkCrypto } from '../../zk/protocol/crypto.ts'
import type { FlagSpec, ParsedArgs } from '../args.ts'
import { num, requireKey, str } from '../args.ts'
import { printJson, progress, table } from '../output.ts'
import {
  DEFAULT_ZK_RPC,
  formatUnitsEth,
  parseAmount,
  readZkStatus,
  zkContext,
  zkNodeFlags,
} from './context.ts'

const keyFlag: FlagSpec = {
  'private-key': { type: 'string', description: 'your L1 key (the L2 key is derived from it)' },
}
const tokenFlag: FlagSpec = { token: { type: 'string', description: 'token id (0 = ETH)', default: '0' } }

export const zkDepositFlags: FlagSpec = {
  ...zkNodeFlags,
  ...keyFlag,
  amount: { type: 'string', description: 'ETH to deposit, e.g. 1.5 (whole gwei)' },
}
export const zkTransferFlags: FlagSpec = {
  ...zkNodeFlags,
  ...keyFlag,
  ...tokenFlag,
  to: {
    type: 'string',
    description: 'recipient: an L1 address (its account, or a new one) or an account index',
  },
  amount: { type: 'string', description: 'ETH to send, e.g. 0.25' },
  wait: {
    type: 'string',
    description: 'soft | committed | verified (wait until the proof is verified on L1)',
    default: 'soft',
  },
}
export const zkWithdrawFlags: FlagSpec = {
  ...zkNodeFlags,
  ...keyFlag,
  ...tokenFlag,
  amount: { type: 'string', description: 'ETH to withdraw to L1' },
  to: { type: 'string', description: 'L1 recipient (default: you)' },
  'no-wait': { type: 'boolean', description: 'do not wait for the proof and the L1 payout' },
}
export const zkFullExitFlags: FlagSpec = {
  ...zkNodeFlags,
  ...keyFlag,
  ...tokenFlag,
  account: { type: 'string', description: 'your account index (default: your first account)' },
}
export const zkExodusFlags: FlagSpec = {
  ...keyFlag,
  ...tokenFlag,
  'l1-rpc': { type: 'string', description: 'L1 JSON-RPC URL (required when the node is gone)' },
  rollup: { type: 'string', description: 'ZkRollup address (default: from --zk-rpc or --data-dir)' },
  'zk-rpc': {
    type: 'string',
    description: 'a ZK node to read the rollup address from, if it still runs',
    default: DEFAULT_ZK_RPC,
  },
  'data-dir': { type: 'string', description: 'a devnet data dir holding zk-deployment.json' },
  account: {
    type: 'string',
    description: 'the account index to exit (default: found from L1 data by owner)',
  },
}
export const zkStatusFlags: FlagSpec = { ...zkNodeFlags }

function tokenOf(args: ParsedArgs): number {
  const t = num(args.values.token, 'token') ?? 0
  if (t !== 0)
    throw new L2kitError('INVALID_ARGUMENTS', 'the CLI moves ETH (token 0); use the SDK for ERC-20 tokens')
  return t
}

export async function runZkDeposit(args: ParsedArgs): Promise<void> {
  const ctx = await zkContext(args)
  const { base, units } = parseAmount(args)
  progress(
    `depositing ${formatUnitsEth(units)} to the ZK rollup (your L2 key ${ctx.key.pkHash.toString(16).slice(0, 12)}… is registered with it)`,
  )
  const r = await depositZk({
    l1: ctx.l1,
    rollup: ctx.info.rollup,
    token: 'ETH',
    amount: base,
    pkHash: ctx.key.pkHash,
  })
  progress(`L1 request #${r.requestIndex} in ${r.l1TxHash}; waiting for the node to apply it…`)
  let account = null
  for (let i = 0; i < 600 && account === null; i++) {
    account =
      (await getZkAccountsByOwner({ node: ctx.node, owner: ctx.address })).find(
        (a) => a.balances[0] !== undefined,
      ) ?? null
    if (account === null) await new Promise((res) => setTimeout(res, 100))
  }
  const result = {
    requestIndex: r.requestIndex.toString(),
    l1TxHash: r.l1TxHash,
    account: account?.index ?? null,
    balance: account ? formatUnitsEth(account.balances[0] ?? 0n) : null,
  }
  if (args.values.json === true) printJson(result)
  else
    process.stdout.write(
      `${table([
        ['L1 request', result.requestIndex],
        ['L1 tx', r.l1TxHash],
        ['L2 account', String(result.account)],
        ['L2 balance (soft)', String(result.balance)],
      ])}\n`,
    )
}

async function myAccount(ctx: Awaited<ReturnType<typeof zkContext>>, explicit?: number) {
  if (explicit !== undefined) {
    const a = await getZkAccount({ node: ctx.node, index: explicit })
    if (a === null) throw new L2kitError('UNKNOWN_ACCOUNT', `account ${explicit} does not exist`)
    return a
  }
  const mine = await getZkAccountsByOwner({ node: ctx.node, owner: ctx.address })
  const first = mine[0]
  if (first === undefined)
    throw new L2kitError('UNKNOWN_ACCOUNT', `${ctx.address} has no ZK account yet: 'l2kit zk deposit' first`)
  return first
}

export async function runZkTransfer(args: ParsedArgs): Promise<void> {
  const ctx = await zkContext(args)
  const token = tokenOf(args)
  const { units } = parseAmount(args)
  const toText = str(args.values.to)
  if (toText === undefined)
    throw new L2kitError('INVALID_ARGUMENTS', '--to is required (an address or an account index)')
  const to: number | Address = isAddress(toText) ? (toText as Address) : Number(toText)
  if (typeof to === 'number' && (!Number.isInteger(to) || to < 0))
    throw new L2kitError('INVALID_ARGUMENTS', `--to ${toText} is neither an address nor an account index`)
  const from = await myAccount(ctx)
  const started = Date.now()
  const t = await transferZk({ node: ctx.node, key: ctx.key, from: from.index, to, token, amount: units })
  progress(`soft-confirmed in ${Date.now() - started} ms: ${t.hash} (${t.type} to account ${t.to})`)
  const wait = str(args.values.wait) ?? 'soft'
  if (wait !== 'soft') {
    progress(`waiting for the block's proof to be ${wait} on L1…`)
    await waitForZkTransaction({
      node: ctx.node,
      hash: t.hash,
      status: wait as 'verified',
      timeoutMs: 30 * 60_000,
    })
  }
  const result = {
    hash: t.hash,
    type: t.type,
    from: from.index,
    to: t.to,
    amount: formatUnitsEth(t.amount),
    status: wait,
    seconds: (Date.now() - started) / 1000,
  }
  if (args.values.json === true) printJson(result)
  else process.stdout.write(`${table(Object.entries(result).map(([k, v]) => [k, String(v)]))}\n`)
}

export async function runZkWithdraw(args: ParsedArgs): Promise<void> {
  const ctx = await zkContext(args)
  const token = tokenOf(args)
  const { units } = parseAmount(args)
  const to = (str(args.values.to) ?? ctx.address) as Address
  if (!isAddress(to)) throw new L2kitError('INVALID_ARGUMENTS', `--to ${to} is not an address`)
  const from = await myAccount(ctx)
  const started = Date.now()
  const w = await withdrawZk({ node: ctx.node, key: ctx.key, from: from.index, token, amount: units, to })
  progress(`withdrawal soft-confirmed: ${w.hash}`)
  const result: Record<string, unknown> = { hash: w.hash, amount: formatUnitsEth(units), to }
  if (args.values['no-wait'] !== true) {
    progress(
      'waiting for its block to be proven and verified on L1 (no challenge window: final at proof time)…',
    )
    await waitForZkTransaction({ node: ctx.node, hash: w.hash, status: 'verified', timeoutMs: 30 * 60_000 })
    const paid = await withdrawPendingBalance({ l1: ctx.l1, rollup: ctx.info.rollup, token, owner: to })
    result.l1TxHash = paid.l1TxHash
    result.paidWei = paid.amount.toString()
    result.latencySeconds = (Date.now() - started) / 1000
    progress(`paid on L1 after ${result.latencySeconds} s`)
  }
  if (args.values.json === true) printJson(result)
  else process.stdout.write(`${table(Object.entries(result).map(([k, v]) => [k, String(v)]))}\n`)
}

export async function runZkFullExit(args: ParsedArgs): Promise<void> {
  const ctx = await zkContext(args)
  const token = tokenOf(args)
  const account = await myAccount(ctx, num(args.values.account, 'account'))
  const r = await requestFullExit({ l1: ctx.l1, rollup: ctx.info.rollup, accountIndex: account.index, token })
  const result = {
    requestIndex: r.requestIndex.toString(),
    l1TxHash: r.l1TxHash,
    account: account.index,
    expiry: new Date(Number(r.expiry) * 1000).toISOString(),
    note: 'the operator must process it by the expiry, else anyone can start exodus mode (l2kit zk exodus-withdraw)',
  }
  if (args.values.json === true) printJson(result)
  else process.stdout.write(`${table(Object.entries(result).map(([k, v]) => [k, String(v)]))}\n`)
}

/** Exits from the last verified state with a Merkle proof, from L1 data alone: works when the operator is gone. */
export async function runZkExodusWithdraw(args: ParsedArgs): Promise<void> {
  await loadZkCrypto()
  const privateKey = requireKey(args)
  const token = num(args.values.token, 'token') ?? 0
  let rollup = str(args.values.rollup) as Address | undefined
  let l1Rpc = str(args.values['l1-rpc'])
  let fromBlock: bigint | undefined
  let depth: number | undefined
  const dataDir = str(args.values['data-dir'])
  if ((rollup === undefined || l1Rpc === undefined) && dataDir !== undefined) {
    const saved = JSON.parse(readFileSync(join(dataDir, 'zk-deployment.json'), 'utf8')) as {
      rollup: Address
      deployBlock: string
      depth: number
    }
    rollup ??= saved.rollup
    fromBlock = BigInt(saved.deployBlock)
    depth = saved.depth
  }
  if (rollup === undefined || l1Rpc === undefined) {
    const info = await readZkStatus(str(args.values['zk-rpc']) ?? DEFAULT_ZK_RPC).catch(() => undefined)
    if (info === undefined)
      throw new L2kitError(
        'INVALID_ARGUMENTS',
        'the node is unreachable: pass --l1-rpc and --rollup (or --data-dir)',
      )
    rollup ??= info.rollup
    l1Rpc ??= info.l1Rpc
    fromBlock ??= BigInt(info.deployBlock)
    depth ??= info.depth
  }
  const l1 = await createL1Clients({ rpcUrl: l1Rpc as string, privateKey })
  const publicClient = l1.publicClient
  const exodus = await publicClient.readContract({
    address: rollup,
    abi: zkRollupAbi,
    functionName: 'exodusMode',
  })
  if (!exodus) {
    progress(
      'exodus mode is not active; trying to activate it (possible once an L1 request is past its deadline)…',
    )
    await activateZkExodusMode({ l1, rollup })
  }
  depth ??= Number(
    await publicClient.readContract({ address: rollup, abi: zkRollupAbi, functionName: 'depth' }),
  )
  progress('rebuilding the last verified state from L1 data (no operator needed)…')
  const verified = await rebuildVerifiedZkState({
    publicClient,
    rollup,
    ...(fromBlock !== undefined ? { fromBlock } : {}),
  })
  const explicit = num(args.values.account, 'account')
  const mine =
    explicit !== undefined ? [explicit] : [...verified.state.accountsOf(BigInt(l1.account.address))]
  if (mine.length === 0) {
    throw new L2kitError(
      'UNKNOWN_ACCOUNT',
      `${l1.account.address} owns no account in the last verified state (block ${verified.verifiedBlocks})`,
    )
  }
  const paid: { account: number; l1TxHash: string; wei: string }[] = []
  for (const accountIndex of mine) {
    if ((verified.state.account(accountIndex).balances[token] ?? 0n) === 0n) continue
    const r = await exodusWithdraw({ l1, rollup, accountIndex, token, depth, verified })
    paid.push({ account: accountIndex, l1TxHash: r.l1TxHash, wei: r.amount.toString() })
    progress(`account ${accountIndex}: ${r.amount} wei paid to ${r.owner}`)
  }
  const result = { verifiedBlocks: verified.verifiedBlocks, paid }
  if (args.values.json === true) printJson(result)
  else
    process.stdout.write(
      `${table(paid.map((p) => [`account ${p.account}`, `${p.wei} wei (${p.l1TxHash})`]))}\n`,
    )
}

export async function runZkStatus(args: ParsedArgs): Promise<void> {
  const zkRpc = str(args.values['zk-rpc']) ?? DEFAULT_ZK_RPC
  const info = await readZkStatus(zkRpc)
  if (args.values.json === true) printJson({ zkRpc, ...info })
  else process.stdout.write(`${table(Object.entries({ zkRpc, ...info }).map(([k, v]) => [k, String(v)]))}\n`)
}
