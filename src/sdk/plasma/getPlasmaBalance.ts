import type { Address } from 'viem'
import { ETH_TOKEN, operatorClient, type PlasmaChain } from './shared.ts'

/**
 * An account's Plasma balance of one token (default ETH): the sum of its unspent outputs as the operator reports them
 * (including the open block's). What you can *exit* is only what is in committed blocks; `startExit` checks that.
 */
export async function getPlasmaBalance(p: {
  chain: Pick<PlasmaChain, 'operatorUrl'>
  owner: Address
  token?: Address
}): Promise<bigint> {
  const token = (p.token ?? ETH_TOKEN).toLowerCase()
  const totals = await operatorClient(p.chain).request<Record<string, string>>('plasma_getBalance', [
    p.owner,
    token,
  ])
  return BigInt(totals[token] ?? '0')
}
