/** `l2kit deposit`: ETH or an ERC-20 from L1 to L2 through the portal. */
import { formatUnits, isAddress } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { waitFor } from '../../optimistic/devnet.ts'
import { depositErc20 } from '../../sdk/optimistic/depositErc20.ts'
import { depositEth } from '../../sdk/optimistic/depositEth.ts'
import { getL2Balance } from '../../sdk/optimistic/getL2Balance.ts'
import { requestL2kit } from '../../sdk/optimistic/requestL2kit.ts'
import type { ParsedArgs } from '../args.ts'
import { str } from '../args.ts'
import { printJson, progress } from '../output.ts'
import { walletsFor } from './l2Context.ts'
import { parseAmount, resolveToken } from './tokens.ts'

export async function runDeposit(args: ParsedArgs): Promise<void> {
  const ctx = await walletsFor(args)
  const token = await resolveToken(args, ctx)
  const amount = parseAmount(args, token.decimals, token.symbol)
  const toArg = str(args.values.to)
  if (toArg !== undefined && !isAddress(toArg))
    throw new L2kitError('INVALID_ARGUMENTS', '--to must be an address')
  const to = (toArg ?? ctx.account.address) as `0x${string}`
  const l1 = { walletClient: ctx.l1.walletClient, publicClient: ctx.l1.publicClient }
  const started = Date.now()
  if (!args.values.json)
    progress(`depositing ${formatUnits(amount, token.decimals)} ${token.symbol} to ${to} on L2`)
  const result =
    token.kind === 'eth'
      ? await depositEth(l1, { portal: ctx.info.portal, amount, to })
      : await depositErc20(l1, { portal: ctx.info.portal, token: token.l1Address, amount, to })
  if (!args.values.json)
    progress(
      `L1 tx ${result.l1TxHash} (deposit #${result.depositIndex}); waiting for the sequencer to include it`,
    )
  const l2Token = token.kind === 'erc20' && token.index >= 0 ? token.l2Address : undefined
  const before = await getL2Balance(ctx.l2Public, { address: to, ...(l2Token ? { l2Token } : {}) }).catch(
    () => 0n,
  )
  const count = async () => {
    const s = await requestL2kit(ctx.l2Public, 'l2kit_status')
    return BigInt(s.depositsIncluded) > result.depositIndex
  }
  await waitFor(count, 120_000, 'the deposit to appear on L2', 200)
  const after = await getL2Balance(ctx.l2Public, { address: to, ...(l2Token ? { l2Token } : {}) }).catch(
    () => before,
  )
  const seconds = (Date.now() - started) / 1000
  if (args.values.json)
    printJson({ ...result, to, token: token.symbol, amount, l2Balance: after, latencySeconds: seconds })
  else
    process.stdout.write(
      `deposited: L2 balance of ${to} is ${formatUnits(after, token.decimals)} ${token.symbol} (${seconds.toFixed(1)} s)\n`,
    )
}
