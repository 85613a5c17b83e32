import { type Address, erc20Abi } from 'viem'
import type { AnyPublicClient } from '../types.ts'

/** ETH balance on L2, or a bridged token's balance when `l2Token` (its L2 address) is given. */
export async function getL2Balance(
  l2Client: AnyPublicClient,
  parameters: { address: Address; l2Token?: Address },
): Promise<bigint> {
  if (!parameters.l2Token) return l2Client.getBalance({ address: parameters.address })
  return l2Client.readContract({
    address: parameters.l2Token,
    abi: erc20Abi,
    functionName: 'balanceOf',
    args: [parameters.address],
  })
}
