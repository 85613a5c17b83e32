/**
 * `l2kit sidechain validator | deposit | withdraw | validators | status`: run one validator (from the config file
 * `l2kit up` writes), or act as a user against a running sidechain (default: validator 0 of `l2kit up`). The bridge
 * and the L1 are asked from the validator (`sidechain_getInfo`), so a user needs only its URL and a key.
 */
import { readFileSync } from 'node:fs'
import { type Address, createPublicClient, createWalletClient, defineChain, formatEther, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { L2kitError } from '../../core/errors.ts'
import { createL1Clients } from '../../l1/clients.ts'
import type { Logger } from '../../node/logger.ts'
import {
  depositToSidechain,
  getSidechainInfo,
  getValidators,
  proveAndFinalizeSidechainWithdrawal,
  withdrawFromSidechain,
} from '../../sdk/sidechain/index.ts'
import { validatorClient } from '../../sdk/sidechain/shared.ts'
import { startValidatorFromConfig, type ValidatorConfig } from '../../sidechain/devnet.ts'
import type { FlagSpec, ParsedArgs } from '../args.ts'
import { requireKey, str, tokenAmount } from '../args.ts'
import { printJson, progress, table } from '../output.ts'

export const DEFAULT_SIDECHAIN_RPC = 'http://127.0.0.1:8581'

const userFlags: FlagSpec = {
  rpc: {
    type: 'string',
    description: 'JSON-RPC URL of a sidechain validator (default: validator 0 of `l2kit up`)',
    default: DEFAULT_SIDECHAIN_RPC,
  },
  'l1-rpc': { type: 'string', description: 'L1 JSON-RPC URL (default: the one the validator uses)' },
  'private-key': { type: 'string', description: 'your key (the same account on L1 and on the sidechain)' },
}

export const sidechainValidatorFlags: FlagSpec = {
  config: { type: 'string', description: 'the validator config file (`l2kit up` writes one per validator)' },
  'watch-parent': {
    type: 'boolean',
    description: 'stop when stdin closes (how `l2kit up` makes sure no validator outlives it)',
  },
}
export const sidechainDepositFlags: FlagSpec = {
  ...userFlags,
  amount: { type: 'string', description: 'ETH to deposit, e.g. 1.5' },
  to: { type: 'string', description: 'recipient on the sidechain (default: the sender)' },
  wait: { type: 'boolean', description: 'wait until the validators have minted it on the sidechain' },
}
export const sidechainWithdrawFlags: FlagSpec = {
  ...userFlags,
  amount: { type: 'string', description: 'ETH to withdraw to L1, e.g. 0.5' },
  to: { type: 'string', description: 'recipient on L1 (default: the sender)' },
  'no-wait': {
    type: 'boolean',
    description: 'only burn it on the sidechain; finalize later (with --id) once a checkpoint covers it',
  },
  id: { type: 'string', description: 'finalize this earlier withdrawal on L1 instead of starting one' },
  'timeout-s': {
    type: 'string',
    description: 'how long to wait for the covering checkpoint',
    default: '300',
  },
}
export const sidechainStatusFlags: FlagSpec = {
  rpc: userFlags.rpc as FlagSpec[string],
  address: { type: 'string', description: 'an account whose sidechain balance to show' },
}

function addressOf(text: string | undefined, flag: string): Address {
  if (text === undefined || !/^0x[0-9a-fA-F]{40}$/.test(text))
    throw new L2kitError('INVALID_ARGUMENTS', `--${flag} must be an address (0x + 40 hex digits)`)
  return text.toLowerCase() as Address
}

function rpcOf(args: ParsedArgs): string {
  return str(args.values.rpc) ?? DEFAULT_SIDECHAIN_RPC
}

async function l1Of(args: ParsedArgs, rpcUrl: string) {
  const info = await validatorClient({ rpcUrl }).request<{ l1Rpc: string | null }>('sidechain_getInfo')
  const l1Rpc = str(args.values['l1-rpc']) ?? info.l1Rpc
  if (l1Rpc === null || l1Rpc === undefined)
    throw new L2kitError(
      'INVALID_ARGUMENTS',
      '--l1-rpc is required: the validator does not say which L1 it uses',
    )
  return createL1Clients({ rpcUrl: l1Rpc, privateKey: requireKey(args) })
}

function sidechainClients(rpcUrl: string, chainId: bigint, key: `0x${string}`) {
  const chain = defineChain({
    id: Number(chainId),
    name: `l2kit sidechain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  })
  return {
    publicClient: createPublicClient({ chain, transport: http(rpcUrl) }),
    wallet: createWalletClient({ chain, account: privateKeyToAccount(key), transport: http(rpcUrl) }),
  }
}

export async function runSidechainValidator(
  args: ParsedArgs,
  logger: Logger,
  onShutdown: (fn: () => Promise<void>) => void,
): Promise<void> {
  const path = str(args.values.config)
  if (path === undefined)
    throw new L2kitError('INVALID_ARGUMENTS', '--config is required (a validator config file)')
  let config: ValidatorConfig
  try {
    config = JSON.parse(readFileSync(path, 'utf8')) as ValidatorConfig
  } catch (e) {
    throw new L2kitError(
      'INVALID_ARGUMENTS',
      `cannot read the validator config ${path}: ${(e as Error).message}`,
    )
  }
  const service = await startValidatorFromConfig(config, logger)
  onShutdown(() => service.stop())
  if (args.values['watch-parent'] === true) {
    const leave = () => {
      logger.warn('the parent process is gone: stopping')
      process.kill(process.pid, 'SIGTERM')
    }
    process.stdin.on('end', leave)
    process.stdin.on('close', leave)
    process.stdin.resume()
  }
  const ready = {
    role: 'sidechain-validator',
    index: config.index,
    address: service.role.address,
    rpcUrl: service.rpcUrl(),
    p2p: service.role.network.address,
    height: service.execution.head().number.toString(),
  }
  if (args.values.json === true) printJson(ready)
  else
    process.stdout.write(
      `sidechain validator ${ready.index} (${ready.address}) ready: ${ready.rpcUrl}, p2p ${ready.p2p}, height ${ready.height}; Ctrl-C stops it\n`,
    )
  await new Promise(() => undefined)
}

export async function runSidechainDeposit(args: ParsedArgs): Promise<void> {
  const rpcUrl = rpcOf(args)
  const info = await getSidechainInfo({ rpcUrl })
  const amount = tokenAmount(str(args.values.amount), 'amount', 18)
  const l1 = await l1Of(args, rpcUrl)
  const to = str(args.values.to) === undefined ? l1.account.address : addressOf(str(args.values.to), 'to')
  const { publicClient } = sidechainClients(rpcUrl, info.chainId, requireKey(args))
  const before = await publicClient.getBalance({ address: to })
  const d = await depositToSidechain({ l1, bridge: info.bridge, amount, to })
  const out: Record<string, unknown> = {
    depositId: d.depositId,
    l1TxHash: d.txHash,
    gasUsed: d.receipt.gasUsed,
  }
  if (args.values.wait === true) {
    const started = Date.now()
    if (args.values.json !== true) progress('waiting for the validators to mint it')
    while ((await publicClient.getBalance({ address: to })) < before + amount) {
      if (Date.now() - started > 300_000)
        throw new L2kitError('TIMEOUT', 'the deposit was not minted within 5 minutes')
      await new Promise((r) => setTimeout(r, 250))
    }
    out.mintedAfterMs = Date.now() - started
  }
  if (args.values.json === true) printJson(out)
  else
    process.stdout.write(
      `deposit ${d.depositId} of ${formatEther(amount)} ETH to ${to}: L1 ${d.txHash} (gas ${d.receipt.gasUsed})${out.mintedAfterMs === undefined ? '' : `, minted after ${out.mintedAfterMs} ms`}\n`,
    )
}

export async function runSidechainWithdraw(args: ParsedArgs): Promise<void> {
  const rpcUrl = rpcOf(args)
  const info = await getSidechainInfo({ rpcUrl })
  const l1 = await l1Of(args, rpcUrl)
  const json = args.values.json === true
  let id: bigint
  const out: Record<string, unknown> = {}
  const given = str(args.values.id)
  if (given !== undefined) {
    if (!/^[0-9]+$/.test(given)) throw new L2kitError('INVALID_ARGUMENTS', '--id must be a withdrawal id')
    id = BigInt(given)
  } else {
    const amount = tokenAmount(str(args.values.amount), 'amount', 18)
    const to = str(args.values.to) === undefined ? l1.account.address : addressOf(str(args.values.to), 'to')
    const { publicClient, wallet } = sidechainClients(rpcUrl, info.chainId, requireKey(args))
    const w = await withdrawFromSidechain({ chain: { rpcUrl }, wallet, publicClient, amount, to })
    id = w.withdrawalId
    Object.assign(out, { withdrawalId: id, sidechainTxHash: w.txHash, block: w.blockNumber })
    if (!json)
      process.stdout.write(
        `withdrawal ${id} of ${formatEther(amount)} ETH burnt on the sidechain in block ${w.blockNumber} (${w.txHash})\n`,
      )
    if (args.values['no-wait'] === true) {
      if (json) printJson(out)
      else
        process.stdout.write(`finalize it once a checkpoint covers it: l2kit sidechain withdraw --id ${id}\n`)
      return
    }
  }
  const timeoutS = Number(str(args.values['timeout-s']) ?? '300')
  if (!json) progress(`waiting for a checkpoint covering withdrawal ${id} to reach L1`)
  let said = ''
  const fin = await proveAndFinalizeSidechainWithdrawal({
    chain: { rpcUrl, bridge: info.bridge },
    l1,
    withdrawalId: id,
    waitMs: timeoutS * 1000,
    onWait: (m) => {
      if (!json && m !== said) progress(m)
      said = m
    },
  })
  Object.assign(out, {
    withdrawalId: id,
    checkpoint: fin.proof.checkpoint,
    l1TxHash: fin.txHash,
    gasUsed: fin.gasUsed,
    paid: fin.proof.withdrawal.amount,
    waitedMs: fin.waitedMs,
  })
  if (json) printJson(out)
  else
    process.stdout.write(
      `paid on L1: ${formatEther(fin.proof.withdrawal.amount)} ETH to ${fin.proof.withdrawal.to} against checkpoint ${fin.proof.checkpoint} (${fin.txHash}, gas ${fin.gasUsed})\n`,
    )
}

export async function runSidechainValidators(args: ParsedArgs): Promise<void> {
  const v = await getValidators({ rpcUrl: rpcOf(args) })
  if (args.values.json === true) {
    printJson(v)
    return
  }
  process.stdout.write(
    `${v.validators.length} validators, total power ${formatEther(v.totalPower)} ETH staked; a quorum is > ⅔ (${formatEther(v.quorum)} ETH)\n`,
  )
  process.stdout.write(
    `${table(
      v.validators.map((x): [string, string] => [
        x.address,
        `stake ${formatEther(x.power)} ETH, proposer priority ${x.proposerPriority}${v.connected.includes(x.address) ? ', connected' : ''}`,
      ]),
    )}\n`,
  )
}

export async function runSidechainStatus(args: ParsedArgs): Promise<void> {
  const rpcUrl = rpcOf(args)
  const client = validatorClient({ rpcUrl })
  const [info, status] = await Promise.all([
    client.request<Record<string, unknown>>('sidechain_getInfo'),
    client.request<Record<string, unknown>>('sidechain_status'),
  ])
  const out: Record<string, unknown> = { rpcUrl, info, status }
  const address = str(args.values.address)
  if (address !== undefined) {
    const bal = await client.request<string>('eth_getBalance', [addressOf(address, 'address'), 'latest'])
    out.balance = { address, wei: BigInt(bal).toString() }
  }
  if (args.values.json === true) {
    printJson(out)
    return
  }
  process.stdout.write(
    `sidechain ${info.chainId} at ${rpcUrl}: height ${status.height}, round ${status.round} (${status.step}), ${status.peers} peers, mempool ${status.mempool}, ${status.checkpointsOnL1 ?? 0} checkpoints on L1 (every ${info.checkpointInterval} blocks)\n` +
      `  L1 bridge ${info.bridge}, StakeManager ${info.stakeManager}, L2 bridge ${info.l2Bridge}\n`,
  )
  if (out.balance !== undefined)
    process.stdout.write(`  ${address}: ${formatEther(BigInt((out.balance as { wei: string }).wei))} ETH\n`)
}
