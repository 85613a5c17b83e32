/**
 * L1 time as the next block will see it. A devnet's anvil mines only when a transaction comes, so its latest block's
 * timestamp can lag the clock by minutes; a warped anvil runs ahead of it. The next block's timestamp is at least
 * both, so a deadline in L1 time is reached when this says so (and a transaction sent then sees it reached).
 */
import type { L1PublicClient } from './clients.ts'

export async function l1Now(publicClient: Pick<L1PublicClient, 'getBlock'>): Promise<bigint> {
  const latest = (await publicClient.getBlock()).timestamp
  const wall = BigInt(Math.floor(Date.now() / 1000))
  return latest > wall ? latest : wall
}
