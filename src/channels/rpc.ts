/**
 * JSON-RPC of a channel node (`channels_*`, plus `l2kit_family`) and of a watchtower (`tower_*`). Amounts are wei
 * (or token units) as decimal strings or 0x quantities, answered as decimal strings; channel ids 0x-hex. Every bad
 * parameter is a typed error (JSON-RPC invalid params), never a crash; a refused payment keeps its channel code.
 */
import type { Address, Hex } from 'viem'
import { L2kitError } from '../core/errors.ts'
import { channelHubAbi } from '../generated/contracts.ts'
import type { L1PublicClient } from '../l1/clients.ts'
import { amountParam } from '../node/rpc/params.ts'
import { JsonRpcErrorCode, type RpcHandler } from '../node/rpcServer.ts'
import type { ChannelNode, TowerEntry } from './node.ts'
import type { ChannelRecord } from './protocol/channel.ts'
import { ChannelErrorCode } from './protocol/errors.ts'
import { CHANNEL_PHASES, type ChannelParams, type ChannelPhase } from './protocol/state.ts'
import type { Watchtower } from './tower.ts'

export { amountParam }

/** JSON-RPC codes of the errors only this family raises. */
export const channelRpcErrorCodes: Readonly<Record<string, number>> = Object.freeze({
  [ChannelErrorCode.badSignature]: JsonRpcErrorCode.invalidParams,
  [ChannelErrorCode.malformedMessage]: JsonRpcErrorCode.invalidParams,
  [ChannelErrorCode.badInvoice]: JsonRpcErrorCode.invalidParams,
  [ChannelErrorCode.invalidState]: JsonRpcErrorCode.invalidParams,
  [ChannelErrorCode.badExpiry]: JsonRpcErrorCode.invalidParams,
  [ChannelErrorCode.badPreimage]: JsonRpcErrorCode.invalidParams,
  [ChannelErrorCode.badOnion]: JsonRpcErrorCode.invalidParams,
  [ChannelErrorCode.unknownChannel]: JsonRpcErrorCode.resourceNotFound,
  [ChannelErrorCode.wrongSequence]: JsonRpcErrorCode.serverError,
  [ChannelErrorCode.overCapacity]: JsonRpcErrorCode.transactionRejected,
  [ChannelErrorCode.unexpectedMessage]: JsonRpcErrorCode.serverError,
  [ChannelErrorCode.noRoute]: JsonRpcErrorCode.transactionRejected,
  [ChannelErrorCode.paymentFailed]: JsonRpcErrorCode.transactionRejected,
})

const HEX32 = /^0x[0-9a-fA-F]{64}$/
const ADDRESS = /^0x[0-9a-fA-F]{40}$/
const ZERO: Address = '0x0000000000000000000000000000000000000000'

function invalid(message: string): never {
  throw new L2kitError('INVALID_PARAMS', message)
}

function arg(params: unknown, i: number, what: string): unknown {
  if (!Array.isArray(params) || params.length <= i || params[i] === undefined || params[i] === null) {
    invalid(`missing parameter ${i}: ${what}`)
  }
  return (params as unknown[])[i]
}

function optionalArg(params: unknown, i: number): unknown {
  return Array.isArray(params) ? params[i] : undefined
}

function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) invalid(`${what} must be an object`)
  return v as Record<string, unknown>
}

function channelIdParam(v: unknown): Hex {
  if (typeof v !== 'string' || !HEX32.test(v)) invalid('a channel id is 0x followed by 64 hex digits')
  return v.toLowerCase() as Hex
}

function addressParam(v: unknown, what: string): Address {
  if (typeof v !== 'string' || !ADDRESS.test(v)) invalid(`${what} must be 0x followed by 40 hex digits`)
  return v as Address
}

/** A channel as the RPC answers it: this node's side first ("local"), amounts as decimal strings. */
export function channelJson(r: ChannelRecord, phase?: ChannelPhase) {
  const local = r.side === 'A' ? r.state.balanceA : r.state.balanceB
  const remote = r.side === 'A' ? r.state.balanceB : r.state.balanceA
  return {
    channelId: r.channelId,
    peer: r.peer ?? null,
    side: r.side,
    token: r.params.token,
    total: r.params.total.toString(),
    local: local.toString(),
    remote: remote.toString(),
    balanceA: r.state.balanceA.toString(),
    balanceB: r.state.balanceB.toString(),
    seq: r.state.seq.toString(),
    pendingHtlcs: r.htlcs.length,
    /** an update this node proposed, not yet answered */
    proposedSeq: r.proposed === null ? null : r.proposed.seq.toString(),
    revokedByPeer: r.theirRevokedSeq.toString(),
    revokedByUs: r.ourRevokedSeq.toString(),
    disputeWindow: r.params.disputeWindow.toString(),
    ...(phase === undefined ? {} : { l1: phase }),
  }
}
export type ChannelJson = ReturnType<typeof channelJson>

