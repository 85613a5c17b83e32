/** Resolves --token (ETH, a symbol, an L1 or an L2 token address) and --amount in that token's units. */
import { type Address, parseUnits } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { requestL2kit } from '../../sdk/optimistic/requestL2kit.ts'
import type { ParsedArgs } from '../args.ts'
import { str } from '../args.ts'
import type { connectL2 } from './l2Context.ts'

export type ResolvedToken =
  | { kind: 'eth'; symbol: 'ETH'; decimals: 18 }
  | { kind: 'erc20'; symbol: string; decimals: number; l1Address: Address; l2Address: Address; index: number }

export async function resolveToken(
  args: ParsedArgs,
  ctx: Awaited<ReturnType<typeof connectL2>>,
): Promise<ResolvedToken> {
  const t = str(args.values.token)
  if (!t || t.toUpperCase() === 'ETH') return { kind: 'eth', symbol: 'ETH', decimals: 18 }
  const tokens = await requestL2kit(ctx.l2Public, 'l2kit_tokens')
  const lower = t.toLowerCase()
  const found = tokens.find(
    (x) =>
      x.symbol.toLowerCase() === lower ||
      x.l1Address.toLowerCase() === lower ||
      x.l2Address.toLowerCase() === lower,
  )
  if (found)
    return {
      kind: 'erc20',
      symbol: found.symbol,
      decimals: found.decimals,
      l1Address: found.l1Address,
      l2Address: found.l2Address,
      index: found.index,
    }
  if (/^0x[0-9a-fA-F]{40}$/.test(t)) {
    // Not bridged yet: only a deposit can register it (as an L1 address).
    return {
      kind: 'erc20',
      symbol: t,
      decimals: 18,
      l1Address: t as Address,
      l2Address: '0x0000000000000000000000000000000000000000',
      index: -1,
    }
  }
  throw new L2kitError(
    'UNKNOWN_TOKEN',
    `no bridged token matches "${t}"; known: ETH${tokens.map((x) => `, ${x.symbol}`).join('')}`,
  )
}

export function parseAmount(args: ParsedArgs, decimals: number, symbol = 'the token'): bigint {
  const a = str(args.values.amount)
  if (!a) throw new L2kitError('INVALID_ARGUMENTS', '--amount is required (in token units, e.g. 1.5)')
  return parseAmountText(a, decimals, symbol)
}

/**
 * A decimal amount in base units. Refuses more fractional digits than the token has (parseUnits would round
 * them away silently, so the user would move a different amount than they typed).
 */
export function parseAmountText(a: string, decimals: number, symbol = 'the token'): bigint {
  if (!/^\d+(\.\d+)?$/.test(a))
    throw new L2kitError('INVALID_ARGUMENTS', `--amount must be a positive decimal number, got "${a}"`)
  const fraction = a.split('.')[1] ?? ''
  if (fraction.replace(/0+$/, '').length > decimals)
    throw new L2kitError(
      'INVALID_ARGUMENTS',
      `--amount ${a} has more decimals than ${symbol} has (${decimals}); it would be rounded`,
    )
  const v = parseUnits(a, decimals)
  if (v <= 0n) throw new L2kitError('INVALID_ARGUMENTS', '--amount must be more than 0')
  return v
}
