/**
 * `l2kit channels node | watchtower | connect | open | invoice | pay | close | status`: run a channel node or a
 * watchtower, or drive a running node over its JSON-RPC (default: node A of `l2kit up`).
 */
import { formatEther, type Hex } from 'viem'
import { L2kitError } from '../../core/errors.ts'
import type { Logger } from '../../node/logger.ts'
import {
  type ChannelNodeClient,
  closeChannel,
  connectPeer,
  createChannelNodeClient,
  createInvoice,
  getChannelNodeInfo,
  listChannels,
  type NodeChannel,
  openChannelFromNode,
  payInvoice,
} from '../../sdk/channels/node.ts'
import type { FlagSpec, ParsedArgs } from '../args.ts'
import { num, requireKey, str, tokenAmount } from '../args.ts'
import { printJson, table } from '../output.ts'

export const DEFAULT_CHANNELS_RPC = 'http://127.0.0.1:8561'

const rpcFlag: FlagSpec = {
  rpc: {
    type: 'string',
    description: 'JSON-RPC URL of the channel node to drive (default: node A of `l2kit up`)',
    default: DEFAULT_CHANNELS_RPC,
  },
}

export const channelsOpenFlags: FlagSpec = {
  ...rpcFlag,
  peer: { type: 'string', description: 'the peer: <nodeId>@host:port (or the node id of a connected peer)' },
  amount: {
    type: 'string',
    description: 'what this node locks, in ETH (or in whole tokens with --token), e.g. 1',
  },
  token: {
    type: 'string',
    description:
      'fund the channel with an ERC-20: DEV (the devnet token of l2kit up) or its address (default: ETH)',
  },
  decimals: { type: 'string', description: "the token's decimals (with --token)", default: '18' },
  'dispute-window': {
    type: 'string',
    description: 'seconds the other side has to answer a unilateral close',
    default: '3600',
  },
}
export const channelsConnectFlags: FlagSpec = {
  ...rpcFlag,
  peer: { type: 'string', description: 'the peer: <nodeId>@host:port' },
}
export const channelsInvoiceFlags: FlagSpec = {
  ...rpcFlag,
  amount: { type: 'string', description: 'ETH to be paid, e.g. 0.01 (leave out: the payer chooses)' },
  description: { type: 'string', description: 'what the payment is for (signed into the invoice)' },
  expiry: { type: 'string', description: 'seconds the invoice stays payable', default: '3600' },
  token: { type: 'string', description: 'to be paid in an ERC-20: DEV or its address (default: ETH)' },
  decimals: { type: 'string', description: "the token's decimals (with --token)", default: '18' },
}
export const channelsPayFlags: FlagSpec = {
  ...rpcFlag,
  amount: { type: 'string', description: 'ETH (or whole tokens) to pay, for an invoice without an amount' },
}
export const channelsCloseFlags: FlagSpec = {
  ...rpcFlag,
  channel: { type: 'string', description: 'the channel id (default: every channel of the node still open)' },
  force: {
    type: 'boolean',
    description: 'close unilaterally with the latest signed state (paid after the dispute window)',
  },
}
export const channelsStatusFlags: FlagSpec = { ...rpcFlag }

const l1Flags: FlagSpec = {
  'l1-rpc': { type: 'string', description: 'L1 JSON-RPC URL', default: 'http://127.0.0.1:8545' },
  'private-key': { type: 'string', description: 'the L1 key (for a node also its identity)' },
  'data-dir': { type: 'string', description: 'where its LMDB store lives (restart resumes from it)' },
  hub: { type: 'string', description: 'ChannelHub address (or take it from --join)' },
  join: {
    type: 'string',
    description: 'JSON-RPC URL of a running channel node: take ChannelHub and PreimageRegistry from it',
  },
  host: { type: 'string', description: 'listen host', default: '127.0.0.1' },
  'rpc-port': { type: 'string', description: 'JSON-RPC port (0 = any free port)', default: '0' },
}
export const channelsNodeFlags: FlagSpec = {
  ...l1Flags,
  registry: { type: 'string', description: 'PreimageRegistry address (or take it from --join)' },
  'peer-port': { type: 'string', description: 'BOLT 8 peer port (0 = any free port)', default: '0' },
  connect: {
    type: 'string',
    description: 'peers to connect to at start: <nodeId>@host:port, comma separated',
  },
  watchtower: { type: 'string', description: 'JSON-RPC URL of a watchtower to hand revocations to' },
  'poll-ms': {
    type: 'string',
    description: 'how often L1 is read for closes of its channels',
    default: '500',
  },
}
export const channelsWatchtowerFlags: FlagSpec = {
  ...l1Flags,
  'poll-ms': { type: 'string', description: 'how often L1 is read for closes', default: '500' },
}

