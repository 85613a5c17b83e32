import type { Address, Hex, TransactionReceipt } from 'viem'
import { type ChannelParams, type ChannelState, stateTuple } from '../../channels/protocol/state.ts'
import { channelHubAbi } from '../../generated/contracts.ts'
import { writeContractChecked } from '../l1Tx.ts'
import { type ChannelL1Clients, channelArg, htlcArgs } from './shared.ts'

export type L1CallResult = { txHash: Hex; receipt: TransactionReceipt }

/** One ChannelHub call through the SDK's checked L1 transaction (estimate + margin, receipt must succeed). */
async function hubCall(
  l1: ChannelL1Clients,
  hub: Address,
  functionName: 'closeCooperative' | 'closeUnilateral' | 'dispute' | 'penalize' | 'settle',
  args: readonly unknown[],
  what: string,
): Promise<L1CallResult> {
  const { hash, receipt } = await writeContractChecked(l1, {
    address: hub,
    abi: channelHubAbi,
    functionName,
    args: args as never,
    what,
  })
  return { txHash: hash, receipt }
}

export type StateCallParameters = {
  l1: ChannelL1Clients
  hub: Address
  params: ChannelParams
  state: ChannelState
  sigA: Hex
  sigB: Hex
}

/** `closeUnilateral` and `dispute` take the same arguments: a state signed by both, its HTLCs, the signatures. */
function stateCall(p: StateCallParameters, functionName: 'closeUnilateral' | 'dispute', what: string) {
  return hubCall(
    p.l1,
    p.hub,
    functionName,
    [channelArg(p.params), stateTuple(p.state), htlcArgs(p.state.htlcs), p.sigA, p.sigB],
    what,
  )
}

/** Ends a channel at once at balances both parties signed (`CooperativeClose`); anyone may submit it. */
export async function closeChannelCooperatively(p: {
  l1: ChannelL1Clients
  hub: Address
  params: ChannelParams
  balanceA: bigint
  balanceB: bigint
  sigA: Hex
  sigB: Hex
}): Promise<L1CallResult> {
  return hubCall(
    p.l1,
    p.hub,
    'closeCooperative',
    [channelArg(p.params), p.balanceA, p.balanceB, p.sigA, p.sigB],
    'cooperative channel close',
  )
}

/**
 * Starts a unilateral close with a state signed by both (the newest this party holds; seq 0 = the opening state,
 * no signatures): the dispute window opens, then anyone may settle.
 */
export async function closeChannelUnilaterally(p: StateCallParameters): Promise<L1CallResult> {
  return stateCall(p, 'closeUnilateral', 'unilateral channel close')
}

/** Answers a close within the dispute window with a newer state signed by both. */
export async function disputeChannel(p: StateCallParameters): Promise<L1CallResult> {
  return stateCall(p, 'dispute', 'channel dispute')
}

/**
 * Shows the submitter's revocation of the published state (`revokedSeq` ≥ its seq): the other party receives the
 * whole channel. Anyone may send it (a watchtower), the caller gains nothing.
 */
export async function penalizeChannel(p: {
  l1: ChannelL1Clients
  hub: Address
  params: ChannelParams
  revokedSeq: bigint
  revocation: Hex
}): Promise<L1CallResult> {
  return hubCall(
    p.l1,
    p.hub,
    'penalize',
    [channelArg(p.params), p.revokedSeq, p.revocation],
    'channel penalty',
  )
}

/**
 * Pays a closed channel out after its dispute window: the stored state's balances, and each HTLC to its receiver
 * if the preimage was revealed in the registry by its expiry, else (once expired) back to its sender.
 */
export async function settleChannel(p: {
  l1: ChannelL1Clients
  hub: Address
  params: ChannelParams
  state: ChannelState
}): Promise<L1CallResult> {
  return hubCall(
    p.l1,
    p.hub,
    'settle',
    [channelArg(p.params), p.state.balanceA, p.state.balanceB, htlcArgs(p.state.htlcs)],
    'channel settle',
  )
}
