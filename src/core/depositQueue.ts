import { encodeAbiParameters, keccak256 } from 'viem'
import type { Deposit, Hex } from './types.ts'

/**
 * The Portal's rolling deposit queue hash after deposit `d`:
 * `keccak256(abi.encode(previous, index, from, to, tokenIndex, amount))`, `previous` = zero before the first
 * (`Portal.depositHashAt`). Lets anyone check that the deposits an L2 chain applied are the ones L1 holds.
 */
export function nextDepositQueueHash(previous: Hex, d: Deposit): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: 'bytes32' },
        { type: 'uint256' },
        { type: 'address' },
        { type: 'address' },
        { type: 'uint16' },
        { type: 'uint256' },
      ],
      [previous, d.index, d.from, d.to, d.tokenIndex, d.amount],
    ),
  )
}
