import { type Address, getAddress, zeroAddress } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { zkRollupAbi } from '../../generated/contracts.ts'
import type { AnyPublicClient } from '../types.ts'
import { checkAddress, checkTokenId, revertName } from './shared.ts'

/** A token of the rollup: its id on L2 (0 = ETH), its L1 address (zero for ETH) and its L2 unit in base units. */
export type ZkToken = { id: number; address: Address; unit: bigint }

/** ETH: token id 0, L2 unit 1 gwei. */
export const ZK_ETH: ZkToken = { id: 0, address: zeroAddress, unit: 1_000_000_000n }

/**
 * Looks a token up on the rollup: `'ETH'` (or the zero address, or id 0) is ETH; an ERC-20 address or id must be
 * registered (`UNKNOWN_TOKEN` otherwise). Amounts on L2 are in the token's unit (`unit` base units each).
 */
export async function getZkToken(parameters: {
  publicClient: AnyPublicClient
  rollup: Address
  token: Address | 'ETH' | number
}): Promise<ZkToken> {
  const { publicClient, rollup, token } = parameters
  if (token === 'ETH' || token === 0 || (typeof token === 'string' && /^0x0{40}$/i.test(token))) return ZK_ETH
  let id: number
  if (typeof token === 'number') {
    id = checkTokenId(token)
  } else {
    const address = checkAddress(token, 'token')
    try {
      id = await publicClient.readContract({
        address: rollup,
        abi: zkRollupAbi,
        functionName: 'tokenIdOf',
        args: [address],
      })
    } catch (err) {
      if (revertName(err) === 'UnknownToken') {
        throw new L2kitError('UNKNOWN_TOKEN', `token ${address} is not registered on rollup ${rollup}`, {
          details: { token: address, rollup },
          cause: err,
        })
      }
      throw err
    }
  }
  try {
    const [address, unit] = await publicClient.readContract({
      address: rollup,
      abi: zkRollupAbi,
      functionName: 'tokenInfo',
      args: [id],
    })
    return { id, address: getAddress(address), unit }
  } catch (err) {
    if (revertName(err) === 'UnknownTokenId') {
      throw new L2kitError('UNKNOWN_TOKEN', `token id ${id} is not registered on rollup ${rollup}`, {
        details: { token: id, rollup },
        cause: err,
      })
    }
    throw err
  }
}