/** The channel's phase in ChannelHub (none, open, closing, settled). */
export async function readChannelPhase(
  publicClient: L1PublicClient,
  hub: Address,
  channelId: Hex,
): Promise<ChannelPhase> {
  const [phase] = await publicClient.readContract({
    address: hub,
    abi: channelHubAbi,
    functionName: 'status',
    args: [channelId],
  })
  return CHANNEL_PHASES[phase] ?? 'none'
}

export type ChannelRpcDeps = {
  node: ChannelNode
  publicClient: L1PublicClient
  /** where the node's watchtower is, if it has one (for channels_getInfo) */
  towerUrl?: string
  /** the devnet's DEV ERC-20, if any */
  devToken?: Address
  rpc?: { registerErrorCodes(codes: Readonly<Record<string, number>>): unknown }
}

export function createChannelRpcMethods(deps: ChannelRpcDeps): Record<string, RpcHandler> {
  const { node } = deps
  deps.rpc?.registerErrorCodes(channelRpcErrorCodes)
  const withPhase = async (r: ChannelRecord) =>
    channelJson(r, await readChannelPhase(deps.publicClient, node.options.hub, r.channelId))
  const find = (id: Hex) => {
    const r = node.channel(id)
    if (r === undefined)
      throw new L2kitError(ChannelErrorCode.unknownChannel, `no channel ${id} in this node`)
    return r
  }
  return {
    l2kit_family: async () => ({
      family: 'channels',
      chainId: `0x${(await deps.publicClient.getChainId()).toString(16)}`,
    }),
    channels_getInfo: async () => ({
      nodeId: node.nodeId,
      address: node.address,
      peerAddress: node.peerAddress,
      hub: node.options.hub,
      registry: node.options.registry,
      chainId: await deps.publicClient.getChainId(),
      l1Balance: (await deps.publicClient.getBalance({ address: node.address })).toString(),
      channels: node.channels().length,
      watchtower: deps.towerUrl ?? null,
      devToken: deps.devToken ?? null,
      fees: { base: node.options.feeBase.toString(), ratePpm: node.options.feeRate.toString() },
    }),
    channels_connect: async (params) => {
      const address = arg(params, 0, 'peer address <nodeId>@host:port')
      if (typeof address !== 'string') invalid('a peer address is a string <nodeId>@host:port')
      return { nodeId: await node.connect(address) }
    },
    channels_open: async (params) => {
      const p = object(arg(params, 0, '{ peer, amount, token?, disputeWindow? }'), 'the open request')
      if (typeof p.peer !== 'string' || p.peer === '') invalid('peer must be a node id or <nodeId>@host:port')
      const peer = p.peer.includes('@') ? await node.connect(p.peer) : p.peer
      const amount = amountParam(p.amount, 'amount')
      const token = p.token === undefined || p.token === null ? ZERO : addressParam(p.token, 'token')
      const disputeWindow =
        p.disputeWindow === undefined ? undefined : amountParam(p.disputeWindow, 'disputeWindow')
      const channelId = await node.openChannel({
        peer,
        amount,
        token,
        ...(disputeWindow === undefined ? {} : { disputeWindow }),
      })
      return withPhase(find(channelId))
    },
    channels_list: async () => Promise.all(node.channels().map(withPhase)),
    channels_get: async (params) => withPhase(find(channelIdParam(arg(params, 0, 'channel id')))),
    channels_pay: async (params) => {
      const id = channelIdParam(arg(params, 0, 'channel id'))
      find(id)
      await node.pay(id, amountParam(arg(params, 1, 'amount'), 'amount'))
      return channelJson(find(id))
    },
    channels_createInvoice: async (params) => {
      const p = object(optionalArg(params, 0) ?? {}, 'the invoice request')
      const amount = p.amount === undefined || p.amount === null ? null : amountParam(p.amount, 'amount')
      if (p.description !== undefined && (typeof p.description !== 'string' || p.description.length > 639)) {
        invalid('description must be a string of at most 639 characters')
      }
      const expirySeconds =
        p.expirySeconds === undefined ? undefined : amountParam(p.expirySeconds, 'expirySeconds')
      const token = p.token === undefined || p.token === null ? undefined : addressParam(p.token, 'token')
      const invoice = await node.createInvoice({
        amount,
        ...(token === undefined ? {} : { token }),
        ...(typeof p.description === 'string' ? { description: p.description } : {}),
        ...(expirySeconds === undefined ? {} : { expirySeconds }),
      })
      return { invoice }
    },
    channels_payInvoice: async (params) => {
      const invoice = arg(params, 0, 'invoice')
      if (typeof invoice !== 'string') invalid('an invoice is a bech32 string')
      const extra = optionalArg(params, 1)
      const amount = extra === undefined || extra === null ? undefined : amountParam(extra, 'amount')
      const started = performance.now()
      const paid = await node.payInvoice(invoice, amount)
      return {
        preimage: paid.preimage,
        fee: paid.fee.toString(),
        hops: paid.hops,
        ms: Math.round((performance.now() - started) * 10) / 10,
      }
    },
    channels_close: async (params) => {
      const p = object(arg(params, 0, '{ channelId, force? }'), 'the close request')
      const id = channelIdParam(p.channelId)
      find(id)
      if (p.force !== undefined && typeof p.force !== 'boolean') invalid('force must be true or false')
      const txHash = p.force === true ? await node.closeUnilaterally(id) : await node.closeCooperatively(id)
      return { txHash, mode: p.force === true ? 'unilateral' : 'cooperative' }
    },
    channels_graph: async () =>
      node.graphEdges().map((e) => ({
        channelId: e.channelId,
        from: e.from,
        to: e.to,
        capacity: e.capacity.toString(),
        feeBase: e.feeBase.toString(),
        feeRate: e.feeRate.toString(),
      })),
  }
}

