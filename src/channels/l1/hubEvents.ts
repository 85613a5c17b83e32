/**
 * Following ChannelHub on L1: a poller over its logs from a cursor (kept by the caller), decoded into the close
 * events a channel party or a watchtower reacts to, and the few transactions they send in answer (penalty,
 * dispute, settle, preimage reveal). Shared by the channel node and the watchtower.
 */
import { type Address, type Hex, parseEventLogs } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import { channelHubAbi, preimageRegistryAbi } from '../../generated/contracts.ts'
import type { L1PublicClient, L1WalletClient } from '../../l1/clients.ts'
import type { ChannelParams, ChannelState, Htlc } from '../protocol/state.ts'
import { stateTuple } from '../protocol/state.ts'

/** A unilateral close or a dispute: the state now published for the channel. */
export type PublishedState = {
  kind: 'closing' | 'disputed'
  channelId: Hex
  submitter: Address
  seq: bigint
  balanceA: bigint
  balanceB: bigint
  htlcs: Htlc[]
  deadline: bigint
  l1Block: bigint
}

/** A channel's end on L1 (penalty, settlement or cooperative close). */
export type ChannelEnded = { kind: 'penalized' | 'settled' | 'cooperative'; channelId: Hex; l1Block: bigint }

export type HubEvent = PublishedState | ChannelEnded

/** Reads ChannelHub's close events in [fromBlock, toBlock]. */
export async function readHubEvents(
  publicClient: L1PublicClient,
  hub: Address,
  fromBlock: bigint,
  toBlock: bigint,
): Promise<HubEvent[]> {
  const logs = await publicClient.getLogs({ address: hub, fromBlock, toBlock })
  const out: HubEvent[] = []
  for (const e of parseEventLogs({ abi: channelHubAbi, logs })) {
    const l1Block = e.blockNumber ?? 0n
    switch (e.eventName) {
      case 'ChannelClosing':
      case 'ChannelDisputed':
        out.push({
          kind: e.eventName === 'ChannelClosing' ? 'closing' : 'disputed',
          channelId: e.args.channelId,
          submitter: e.args.submitter,
          seq: e.args.seq,
          balanceA: e.args.balanceA,
          balanceB: e.args.balanceB,
          htlcs: e.args.htlcs.map((h) => ({
            direction: h.direction === 0 ? 0 : 1,
            amount: h.amount,
            paymentHash: h.paymentHash,
            expiry: h.expiry,
          })),
          deadline: e.args.deadline,
          l1Block,
        })
        break
      case 'ChannelPenalized':
        out.push({ kind: 'penalized', channelId: e.args.channelId, l1Block })
        break
      case 'ChannelSettled':
        out.push({ kind: 'settled', channelId: e.args.channelId, l1Block })
        break
      case 'ChannelClosedCooperatively':
        out.push({ kind: 'cooperative', channelId: e.args.channelId, l1Block })
        break
      default:
        break
    }
  }
  return out
}

/** The transaction that opened `channelId` (its `ChannelOpened` log), or undefined if there is none. */
export async function channelOpenTx(
  publicClient: L1PublicClient,
  hub: Address,
  channelId: Hex,
): Promise<Hex | undefined> {
  const logs = await publicClient.getContractEvents({
    address: hub,
    abi: channelHubAbi,
    eventName: 'ChannelOpened',
    args: { channelId },
    fromBlock: 0n,
  })
  return logs[0]?.transactionHash ?? undefined
}

/** Sends a hub (or registry) call with an explicit gas limit and waits for success; returns hash and gas used. */
async function send(
  m: { publicClient: L1PublicClient; walletClient: L1WalletClient },
  call: {
    address: Address
    abi: typeof channelHubAbi | typeof preimageRegistryAbi
    functionName: string
    args: unknown[]
  },
  what: string,
): Promise<{ txHash: Hex; gasUsed: bigint }> {
  // ask first: a call that would revert (already penalised, settled, or not yet possible) costs no gas
  try {
    await m.publicClient.simulateContract({ ...call, account: m.walletClient.account ?? null } as never)
  } catch (err) {
    throw new L2kitError(
      'L1_TX_REVERTED',
      `${what} would revert on L1: ${(err as Error).message.split('\n')[0]}`,
      {
        cause: err,
      },
    )
  }
  const hash = await m.walletClient.writeContract({
    ...call,
    account: m.walletClient.account ?? null,
    chain: m.walletClient.chain ?? null,
    gas: 1_500_000n,
  } as never)
  const receipt = await m.publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') {
    throw new L2kitError('L1_TX_REVERTED', `${what} transaction ${hash} reverted`, {
      details: { txHash: hash },
    })
  }
  return { txHash: hash, gasUsed: receipt.gasUsed }
}

export type HubWriter = { publicClient: L1PublicClient; walletClient: L1WalletClient; hub: Address }

export const hubCalls = {
  penalize: (m: HubWriter, params: ChannelParams, revokedSeq: bigint, revocation: Hex) =>
    send(
      m,
      {
        address: m.hub,
        abi: channelHubAbi,
        functionName: 'penalize',
        args: [params, revokedSeq, revocation],
      },
      'penalty',
    ),
  dispute: (m: HubWriter, params: ChannelParams, state: ChannelState, sigA: Hex, sigB: Hex) =>
    send(
      m,
      {
        address: m.hub,
        abi: channelHubAbi,
        functionName: 'dispute',
        args: [params, stateTuple(state), state.htlcs, sigA, sigB],
      },
      'dispute',
    ),
  closeUnilateral: (m: HubWriter, params: ChannelParams, state: ChannelState, sigA: Hex, sigB: Hex) =>
    send(
      m,
      {
        address: m.hub,
        abi: channelHubAbi,
        functionName: 'closeUnilateral',
        args: [params, stateTuple(state), state.htlcs, sigA, sigB],
      },
      'unilateral close',
    ),
  settle: (m: HubWriter, params: ChannelParams, p: Pick<ChannelState, 'balanceA' | 'balanceB' | 'htlcs'>) =>
    send(
      m,
      {
        address: m.hub,
        abi: channelHubAbi,
        functionName: 'settle',
        args: [params, p.balanceA, p.balanceB, p.htlcs],
      },
      'settle',
    ),
  reveal: (m: Omit<HubWriter, 'hub'>, registry: Address, preimage: Hex) =>
    send(
      m,
      { address: registry, abi: preimageRegistryAbi, functionName: 'reveal', args: [preimage] },
      'preimage reveal',
    ),
}
