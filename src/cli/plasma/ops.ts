/**
 * `l2kit plasma operator | watcher | deposit | transfer | exit | process-exits | status`: run the operator or a
 * watcher, or act as a user against a running chain (default: the operator of `l2kit up`). The chain's contract
 * and L1 are asked from the operator (`plasma_getInfo`), so a user needs only its URL and a key.
 */
import { type Address, formatEther, type Hex } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { plasmaFrameworkAbi } from '../../generated/contracts.ts'
import { createL1Clients } from '../../l1/clients.ts'
import { l1Now } from '../../l1/time.ts'
import type { Logger } from '../../node/logger.ts'
import { decodeUtxoPos } from '../../plasma/protocol/tx.ts'
import { createPlasmaOperatorService, createPlasmaWatcherService } from '../../plasma/services.ts'
import { createNodeRpcClient } from '../../sdk/nodeRpcClient.ts'
import {
  depositPlasma,
  getPlasmaBalance,
  listUtxos,
  type PlasmaChain,
  processExits,
  startExit,
  transferPlasma,
} from '../../sdk/plasma/index.ts'
import { operatorClient } from '../../sdk/plasma/shared.ts'
import type { FlagSpec, ParsedArgs } from '../args.ts'
import { num, requireKey, str, tokenAmount } from '../args.ts'
import { printJson, progress, table } from '../output.ts'

export const DEFAULT_PLASMA_OPERATOR = 'http://127.0.0.1:8571'
export const DEFAULT_PLASMA_WATCHER = 'http://127.0.0.1:8572'

const userFlags: FlagSpec = {
  operator: {
    type: 'string',
    description: 'JSON-RPC URL of the Plasma operator (default: the one of `l2kit up`)',
    default: DEFAULT_PLASMA_OPERATOR,
  },
  'l1-rpc': { type: 'string', description: 'L1 JSON-RPC URL (default: the one the operator uses)' },
  'private-key': { type: 'string', description: 'your key (L1 and Plasma are the same account)' },
}
const tokenFlags: FlagSpec = {
  token: {
    type: 'string',
    description: 'an ERC-20: DEV (the devnet token of l2kit up) or its address (default: ETH)',
  },
  decimals: { type: 'string', description: "the token's decimals (with --token)", default: '18' },
}

export const plasmaDepositFlags: FlagSpec = {
  ...userFlags,
  ...tokenFlags,
  amount: { type: 'string', description: 'ETH (or whole tokens) to deposit, e.g. 1.5' },
  to: { type: 'string', description: 'owner on the Plasma chain (default: the sender)' },
}
export const plasmaTransferFlags: FlagSpec = {
  ...userFlags,
  ...tokenFlags,
  to: { type: 'string', description: 'recipient address' },
  amount: { type: 'string', description: 'ETH (or whole tokens) to pay, e.g. 0.25' },
  watcher: {
    type: 'string',
    description: 'a watcher to tell about the transfer (it exits it in flight if the block is withheld)',
  },
}
export const plasmaExitFlags: FlagSpec = {
  ...userFlags,
  utxo: {
    type: 'string',
    description: 'the output position to exit (default: every committed output of the key)',
  },
  'no-wait': { type: 'boolean', description: 'only start the exits; process them later with process-exits' },
}
export const plasmaProcessFlags: FlagSpec = {
  ...userFlags,
  max: { type: 'string', description: 'exits to process at most', default: '20' },
}
export const plasmaStatusFlags: FlagSpec = {
  operator: userFlags.operator as FlagSpec[string],
  watcher: { type: 'string', description: 'JSON-RPC URL of a watcher', default: DEFAULT_PLASMA_WATCHER },
  address: { type: 'string', description: 'an account whose outputs and balance to show' },
}
const roleFlags: FlagSpec = {
  'l1-rpc': { type: 'string', description: 'L1 JSON-RPC URL', default: 'http://127.0.0.1:8545' },
  host: { type: 'string', description: 'listen host', default: '127.0.0.1' },
  'rpc-port': { type: 'string', description: 'JSON-RPC port (0 = any free port)', default: '0' },
}
export const plasmaOperatorFlags: FlagSpec = {
  ...roleFlags,
  'private-key': { type: 'string', description: "the operator key (PlasmaFramework's operator)" },
  framework: { type: 'string', description: 'PlasmaFramework address' },
  'deploy-block': { type: 'string', description: 'L1 block the framework was deployed in', default: '0' },
  'data-dir': { type: 'string', description: 'where the LMDB store lives (restart resumes from it)' },
  'block-interval-ms': { type: 'string', description: 'how often a block is sealed', default: '1000' },
}
export const plasmaWatcherFlags: FlagSpec = {
  ...roleFlags,
  operator: userFlags.operator as FlagSpec[string],
  'private-key': {
    type: 'string',
    description: 'the watcher key: sends challenges, receives the bonds it wins',
  },
  users: {
    type: 'string',
    description: 'keys of the users to exit for when the chain turns byzantine, comma separated',
  },
  'withhold-timeout-ms': {
    type: 'string',
    description: 'a committed block not served after this long counts as withheld',
    default: '5000',
  },
}