function nodeOf(args: ParsedArgs): ChannelNodeClient {
  return createChannelNodeClient(str(args.values.rpc) ?? DEFAULT_CHANNELS_RPC)
}

function channelRows(cs: NodeChannel[]): string {
  if (cs.length === 0) return '  (no channels)'
  return table(
    cs.map((c) => [
      `${c.channelId.slice(0, 18)}…`,
      `${c.l1 ?? '?'}  local ${formatEther(c.local)}  remote ${formatEther(c.remote)}  seq ${c.seq}${c.pendingHtlcs ? `  ${c.pendingHtlcs} HTLCs pending` : ''}  peer ${(c.peer ?? '?').slice(0, 12)}…`,
    ]),
  )
}

/** --token: DEV (the devnet token the node reports) or an ERC-20 address; undefined for ETH. */
async function tokenOf(args: ParsedArgs): Promise<Hex | undefined> {
  let token = str(args.values.token)
  if (token?.toUpperCase() === 'DEV') {
    const info = await getChannelNodeInfo({ node: nodeOf(args) })
    if (info.devToken === null) {
      throw new L2kitError(
        'INVALID_ARGUMENTS',
        'this node knows no DEV token (l2kit up deploys one): pass its address',
      )
    }
    token = info.devToken
  }
  if (token !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(token)) {
    throw new L2kitError('INVALID_ARGUMENTS', '--token must be DEV or an ERC-20 address (0x + 40 hex digits)')
  }
  return token as Hex | undefined
}

export async function runChannelsConnect(args: ParsedArgs): Promise<void> {
  const peer = str(args.values.peer)
  if (peer === undefined) throw new L2kitError('INVALID_ARGUMENTS', '--peer <nodeId>@host:port is required')
  const nodeId = await connectPeer({ node: nodeOf(args), peer })
  if (args.values.json === true) printJson({ connected: true, nodeId })
  else process.stdout.write(`connected to ${nodeId}\n`)
}

export async function runChannelsOpen(args: ParsedArgs): Promise<void> {
  const peer = str(args.values.peer)
  if (peer === undefined) throw new L2kitError('INVALID_ARGUMENTS', '--peer <nodeId>@host:port is required')
  const token = await tokenOf(args)
  const decimals = num(args.values.decimals, 'decimals') ?? 18
  const amount = tokenAmount(str(args.values.amount), 'amount', token === undefined ? 18 : decimals)
  const disputeWindow = BigInt(num(args.values['dispute-window'], 'dispute-window') ?? 3600)
  const c = await openChannelFromNode({
    node: nodeOf(args),
    peer,
    amount,
    disputeWindow,
    ...(token ? { token: token as Hex } : {}),
  })
  if (args.values.json === true) printJson(c)
  else process.stdout.write(`channel ${c.channelId} open on L1 (${formatEther(c.total)} locked)\n`)
}

export async function runChannelsInvoice(args: ParsedArgs): Promise<void> {
  const token = await tokenOf(args)
  const text = str(args.values.amount)
  const decimals = num(args.values.decimals, 'decimals') ?? 18
  const amount = text === undefined ? null : tokenAmount(text, 'amount', token === undefined ? 18 : decimals)
  const description = str(args.values.description)
  const invoice = await createInvoice({
    node: nodeOf(args),
    amount,
    ...(token === undefined ? {} : { token }),
    expirySeconds: BigInt(num(args.values.expiry, 'expiry') ?? 3600),
    ...(description !== undefined ? { description } : {}),
  })
  if (args.values.json === true) printJson({ invoice })
  else process.stdout.write(`${invoice}\n`)
}

