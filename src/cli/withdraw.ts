/** `l2kit withdraw`: start a withdrawal on L2, wait out the challenge window (with a countdown), finalize on L1. */
import { formatUnits, isAddress } from 'viem'
import { L2kitError } from '../core/errors.ts'
import type { TokenInfo } from '../core/types.ts'
import { getWithdrawalStatus } from '../sdk/getWithdrawalStatus.ts'
import { initiateWithdrawal } from '../sdk/initiateWithdrawal.ts'
import { proveAndFinalizeWithdrawal } from '../sdk/proveAndFinalizeWithdrawal.ts'
import type { FlagSpec, ParsedArgs } from './args.ts'
import { str } from './args.ts'
import { l2Flags, walletsFor } from './l2Context.ts'
import { printJson, progress } from './output.ts'
import { parseAmount, resolveToken } from './tokens.ts'

export const withdrawFlags: FlagSpec = {
  ...l2Flags,
  'private-key': { type: 'string', description: 'key of the L2 sender (also pays the L1 finalization)' },
  amount: { type: 'string', description: 'amount in token units' },
  token: { type: 'string', description: 'ETH (default) or a bridged token' },
  to: { type: 'string', description: 'L1 recipient (default: the sender)' },
  'no-wait': { type: 'boolean', description: 'only start the withdrawal; finalize later with --index' },
  index: {
    type: 'string',
    description: 'finalize an existing withdrawal by its index instead of starting one',
  },
}

export async function runWithdraw(args: ParsedArgs): Promise<void> {
  const ctx = await walletsFor(args)
  const json = args.values.json === true
  let index: bigint
  const existing = str(args.values.index)
  if (existing !== undefined) {
    if (!/^\d+$/.test(existing)) throw new L2kitError('INVALID_ARGUMENTS', '--index must be a whole number')
    index = BigInt(existing)
  } else {
    const token = await resolveToken(args, ctx)
    const amount = parseAmount(args, token.decimals)
    const to = str(args.values.to)
    if (to !== undefined && !isAddress(to))
      throw new L2kitError('INVALID_ARGUMENTS', '--to must be an address')
    if (token.kind === 'erc20' && token.index < 0)
      throw new L2kitError('UNKNOWN_TOKEN', 'that token is not bridged')
    const w = await initiateWithdrawal(
      { walletClient: ctx.l2Wallet, publicClient: ctx.l2Public },
      {
        amount,
        ...(to ? { recipient: to } : {}),
        ...(token.kind === 'erc20' ? { l2Token: token.l2Address } : {}),
      },
    )
    index = w.withdrawalIndex
    if (!json)
      progress(
        `withdrawal #${index} of ${formatUnits(amount, token.decimals)} ${token.symbol} started on L2 (tx ${w.l2TxHash}, block ${w.l2BlockNumber})`,
      )
    if (args.values['no-wait'] === true) {
      if (json)
        printJson({
          withdrawalIndex: index,
          l2TxHash: w.l2TxHash,
          status: (await getWithdrawalStatus(ctx.l2Public, index)).status,
        })
      return
    }
  }
  let last = ''
  const result = await proveAndFinalizeWithdrawal(
    {
      l1WalletClient: ctx.l1.walletClient,
      l1PublicClient: ctx.l1.publicClient,
      l2PublicClient: ctx.l2Public,
    },
    {
      portal: ctx.info.portal,
      withdrawalIndex: index,
      wait: true,
      pollIntervalMs: 500,
      onProgress: (s) => {
        if (json) return
        const line =
          s.status === 'in-challenge-window'
            ? `state root proposed (proposal #${s.proof.proposalIndex}); challenge window: ${s.secondsLeft} s left`
            : s.status === 'waiting-for-proposal'
              ? 'waiting for the batch and a proposed state root that cover it'
              : s.status
        if (line !== last) progress(line)
        last = line
      },
    },
  )
  if (json) printJson({ withdrawalIndex: index, ...result })
  else {
    const tokens = (await ctx.l2Public.request({
      method: 'l2kit_tokens' as 'eth_chainId',
    })) as unknown as TokenInfo[]
    const t = tokens.find((x) => x.l1Address.toLowerCase() === result.l1Token.toLowerCase())
    const what = /^0x0{40}$/.test(result.l1Token)
      ? `${formatUnits(result.amount, 18)} ETH`
      : `${formatUnits(result.amount, t?.decimals ?? 18)} ${t?.symbol ?? result.l1Token}`
    process.stdout.write(
      `withdrawal #${index} finalized on L1: ${what} paid to ${result.recipient} (tx ${result.l1TxHash})\n`,
    )
  }
}