/** A tower entry as JSON (bigints as decimal strings). */
export function towerEntryToJson(e: TowerEntry) {
  return {
    params: {
      partyA: e.params.partyA,
      partyB: e.params.partyB,
      token: e.params.token,
      total: e.params.total.toString(),
      disputeWindow: e.params.disputeWindow.toString(),
      nonce: e.params.nonce.toString(),
    },
    channelId: e.channelId,
    cheater: e.cheater,
    revokedSeq: e.revokedSeq.toString(),
    revocation: e.revocation,
  }
}

/** Parses a tower entry sent over JSON-RPC: every field checked (the tower then checks the signature). */
export function towerEntryFromJson(v: unknown): TowerEntry {
  const o = object(v, 'the tower entry')
  const p = object(o.params, 'params')
  const params: ChannelParams = {
    partyA: addressParam(p.partyA, 'params.partyA'),
    partyB: addressParam(p.partyB, 'params.partyB'),
    token: addressParam(p.token, 'params.token'),
    total: amountParam(p.total, 'params.total'),
    disputeWindow: amountParam(p.disputeWindow, 'params.disputeWindow'),
    nonce: amountParam(p.nonce, 'params.nonce', { positive: false }),
  }
  if (typeof o.revocation !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(o.revocation)) {
    invalid('revocation must be a 65-byte signature (0x + 130 hex digits)')
  }
  return {
    params,
    channelId: channelIdParam(o.channelId),
    cheater: addressParam(o.cheater, 'cheater'),
    revokedSeq: amountParam(o.revokedSeq, 'revokedSeq', { positive: false }),
    revocation: o.revocation as Hex,
  }
}

/** The watchtower's methods: `tower_watch` (a client's newest revocation of its peer) and `tower_status`. */
export function createTowerRpcMethods(deps: {
  tower: Watchtower
  rpc?: { registerErrorCodes(codes: Readonly<Record<string, number>>): unknown }
}): Record<string, RpcHandler> {
  deps.rpc?.registerErrorCodes(channelRpcErrorCodes)
  return {
    l2kit_family: () => ({ family: 'channels', role: 'watchtower' }),
    tower_watch: async (params) => {
      await deps.tower.watch(towerEntryFromJson(arg(params, 0, 'tower entry')))
      return { watching: deps.tower.watching() }
    },
    tower_status: () => ({
      hub: deps.tower.options.hub,
      watching: deps.tower.watching(),
      penalties: deps.tower.penalties.map((p) => ({
        channelId: p.channelId,
        txHash: p.txHash,
        gas: p.gas.toString(),
      })),
    }),
  }
}