export async function runChannelsPay(args: ParsedArgs): Promise<void> {
  const invoice = args.positionals[0]
  if (invoice === undefined)
    throw new L2kitError('INVALID_ARGUMENTS', 'say which invoice: l2kit channels pay <invoice>')
  const text = str(args.values.amount)
  const paid = await payInvoice({
    node: nodeOf(args),
    invoice,
    ...(text === undefined ? {} : { amount: tokenAmount(text, 'amount') }),
  })
  if (args.values.json === true) printJson(paid)
  else
    process.stdout.write(
      `paid in ${paid.ms} ms over ${paid.hops} hop(s), fee ${formatEther(paid.fee)} ETH; preimage ${paid.preimage}\n`,
    )
}

export async function runChannelsClose(args: ParsedArgs): Promise<void> {
  const node = nodeOf(args)
  const one = str(args.values.channel)
  if (one !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(one)) {
    throw new L2kitError('INVALID_ARGUMENTS', '--channel must be a channel id (0x + 64 hex digits)')
  }
  const ids =
    one !== undefined
      ? [one as Hex]
      : (await listChannels({ node })).filter((c) => c.l1 === 'open').map((c) => c.channelId)
  if (ids.length === 0) throw new L2kitError('INVALID_ARGUMENTS', 'this node has no open channel to close')
  const force = args.values.force === true
  const closed = []
  for (const channelId of ids) {
    const r = await closeChannel({ node, channelId, force })
    closed.push({ channelId, ...r })
    if (args.values.json !== true) {
      process.stdout.write(
        `${channelId}: ${r.mode} close ${r.txHash}${force ? ' (paid out after the dispute window)' : ' (paid out)'}\n`,
      )
    }
  }
  if (args.values.json === true) printJson({ closed })
}

export async function runChannelsStatus(args: ParsedArgs): Promise<void> {
  const node = nodeOf(args)
  const [info, channels] = await Promise.all([getChannelNodeInfo({ node }), listChannels({ node })])
  if (args.values.json === true) {
    printJson({ ...info, channels })
    return
  }
  process.stdout.write(
    `${table([
      ['node id', info.nodeId],
      ['peer address', info.peerAddress],
      ['L1 address', `${info.address} (${formatEther(info.l1Balance)} ETH)`],
      ['ChannelHub', info.hub],
      ['watchtower', info.watchtower ?? 'none'],
      ['fees', `${info.fees.base} wei + ${info.fees.ratePpm} ppm per forward`],
    ])}\n\nchannels\n${channelRows(channels)}\n`,
  )
}

/** --hub/--registry, or both from the node at --join. */
async function contractsOf(args: ParsedArgs): Promise<{ hub: Hex; registry: Hex | null }> {
  const join = str(args.values.join)
  if (join !== undefined) {
    const info = await getChannelNodeInfo({ node: createChannelNodeClient(join) })
    return { hub: info.hub, registry: info.registry }
  }
  const hub = str(args.values.hub)
  const registry = str(args.values.registry)
  if (hub === undefined || !/^0x[0-9a-fA-F]{40}$/.test(hub)) {
    throw new L2kitError(
      'INVALID_ARGUMENTS',
      '--hub <ChannelHub address> (or --join <a channel node RPC URL>) is required',
    )
  }
  if (registry !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(registry)) {
    throw new L2kitError('INVALID_ARGUMENTS', '--registry must be an address')
  }
  return { hub: hub as Hex, registry: (registry as Hex | undefined) ?? null }
}

function dataDirOf(args: ParsedArgs): string {
  const d = str(args.values['data-dir'])
  if (d === undefined)
    throw new L2kitError('INVALID_ARGUMENTS', '--data-dir is required (the store lives there)')
  return d
}