type ChainInfo = PlasmaChain & { exitPeriodSeconds: bigint; deployBlock: bigint; l1Rpc: string | null }

async function chainOf(args: ParsedArgs): Promise<ChainInfo> {
  const operatorUrl = str(args.values.operator) ?? DEFAULT_PLASMA_OPERATOR
  const info = await operatorClient({ operatorUrl }).request<{
    framework: Address
    chainId: string
    exitPeriodSeconds: string
    deployBlock: string
    l1Rpc: string | null
  }>('plasma_getInfo')
  return {
    operatorUrl,
    framework: info.framework,
    chainId: BigInt(info.chainId),
    exitPeriodSeconds: BigInt(info.exitPeriodSeconds),
    deployBlock: BigInt(info.deployBlock),
    l1Rpc: info.l1Rpc,
  }
}

/** The user's L1 clients: `--l1-rpc`, else the L1 the operator uses. */
async function l1Of(args: ParsedArgs, chain: ChainInfo) {
  const rpcUrl = str(args.values['l1-rpc']) ?? chain.l1Rpc
  if (rpcUrl === null)
    throw new L2kitError(
      'INVALID_ARGUMENTS',
      '--l1-rpc is required: the operator does not say which L1 it uses',
    )
  return createL1Clients({ rpcUrl, privateKey: requireKey(args) })
}

function addressOf(text: string | undefined, flag: string): Address {
  if (text === undefined || !/^0x[0-9a-fA-F]{40}$/.test(text)) {
    throw new L2kitError('INVALID_ARGUMENTS', `--${flag} must be an address (0x + 40 hex digits)`)
  }
  return text.toLowerCase() as Address
}

/** --token: DEV (the devnet token the operator reports) or an ERC-20 address; undefined for ETH. */
async function tokenOf(args: ParsedArgs): Promise<Address | undefined> {
  const token = str(args.values.token)
  if (token === undefined || token.toUpperCase() === 'ETH') return undefined
  if (token.toUpperCase() === 'DEV') {
    const info = await operatorClient({
      operatorUrl: str(args.values.operator) ?? DEFAULT_PLASMA_OPERATOR,
    }).request<{
      devToken?: Address | null
    }>('plasma_getInfo')
    if (info.devToken === undefined || info.devToken === null) {
      throw new L2kitError(
        'INVALID_ARGUMENTS',
        'this operator knows no DEV token (l2kit up deploys one): pass its address',
      )
    }
    return info.devToken
  }
  return addressOf(token, 'token')
}

