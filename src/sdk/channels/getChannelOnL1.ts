import type { Address, Hex } from 'viem'
import { CHANNEL_PHASES, type ChannelPhase } from '../../channels/protocol/state.ts'
import { channelHubAbi } from '../../generated/contracts.ts'
import type { AnyPublicClient } from '../types.ts'

const PARTIES = [null, 'A', 'B'] as const

export type ChannelOnL1 = {
  phase: ChannelPhase
  /** the published state's sequence number (while closing) */
  seq: bigint
  /** L1 timestamp until which the other side may dispute or penalise */
  deadline: bigint
  /** who published the current state */
  submitter: 'A' | 'B' | null
}

/** A channel's status in ChannelHub. */
export async function getChannelOnL1(p: {
  publicClient: AnyPublicClient
  hub: Address
  channelId: Hex
}): Promise<ChannelOnL1> {
  const [phase, seq, deadline, submitter] = await p.publicClient.readContract({
    address: p.hub,
    abi: channelHubAbi,
    functionName: 'status',
    args: [p.channelId],
  })
  return {
    phase: CHANNEL_PHASES[phase] ?? 'none',
    seq,
    deadline,
    submitter: PARTIES[submitter] ?? null,
  }
}
