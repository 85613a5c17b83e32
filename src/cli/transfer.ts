/** `l2kit transfer`: an L2 transfer of ETH or a bridged ERC-20, signed like any wallet would. */
import { encodeFunctionData, erc20Abi, formatUnits, isAddress } from 'viem'
import { L2kitError } from '../core/errors.ts'
import type { FlagSpec, ParsedArgs } from './args.ts'
import { str } from './args.ts'
import { l2Flags, walletsFor } from './l2Context.ts'
import { printJson, progress } from './output.ts'
import { parseAmount, resolveToken } from './tokens.ts'

export const transferFlags: FlagSpec = {
  ...l2Flags,
  'private-key': { type: 'string', description: 'L2 sender key' },
  to: { type: 'string', description: 'recipient address' },
  amount: { type: 'string', description: 'amount in token units, e.g. 0.25' },
  token: { type: 'string', description: 'ETH (default) or a bridged token (symbol or L2 address)' },
}

export async function runTransfer(args: ParsedArgs): Promise<void> {
  const ctx = await walletsFor(args)
  const to = str(args.values.to)
  if (!to || !isAddress(to)) throw new L2kitError('INVALID_ARGUMENTS', '--to must be an address')
  const token = await resolveToken(args, ctx)
  const amount = parseAmount(args, token.decimals)
  if (token.kind === 'erc20' && token.index < 0)
    throw new L2kitError('UNKNOWN_TOKEN', `${token.l1Address} is not bridged to L2 yet`)
  const started = performance.now()
  const hash =
    token.kind === 'eth'
      ? await ctx.l2Wallet.sendTransaction({ to, value: amount })
      : await ctx.l2Wallet.sendTransaction({
          to: token.l2Address,
          data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, amount] }),
        })
  const acceptedMs = performance.now() - started
  if (!args.values.json) progress(`accepted by the sequencer: ${hash} (${acceptedMs.toFixed(0)} ms)`)
  const receipt = await ctx.l2Public.waitForTransactionReceipt({ hash, pollingInterval: 50 })
  const confirmedMs = performance.now() - started
  if (args.values.json)
    printJson({
      hash,
      blockNumber: receipt.blockNumber,
      token: token.symbol,
      amount,
      to,
      acceptedMs,
      softConfirmedMs: confirmedMs,
    })
  else
    process.stdout.write(
      `sent ${formatUnits(amount, token.decimals)} ${token.symbol} to ${to}: L2 block ${receipt.blockNumber}, soft-confirmed in ${confirmedMs.toFixed(0)} ms\n`,
    )
}
