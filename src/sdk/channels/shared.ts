/**
 * What the channel actions share: the L1 client shape and the conversions from the protocol's types
 * (src/channels/protocol/state.ts) to ChannelHub's calldata tuples. Internal to `src/sdk/channels/` except the
 * exported types (re-exported by index.ts).
 */
import type { Address } from 'viem'
import type { ChannelParams, Htlc } from '../../channels/protocol/state.ts'
import '../../channels/protocol/errors.ts'
import type { AnyPublicClient, AnyWalletClient } from '../types.ts'

/** The L1 clients an action that sends L1 transactions takes. */
export type ChannelL1Clients = { walletClient: AnyWalletClient; publicClient: AnyPublicClient }

export const ETH_TOKEN: Address = '0x0000000000000000000000000000000000000000'

export function channelArg(p: ChannelParams) {
  return {
    partyA: p.partyA,
    partyB: p.partyB,
    token: p.token,
    total: p.total,
    disputeWindow: p.disputeWindow,
    nonce: p.nonce,
  }
}

export function htlcArgs(htlcs: readonly Htlc[]) {
  return htlcs.map((h) => ({
    direction: h.direction,
    amount: h.amount,
    paymentHash: h.paymentHash,
    expiry: h.expiry,
  }))
}
