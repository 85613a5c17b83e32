import type { Address } from 'viem'
import { ETH_TOKEN, listUtxos, type PlasmaChain } from './shared.ts'

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
  let sum = 0n
  for (const u of await listUtxos(p.chain, p.owner)) if (u.token === token) sum += u.amount
  return sum
}
