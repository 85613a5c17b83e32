import type { Address, Hex, TransactionReceipt } from 'viem'
import { preimageRegistryAbi } from '../../generated/contracts.ts'
import { writeContractChecked } from '../l1Tx.ts'
import type { ChannelL1Clients } from './shared.ts'

/**
 * Reveals an HTLC preimage in the shared registry (its time is recorded once): every channel holding an HTLC with
 * `sha256(preimage)` pays it to the receiver at settlement if the reveal came by the HTLC's expiry.
 */
export async function revealPreimage(p: {
  l1: ChannelL1Clients
  registry: Address
  preimage: Hex
}): Promise<{ txHash: Hex; receipt: TransactionReceipt }> {
  const { hash, receipt } = await writeContractChecked(p.l1, {
    address: p.registry,
    abi: preimageRegistryAbi,
    functionName: 'reveal',
    args: [p.preimage],
    what: 'preimage reveal',
  })
  return { txHash: hash, receipt }
}