/** `l2kit channels node`: one channel node with its JSON-RPC, until Ctrl-C / SIGTERM. */
export async function runChannelsNode(
  args: ParsedArgs,
  logger: Logger,
  onShutdown: (fn: () => Promise<void>) => void,
): Promise<void> {
  const privateKey = requireKey(args)
  const dataDir = dataDirOf(args)
  const { hub, registry } = await contractsOf(args)
  const { createL1Clients } = await import('../../l1/clients.ts')
  const { createChannelNodeService } = await import('../../channels/services.ts')
  const l1 = await createL1Clients({
    rpcUrl: str(args.values['l1-rpc']) ?? 'http://127.0.0.1:8545',
    privateKey,
  })
  const towerUrl = str(args.values.watchtower)
  const service = createChannelNodeService(
    {
      dataDir,
      privateKey,
      hub,
      registry,
      host: str(args.values.host) ?? '127.0.0.1',
      port: num(args.values['peer-port'], 'peer-port') ?? 0,
      l1PollMs: num(args.values['poll-ms'], 'poll-ms') ?? 500,
      rpc: {
        host: str(args.values.host) ?? '127.0.0.1',
        port: num(args.values['rpc-port'], 'rpc-port') ?? 0,
      },
    },
    {
      publicClient: l1.publicClient,
      walletClient: l1.walletClient,
      logger,
      ...(towerUrl ? { towerUrl } : {}),
    },
  )
  await service.start()
  onShutdown(() => service.stop())
  const node = service.role
  for (const peer of (str(args.values.connect) ?? '').split(',').filter((x) => x.trim() !== '')) {
    await node.connect(peer.trim())
  }
  const ready = {
    ready: true,
    nodeId: node.nodeId,
    address: node.address,
    rpc: service.rpcUrl(),
    peer: node.peerAddress,
    hub,
    channels: node.channels().length,
  }
  if (args.values.json === true) printJson(ready)
  else
    process.stdout.write(
      `channel node up\n${table([
        ['node id', node.nodeId],
        ['RPC', ready.rpc],
        ['peer address', ready.peer],
        ['L1 address', node.address],
        ['channels', String(ready.channels)],
      ])}\n\nCtrl-C stops it.\n`,
    )
  await new Promise(() => undefined)
}

/** `l2kit channels watchtower`: a watchtower with its JSON-RPC (`tower_watch`), until Ctrl-C / SIGTERM. */
export async function runChannelsWatchtower(
  args: ParsedArgs,
  logger: Logger,
  onShutdown: (fn: () => Promise<void>) => void,
): Promise<void> {
  const privateKey = requireKey(args)
  const dataDir = dataDirOf(args)
  const { hub } = await contractsOf(args)
  const { createL1Clients } = await import('../../l1/clients.ts')
  const { createWatchtowerService } = await import('../../channels/services.ts')
  const l1 = await createL1Clients({
    rpcUrl: str(args.values['l1-rpc']) ?? 'http://127.0.0.1:8545',
    privateKey,
  })
  const service = createWatchtowerService(
    {
      dataDir,
      hub,
      pollMs: num(args.values['poll-ms'], 'poll-ms') ?? 500,
      rpc: {
        host: str(args.values.host) ?? '127.0.0.1',
        port: num(args.values['rpc-port'], 'rpc-port') ?? 0,
      },
    },
    { publicClient: l1.publicClient, walletClient: l1.walletClient, logger },
  )
  await service.start()
  onShutdown(() => service.stop())
  const ready = {
    ready: true,
    rpc: service.rpcUrl(),
    hub,
    watching: service.role.watching(),
    address: l1.account.address,
  }
  if (args.values.json === true) printJson(ready)
  else
    process.stdout.write(
      `watchtower up\n${table([
        ['RPC', ready.rpc],
        ['ChannelHub', hub],
        ['sends penalties from', ready.address],
        ['watching', `${ready.watching} channel side(s)`],
      ])}\n\nNodes hand it revocations with --watchtower ${ready.rpc}. Ctrl-C stops it.\n`,
    )
  await new Promise(() => undefined)
}
