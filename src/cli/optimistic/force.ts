/**
 * `l2kit force`: censorship resistance from the command line. Signs an L2 transfer or withdrawal (ETH, or a
 * bridged ERC-20 with --token) like a wallet,
 * queues it on L1 (`Rollup.queueForcedTx`) instead of sending it to the sequencer, waits out the inclusion
 * window (the sequencer may include it meanwhile) and then forces every due queued transaction into the
 * canonical order (`appendForcedBatch`), together with L1 deposits past the window that no forced batch covered
 * yet (a sequencer that withholds deposits cannot keep funds out of L2 either). `--include-only` just forces what
 * is due, for anyone.
 */
import { encodeFunctionData, erc20Abi, formatUnits, isAddress } from 'viem'
import { GAS, L2_BRIDGE_ADDRESS } from '../../core/constants.ts'
import { L2kitError } from '../../core/errors.ts'
import { forceInclusion } from '../../sdk/optimistic/forceInclusion.ts'
import { forceTransaction } from '../../sdk/optimistic/forceTransaction.ts'
import { l2BridgeAbi } from '../../sdk/optimistic/initiateWithdrawal.ts'
import type { ParsedArgs } from '../args.ts'
import { str } from '../args.ts'
import { printJson, progress } from '../output.ts'
import { walletsFor } from './l2Context.ts'
import { parseAmount, resolveToken } from './tokens.ts'

export async function runForce(args: ParsedArgs): Promise<void> {
  const ctx = await walletsFor(args)
  const json = args.values.json === true
  const say = (s: string) => (json ? undefined : progress(s))
  const l1 = { walletClient: ctx.l1.walletClient, publicClient: ctx.l1.publicClient }
  const rollup = ctx.info.rollup
  if (args.values['include-only'] !== true) {
    const to = str(args.values.to)
    if (to !== undefined && !isAddress(to))
      throw new L2kitError('INVALID_ARGUMENTS', '--to must be an address')
    const withdraw = args.values.withdraw === true
    if (!withdraw && to === undefined)
      throw new L2kitError('INVALID_ARGUMENTS', 'give --to (a transfer) or --withdraw (a withdrawal to L1)')
    const token = await resolveToken(args, ctx)
    if (token.kind === 'erc20' && token.index < 0)
      throw new L2kitError('UNKNOWN_TOKEN', `${token.l1Address} is not bridged to L2 yet (deposit it first)`)
    const amount = parseAmount(args, token.decimals, token.symbol)
    const recipient = to ?? ctx.account.address
    const call =
      token.kind === 'eth'
        ? withdraw
          ? {
              to: L2_BRIDGE_ADDRESS,
              value: amount,
              data: encodeFunctionData({ abi: l2BridgeAbi, functionName: 'withdrawETH', args: [recipient] }),
              gas: GAS.withdrawEth,
            }
          : { to: recipient, value: amount, gas: GAS.ethTransfer }
        : withdraw
          ? {
              to: L2_BRIDGE_ADDRESS,
              value: 0n,
              data: encodeFunctionData({
                abi: l2BridgeAbi,
                functionName: 'withdrawERC20',
                args: [token.l2Address, recipient, amount],
              }),
              gas: GAS.withdrawToken,
            }
          : {
              to: token.l2Address,
              value: 0n,
              data: encodeFunctionData({
                abi: erc20Abi,
                functionName: 'transfer',
                args: [recipient, amount],
              }),
              gas: GAS.tokenTransfer,
            }
    // The node answers the nonce and fees even if it censors us; the signature is ours alone.
    const request = await ctx.l2Wallet.prepareTransactionRequest({ ...call, chain: ctx.chain })
    const signed = await ctx.account.signTransaction(request as never)
    const queued = await forceTransaction(l1, {
      rollup,
      signedTransaction: signed,
      l2ChainId: BigInt(ctx.info.l2ChainId),
    })
    say(
      `queued on L1 as forced transaction #${queued.forcedIndex} (${withdraw ? 'withdraw' : 'transfer'} ${formatUnits(amount, token.decimals)} ${token.symbol}, tx ${queued.l1TxHash}); the sequencer has until L1 time ${queued.dueAt}`,
    )
    for (;;) {
      const head = Number((await ctx.l1.publicClient.getBlock()).timestamp)
      const now = Math.max(head, Math.floor(Date.now() / 1000))
      if (now >= queued.dueAt) break
      say(`inclusion window: ${queued.dueAt - now} s left`)
      await new Promise((r) => setTimeout(r, Math.min(5, queued.dueAt - now) * 1000))
    }
  }
  let forced = await forceInclusion(l1, { rollup, portal: ctx.info.portal })
  // An idle L1 may not have mined a block past the due time yet: try a few more times.
  for (let i = 0; forced === undefined && i < 10 && args.values['include-only'] !== true; i++) {
    await new Promise((r) => setTimeout(r, 1000))
    forced = await forceInclusion(l1, { rollup, portal: ctx.info.portal })
  }
  if (json) printJson({ forced: forced ?? null })
  else if (forced)
    process.stdout.write(
      `forced ${forced.included} queued transaction(s) and ${forced.depositRows} deposit row(s) into the canonical order as batch #${forced.batchIndex} (tx ${forced.l1TxHash})\n`,
    )
  else process.stdout.write('nothing was due: no queued transaction waits past its inclusion window\n')
}