/** --token and --amount together (the amount in the token's decimals). */
async function tokenAndAmountOf(args: ParsedArgs): Promise<{ token: Address | undefined; amount: bigint }> {
  const token = await tokenOf(args)
  const decimals = token === undefined ? 18 : (num(args.values.decimals, 'decimals') ?? 18)
  return { token, amount: tokenAmount(str(args.values.amount), 'amount', decimals) }
}

export async function runPlasmaDeposit(args: ParsedArgs): Promise<void> {
  const chain = await chainOf(args)
  const { token, amount } = await tokenAndAmountOf(args)
  const to = str(args.values.to)
  const l1 = await l1Of(args, chain)
  const d = await depositPlasma({
    l1,
    framework: chain.framework,
    amount,
    ...(token ? { token } : {}),
    ...(to ? { owner: addressOf(to, 'to') } : {}),
  })
  if (args.values.json === true)
    printJson({ blknum: d.blknum, utxoPos: d.utxoPos, txHash: d.txHash, gasUsed: d.receipt.gasUsed })
  else
    process.stdout.write(
      `deposited into deposit block ${d.blknum} (output ${d.utxoPos}); L1 ${d.txHash}, gas ${d.receipt.gasUsed}\n`,
    )
}

export async function runPlasmaTransfer(args: ParsedArgs): Promise<void> {
  const chain = await chainOf(args)
  const { token, amount } = await tokenAndAmountOf(args)
  const l1 = await l1Of(args, chain)
  const watcherUrl = str(args.values.watcher)
  const t = await transferPlasma({
    chain,
    wallet: l1.walletClient,
    to: addressOf(str(args.values.to), 'to'),
    amount,
    ...(token ? { token } : {}),
    ...(watcherUrl ? { watcherUrl } : {}),
  })
  if (args.values.json === true)
    printJson({ txHash: t.txHash, blknum: t.blknum, txIndex: t.txIndex, inputs: t.tx.inputs })
  else
    process.stdout.write(
      `transfer ${t.txHash} stored by the operator; it goes into block ${t.blknum} (index ${t.txIndex})\n`,
    )
}

export async function runPlasmaExit(args: ParsedArgs): Promise<void> {
  const chain = await chainOf(args)
  const l1 = await l1Of(args, chain)
  const json = args.values.json === true
  const one = str(args.values.utxo)
  if (one !== undefined && !/^[1-9][0-9]*$/.test(one))
    throw new L2kitError('INVALID_ARGUMENTS', '--utxo must be an output position')
  const positions =
    one !== undefined ? [BigInt(one)] : (await listUtxos(chain, l1.account.address)).map((u) => u.utxoPos)
  if (positions.length === 0)
    throw new L2kitError('INVALID_ARGUMENTS', `${l1.account.address} has no output to exit`)
  const started = []
  for (const utxoPos of positions) {
    const p = decodeUtxoPos(utxoPos)
    try {
      const e = await startExit({ l1, chain, utxoPos })
      started.push({ utxoPos, ...e })
      if (!json)
        progress(
          `exit ${e.exitId} of output ${utxoPos} (block ${p.blknum}): ${formatEther(e.amount)} started, bond ${formatEther(e.bond)} ETH, gas ${e.receipt.gasUsed}`,
        )
    } catch (err) {
      if (one !== undefined) throw err
      if (!json) progress(`output ${utxoPos} skipped: ${(err as Error).message.split('\n')[0]}`)
    }
  }
  if (started.length === 0) throw new L2kitError('INVALID_ARGUMENTS', 'no exit could be started')
  if (args.values['no-wait'] !== true) {
    let due = 0n
    for (const e of started) if (e.exitableAt > due) due = e.exitableAt
    for (;;) {
      const now = await l1Now(l1.publicClient)
      if (now >= due) break
      const left = Number(due - now)
      if (!json) progress(`exit period: ${formatDuration(left)} left (exitable at L1 time ${due})`)
      await new Promise((r) => setTimeout(r, Math.min(left, left > 120 ? 60 : left > 30 ? 10 : 5) * 1000))
    }
    const processed = await processExits({ l1, framework: chain.framework })
    // whoever processed them (this call, or a watcher before it), our exits' payouts are on L1 as events
    const ids = new Set(started.map((e) => e.exitId))
    const events = await l1.publicClient.getContractEvents({
      address: chain.framework,
      abi: plasmaFrameworkAbi,
      eventName: 'ExitFinalized',
      fromBlock: started[0]?.receipt.blockNumber ?? 0n,
    })
    const paid = events
      .map((e) => e.args as { exitId: bigint; owner: Address; token: Address; amount: bigint })
      .filter((a) => ids.has(a.exitId))
    if (json) printJson({ started, paid, processTxHash: processed.txHash })
    else {
      for (const p of paid)
        process.stdout.write(`exit ${p.exitId}: paid ${formatEther(p.amount)} of ${p.token} to ${p.owner}\n`)
      process.stdout.write(`exit period over: ${paid.length} of ${started.length} exit(s) paid on L1\n`)
    }
    return
  }
  if (json) printJson({ started })
  else
    process.stdout.write(
      `${started.length} exit(s) started; run 'l2kit plasma process-exits' after the exit period\n`,
    )
}

