/** `l2kit transfer`: an L2 transfer of ETH or a bridged ERC-20, signed like any wallet would. */
import { encodeFunctionData, erc20Abi, formatUnits, isAddress } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { getL2Balance } from '../../sdk/optimistic/getL2Balance.ts'
import type { ParsedArgs } from '../args.ts'
import { str } from '../args.ts'
import { printJson, progress } from '../output.ts'
import { nodeRefusal, walletsFor } from './l2Context.ts'
import { parseAmount, resolveToken } from './tokens.ts'

export async function runTransfer(args: ParsedArgs): Promise<void> {
  const ctx = await walletsFor(args)
  const to = str(args.values.to)
  if (!to || !isAddress(to)) throw new L2kitError('INVALID_ARGUMENTS', '--to must be an address')
  const token = await resolveToken(args, ctx)
  const amount = parseAmount(args, token.decimals, token.symbol)
  if (token.kind === 'erc20' && token.index < 0)
    throw new L2kitError('UNKNOWN_TOKEN', `${token.l1Address} is not bridged to L2 yet`)
  // Checked here so the answer is one clear line, not the node's refusal wrapped in a wallet library's stack.
  const balance = await getL2Balance(ctx.l2Public, {
    address: ctx.account.address,
    ...(token.kind === 'erc20' ? { l2Token: token.l2Address } : {}),
  })
  if (balance < amount)
    throw new L2kitError(
      'INSUFFICIENT_BALANCE',
      `${ctx.account.address} has ${formatUnits(balance, token.decimals)} ${token.symbol} on L2, cannot send ${formatUnits(amount, token.decimals)}`,
    )
  const started = performance.now()
  const hash = await (token.kind === 'eth'
    ? ctx.l2Wallet.sendTransaction({ to, value: amount })
    : ctx.l2Wallet.sendTransaction({
        to: token.l2Address,
        data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, amount] }),
      })
  ).catch((err: unknown) => {
    throw nodeRefusal(err, 'the L2 node refused the transfer')
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
