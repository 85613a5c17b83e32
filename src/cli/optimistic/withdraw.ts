/** `l2kit withdraw`: start a withdrawal on L2, wait out the challenge window (with a countdown), finalize on L1. */
import { formatUnits, isAddress } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { getWithdrawalStatus, type WithdrawalStatus } from '../../sdk/optimistic/getWithdrawalStatus.ts'
import { initiateWithdrawal } from '../../sdk/optimistic/initiateWithdrawal.ts'
import { proveAndFinalizeWithdrawal } from '../../sdk/optimistic/proveAndFinalizeWithdrawal.ts'
import { requestL2kit } from '../../sdk/optimistic/requestL2kit.ts'
import type { ParsedArgs } from '../args.ts'
import { str } from '../args.ts'
import { printJson, progress } from '../output.ts'
import { walletsFor } from './l2Context.ts'
import { parseAmount, resolveToken } from './tokens.ts'

export async function runWithdraw(args: ParsedArgs): Promise<void> {
  const ctx = await walletsFor(args)
  const json = args.values.json === true
  let index: bigint
  const existing = str(args.values.index)
  if (existing !== undefined) {
    if (!/^\d+$/.test(existing)) throw new L2kitError('INVALID_ARGUMENTS', '--index must be a whole number')
    index = BigInt(existing)
    await requireWithdrawalExists(ctx, index)
  } else {
    const token = await resolveToken(args, ctx)
    const amount = parseAmount(args, token.decimals, token.symbol)
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
        const line = describeWithdrawalStatus(s)
        if (line !== last) progress(line)
        last = line
      },
    },
  )
  if (json) printJson({ withdrawalIndex: index, ...result })
  else {
    const tokens = await requestL2kit(ctx.l2Public, 'l2kit_tokens')
    const t = tokens.find((x) => x.l1Address.toLowerCase() === result.l1Token.toLowerCase())
    const what = /^0x0{40}$/.test(result.l1Token)
      ? `${formatUnits(result.amount, 18)} ETH`
      : `${formatUnits(result.amount, t?.decimals ?? 18)} ${t?.symbol ?? result.l1Token}`
    process.stdout.write(
      `withdrawal #${index} finalized on L1: ${what} paid to ${result.recipient} (tx ${result.l1TxHash})\n`,
    )
  }
}

/** A withdrawal's status in words (the SDK's status names are for programs). */
export function describeWithdrawalStatus(s: WithdrawalStatus): string {
  switch (s.status) {
    case 'waiting-for-proposal':
      return 'waiting for the batch and a proposed state root that cover it'
    case 'in-challenge-window':
      return `state root proposed (proposal #${s.proof.proposalIndex}); challenge window: ${s.secondsLeft} s left`
    case 'ready-to-finalize':
      return `challenge window over (proposal #${s.proof.proposalIndex} is final): finalizing on L1`
    case 'finalized':
      return 'already paid out on L1'
  }
}

/**
 * `--index N` of a withdrawal that does not exist must fail at once, not wait forever for a proposal that will
 * never cover it. It exists if the node can prove it (or says it is not yet derived/proposed) and it is one the
 * sequencer executed: still pending, or already proven (then finalized).
 */
async function requireWithdrawalExists(
  ctx: Awaited<ReturnType<typeof walletsFor>>,
  index: bigint,
): Promise<void> {
  const status = await requestL2kit(ctx.l2Public, 'l2kit_status')
  if (status.pendingWithdrawals.some((w) => BigInt(w.index) === index)) return
  const known = await getWithdrawalStatus(ctx.l2Public, index)
  if (known.status !== 'waiting-for-proposal') return
  const pending = status.pendingWithdrawals.map((w) => w.index)
  throw new L2kitError(
    'WITHDRAWAL_NOT_FOUND',
    `there is no withdrawal #${index} on this L2 (pending: ${pending.length ? pending.join(', ') : 'none'}); start one with --amount`,
  )
}