function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return h > 0 ? `${h}h ${m}m ${s}s` : m > 0 ? `${m}m ${s}s` : `${s}s`
}

export async function runPlasmaProcessExits(args: ParsedArgs): Promise<void> {
  const chain = await chainOf(args)
  const l1 = await l1Of(args, chain)
  const r = await processExits({
    l1,
    framework: chain.framework,
    max: BigInt(num(args.values.max, 'max') ?? 20),
  })
  if (args.values.json === true) printJson({ paid: r.paid, txHash: r.txHash, gasUsed: r.receipt.gasUsed })
  else process.stdout.write(`${r.paid.length} exit(s) paid (${r.txHash}, gas ${r.receipt.gasUsed})\n`)
}

export async function runPlasmaStatus(args: ParsedArgs): Promise<void> {
  const operatorUrl = str(args.values.operator) ?? DEFAULT_PLASMA_OPERATOR
  const info = await operatorClient({ operatorUrl }).request<Record<string, unknown>>('plasma_getInfo')
  const watcherUrl = str(args.values.watcher) ?? DEFAULT_PLASMA_WATCHER
  let watcher: Record<string, unknown> | { down: string }
  try {
    watcher = await createNodeRpcClient(watcherUrl, {
      what: 'Plasma watcher',
      unreachableHint: "start one with 'l2kit up' or 'l2kit plasma watcher'",
    }).request('plasma_watcherStatus')
  } catch (e) {
    watcher = { down: (e as Error).message }
  }
  const address = str(args.values.address)
  const account =
    address === undefined
      ? undefined
      : {
          address: addressOf(address, 'address'),
          ethBalance: await getPlasmaBalance({
            chain: { operatorUrl },
            owner: addressOf(address, 'address'),
          }),
          outputs: await listUtxos({ operatorUrl }, addressOf(address, 'address')),
        }
  if (args.values.json === true) {
    printJson({
      operator: { url: operatorUrl, ...info },
      watcher: { url: watcherUrl, ...watcher },
      ...(account ? { account } : {}),
    })
    return
  }
  const rows: [string, string][] = [
    [
      'operator',
      `${operatorUrl}  framework ${String(info.framework)}  open block ${String(info.openBlock)} (${String(info.pending)} pending)  ${String(info.utxos)} unspent outputs`,
    ],
    ['exit period', `${String(info.exitPeriodSeconds)} s`],
  ]
  if ('down' in watcher) rows.push(['watcher', `down: ${watcher.down}`])
  else {
    const w = watcher as {
      blocks: Record<string, number>
      byzantine: { kind: string; blknum: string; detail: string }[]
      actions: { kind: string; detail: string; ok: boolean }[]
      openExits: unknown[]
    }
    rows.push([
      'watcher',
      `${watcherUrl}  blocks ${JSON.stringify(w.blocks)}  open exits ${w.openExits.length}`,
    ])
    for (const b of w.byzantine) rows.push(['  saw', `${b.kind} at block ${b.blknum}: ${b.detail}`])
    for (const a of w.actions.slice(-10))
      rows.push(['  did', `${a.ok ? '' : 'FAILED '}${a.kind}: ${a.detail}`])
  }
  if (account) {
    rows.push(['account', `${account.address}  ${formatEther(account.ethBalance)} ETH on Plasma`])
    for (const u of account.outputs) rows.push(['  output', `${u.utxoPos}  ${u.amount} of ${u.token}`])
  }
  process.stdout.write(`${table(rows)}\n`)
}

