import type { Address } from 'viem'
import { type SidechainChain, validatorClient } from './shared.ts'

export type SidechainValidators = {
  /** The L1 StakeManager epoch this set is (the sidechain follows L1's stake changes with some confirmations). */
  epoch: bigint
  totalPower: bigint
  /** The least power that decides: ⌊2·total/3⌋ + 1. */
  quorum: bigint
  validators: { address: Address; power: bigint; proposerPriority: bigint }[]
  /** The validators the asked validator is connected to now. */
  connected: Address[]
}

/** The validator set (voting power = L1 stake in wei) as a validator sees it for the next height. */
export async function getValidators(chain: Pick<SidechainChain, 'rpcUrl'>): Promise<SidechainValidators> {
  const r = await validatorClient(chain).request<{
    epoch: string
    totalPower: string
    quorum: string
    validators: { address: Address; power: string; proposerPriority: string }[]
    connected: Address[]
  }>('sidechain_validators')
  return {
    epoch: BigInt(r.epoch),
    totalPower: BigInt(r.totalPower),
    quorum: BigInt(r.quorum),
    validators: r.validators.map((v) => ({
      address: v.address,
      power: BigInt(v.power),
      proposerPriority: BigInt(v.proposerPriority),
    })),
    connected: r.connected,
  }
}
