/**
 * Actions on a running channel node over its JSON-RPC (`channels_*`, docs/channels.md "Node JSON-RPC"): the node
 * holds the channel keys and signs; the app asks it to open, invoice, pay and close. (To open a channel from your
 * own wallet without a node, `openChannel` in openChannel.ts.)
 */
import type { Address, Hex } from 'viem'
import { ChannelErrorCode } from '../../channels/protocol/errors.ts'
import { L2kitError } from '../../core/errors.ts'
import { createNodeRpcClient, type NodeRpcClient } from '../nodeRpcClient.ts'

/** A channel as a node reports it: this node's side first ("local"), amounts in wei (or token units). */
export type NodeChannel = {
  channelId: Hex
  peer: string | null
  side: 'A' | 'B'
  token: Address
  total: bigint
  local: bigint
  remote: bigint
  seq: bigint
  pendingHtlcs: number
  disputeWindow: bigint
  /** ChannelHub's phase for it */
  l1: 'none' | 'open' | 'closing' | 'settled' | undefined
}

export type ChannelNodeInfo = {
  nodeId: string
  address: Address
  peerAddress: string
  hub: Address
  registry: Address | null
  chainId: number
  l1Balance: bigint
  channels: number
  watchtower: string | null
  /** the devnet's DEV ERC-20 (l2kit up), if any */
  devToken: Address | null
  fees: { base: bigint; ratePpm: bigint }
}

export type ChannelNodeClient = NodeRpcClient

/** A client of the channel node at `url` (errors keep the node's code, e.g. CHANNEL_NO_ROUTE). */
export function createChannelNodeClient(url: string): ChannelNodeClient {
  return createNodeRpcClient(url, {
    what: 'channel node',
    unreachableHint: "start one with 'l2kit up' or 'l2kit channels node'",
  })
}

type RawChannel = Record<keyof NodeChannel, string | number | null | undefined>

function channelFromJson(c: RawChannel): NodeChannel {
  return {
    channelId: c.channelId as Hex,
    peer: (c.peer as string | null) ?? null,
    side: c.side as 'A' | 'B',
    token: c.token as Address,
    total: BigInt(c.total as string),
    local: BigInt(c.local as string),
    remote: BigInt(c.remote as string),
    seq: BigInt(c.seq as string),
    pendingHtlcs: c.pendingHtlcs as number,
    disputeWindow: BigInt(c.disputeWindow as string),
    l1: (c.l1 as NodeChannel['l1']) ?? undefined,
  }
}

export async function getChannelNodeInfo(p: { node: ChannelNodeClient }): Promise<ChannelNodeInfo> {
  const r = await p.node.request<Record<string, unknown>>('channels_getInfo')
  const fees = r.fees as { base: string; ratePpm: string }
  return {
    ...(r as Omit<ChannelNodeInfo, 'l1Balance' | 'fees'>),
    l1Balance: BigInt(r.l1Balance as string),
    fees: { base: BigInt(fees.base), ratePpm: BigInt(fees.ratePpm) },
  }
}

/** Connects the node to a peer (`<nodeId>@host:port`); returns the peer's node id. */
export async function connectPeer(p: { node: ChannelNodeClient; peer: string }): Promise<string> {
  return (await p.node.request<{ nodeId: string }>('channels_connect', [p.peer])).nodeId
}

/**
 * Has the node open and fund a channel with `peer` (a node id it is connected to, or `<nodeId>@host:port`): the
 * node locks `amount` on L1 and returns once the peer accepted the channel.
 */
export async function openChannelFromNode(p: {
  node: ChannelNodeClient
  peer: string
  amount: bigint
  token?: Address
  disputeWindow?: bigint
}): Promise<NodeChannel> {
  const r = await p.node.request<RawChannel>('channels_open', [
    {
      peer: p.peer,
      amount: p.amount.toString(),
      ...(p.token ? { token: p.token } : {}),
      ...(p.disputeWindow !== undefined ? { disputeWindow: p.disputeWindow.toString() } : {}),
    },
  ])
  return channelFromJson(r)
}

export async function getChannel(p: { node: ChannelNodeClient; channelId: Hex }): Promise<NodeChannel> {
  return channelFromJson(await p.node.request<RawChannel>('channels_get', [p.channelId]))
}

export async function listChannels(p: { node: ChannelNodeClient }): Promise<NodeChannel[]> {
  return (await p.node.request<RawChannel[]>('channels_list')).map(channelFromJson)
}

/** Has the payee's node issue an invoice (bech32 `l2kc…`: payment hash, amount, expiry, payee, description). */
export async function createInvoice(p: {
  node: ChannelNodeClient
  /** null: the payer chooses */
  amount: bigint | null
  description?: string
  expirySeconds?: bigint
  /** an ERC-20 the payment is in (default ETH): only channels of that token carry it */
  token?: Address
}): Promise<string> {
  if (p.amount !== null && p.amount <= 0n) {
    throw new L2kitError(ChannelErrorCode.badInvoice, 'an invoice amount must be more than 0')
  }
  const r = await p.node.request<{ invoice: string }>('channels_createInvoice', [
    {
      ...(p.amount === null ? {} : { amount: p.amount.toString() }),
      ...(p.description !== undefined ? { description: p.description } : {}),
      ...(p.expirySeconds !== undefined ? { expirySeconds: p.expirySeconds.toString() } : {}),
      ...(p.token !== undefined ? { token: p.token } : {}),
    },
  ])
  return r.invoice
}

/** Has the payer's node pay an invoice over the cheapest route; resolves with the preimage (the receipt). */
export async function payInvoice(p: {
  node: ChannelNodeClient
  invoice: string
  /** for an invoice without an amount */
  amount?: bigint
}): Promise<{ preimage: Hex; fee: bigint; hops: number; ms: number }> {
  const r = await p.node.request<{ preimage: Hex; fee: string; hops: number; ms: number }>(
    'channels_payInvoice',
    p.amount === undefined ? [p.invoice] : [p.invoice, p.amount.toString()],
  )
  return { ...r, fee: BigInt(r.fee) }
}

/**
 * Closes a channel: cooperatively (both sign the final balances, paid out at once) or, with `force`, unilaterally
 * (the node publishes its latest state; paid after the dispute window).
 */
export async function closeChannel(p: {
  node: ChannelNodeClient
  channelId: Hex
  force?: boolean
}): Promise<{ txHash: Hex; mode: 'cooperative' | 'unilateral' }> {
  return p.node.request('channels_close', [{ channelId: p.channelId, force: p.force === true }])
}