function listenOf(args: ParsedArgs): { host: string; port: number } {
  return { host: str(args.values.host) ?? '127.0.0.1', port: num(args.values['rpc-port'], 'rpc-port') ?? 0 }
}

export async function runPlasmaOperator(
  args: ParsedArgs,
  logger: Logger,
  onShutdown: (fn: () => Promise<void>) => void,
): Promise<void> {
  const dataDir = str(args.values['data-dir'])
  if (dataDir === undefined)
    throw new L2kitError('INVALID_ARGUMENTS', '--data-dir is required (the operator store)')
  const service = await createPlasmaOperatorService(
    {
      dataDir,
      l1RpcUrl: str(args.values['l1-rpc']) ?? 'http://127.0.0.1:8545',
      operatorKey: requireKey(args),
      framework: addressOf(str(args.values.framework), 'framework'),
      deployBlock: BigInt(num(args.values['deploy-block'], 'deploy-block') ?? 0),
      blockIntervalMs: num(args.values['block-interval-ms'], 'block-interval-ms') ?? 1000,
      rpc: listenOf(args),
    },
    { logger },
  )
  await service.start()
  onShutdown(() => service.stop())
  const ready = {
    role: 'plasma-operator',
    rpc: service.rpcUrl(),
    openBlock: service.role.openBlknum.toString(),
  }
  if (args.values.json === true) printJson(ready)
  else
    process.stdout.write(
      `plasma operator ready: ${ready.rpc} (open block ${ready.openBlock}); Ctrl-C stops it\n`,
    )
  await new Promise(() => undefined)
}

export async function runPlasmaWatcher(
  args: ParsedArgs,
  logger: Logger,
  onShutdown: (fn: () => Promise<void>) => void,
): Promise<void> {
  const chain = await chainOf(args)
  const users = (str(args.values.users) ?? '').split(',').filter((k) => k !== '')
  for (const k of users)
    if (!/^0x[0-9a-fA-F]{64}$/.test(k))
      throw new L2kitError(
        'INVALID_ARGUMENTS',
        '--users must be private keys (0x + 64 hex digits), comma separated',
      )
  const service = await createPlasmaWatcherService(
    {
      l1RpcUrl: str(args.values['l1-rpc']) ?? 'http://127.0.0.1:8545',
      operatorUrl: chain.operatorUrl,
      framework: chain.framework,
      deployBlock: chain.deployBlock,
      challengerKey: requireKey(args),
      userKeys: users as Hex[],
      withholdTimeoutMs: num(args.values['withhold-timeout-ms'], 'withhold-timeout-ms') ?? 5000,
      rpc: listenOf(args),
    },
    { logger },
  )
  await service.start()
  onShutdown(() => service.stop())
  const ready = { role: 'plasma-watcher', rpc: service.rpcUrl(), users: users.length }
  if (args.values.json === true) printJson(ready)
  else
    process.stdout.write(
      `plasma watcher ready: ${ready.rpc}, watching ${users.length} user(s); Ctrl-C stops it\n`,
    )
  await new Promise(() => undefined)
}
