/**
 * The channel family's roles as services: a channel node with its JSON-RPC (`channels_*`), a watchtower with its
 * JSON-RPC (`tower_*`), and the client a node uses to reach a watchtower in another process. `l2kit up`,
 * `l2kit channels node` and `l2kit channels watchtower` compose these.
 */
import type { Address } from 'viem'
import type { Logger } from '../core/logger.ts'
import { silentLogger } from '../core/logger.ts'
import type { L1PublicClient, L1WalletClient } from '../l1/clients.ts'
import { Metrics } from '../node/metrics.ts'
import { assertValidOptions } from '../node/options.ts'
import { rpcRequest } from '../node/rpcClient.ts'
import { RpcServer } from '../node/rpcServer.ts'
import {
  checkRpcListen,
  defaultRpcListen,
  type RpcListenOptions,
  type ServedRole,
  servedRole,
} from '../node/servedRole.ts'
import { ChannelNode, type ChannelNodeOptions, type TowerEntry } from './node.ts'
import { createChannelRpcMethods, createTowerRpcMethods, towerEntryToJson } from './rpc.ts'
import { Watchtower, type WatchtowerOptions } from './tower.ts'

export type { RpcListenOptions, ServedRole }

/** A watchtower in another process, reached over its JSON-RPC (`tower_watch`). */
export class RemoteWatchtower {
  constructor(readonly url: string) {}
  async watch(entry: TowerEntry): Promise<void> {
    await rpcRequest(this.url, 'tower_watch', [towerEntryToJson(entry)], {
      unreachableHint: "start one with 'l2kit channels watchtower' or 'l2kit up'",
    })
  }
}

export type ChannelNodeServiceOptions = Partial<ChannelNodeOptions> &
  Pick<ChannelNodeOptions, 'dataDir' | 'privateKey' | 'hub'> & { rpc?: Partial<RpcListenOptions> }

export type ChannelNodeServiceModules = {
  publicClient: L1PublicClient
  walletClient: L1WalletClient
  logger?: Logger
  /** an in-process watchtower, or the URL of one (`RemoteWatchtower`) */
  tower?: { watch(entry: TowerEntry): Promise<void> }
  towerUrl?: string
  /** the devnet's DEV ERC-20, reported by channels_getInfo (`l2kit channels open --token DEV`) */
  devToken?: Address
}

/** A channel node and its JSON-RPC server (`channels_*`, `l2kit_family`, GET /health and /metrics). */
export function createChannelNodeService(
  options: ChannelNodeServiceOptions,
  modules: ChannelNodeServiceModules,
): ServedRole<ChannelNode> {
  const rpcOptions = { ...defaultRpcListen, ...options.rpc }
  const problems: string[] = []
  checkRpcListen(rpcOptions, problems)
  assertValidOptions('channel node', problems)
  const { rpc: _rpc, ...nodeOptions } = options
  const logger = modules.logger ?? silentLogger
  const tower = modules.tower ?? (modules.towerUrl ? new RemoteWatchtower(modules.towerUrl) : undefined)
  const node = new ChannelNode(nodeOptions, {
    publicClient: modules.publicClient,
    walletClient: modules.walletClient,
    ...(modules.logger ? { logger: modules.logger } : {}),
    ...(tower ? { tower } : {}),
  })
  const metrics = new Metrics()
  const rpc = new RpcServer(rpcOptions, {
    logger: logger.child({ component: 'channels-rpc' }),
    metrics,
    healthCheck: () => ({ nodeId: node.nodeId, channels: node.channels().length }),
  })
  rpc.registerAll(
    createChannelRpcMethods({
      node,
      publicClient: modules.publicClient,
      rpc,
      ...(modules.towerUrl ? { towerUrl: modules.towerUrl } : {}),
      ...(modules.devToken ? { devToken: modules.devToken } : {}),
    }),
  )
  return servedRole('channel-node', node, rpc, logger)
}

/** A watchtower and its JSON-RPC server (`tower_watch`, `tower_status`). */
export function createWatchtowerService(
  options: Partial<WatchtowerOptions> &
    Pick<WatchtowerOptions, 'dataDir' | 'hub'> & { rpc?: Partial<RpcListenOptions> },
  modules: { publicClient: L1PublicClient; walletClient: L1WalletClient; logger?: Logger },
): ServedRole<Watchtower> {
  const rpcOptions = { ...defaultRpcListen, ...options.rpc }
  const problems: string[] = []
  checkRpcListen(rpcOptions, problems)
  if (!/^0x[0-9a-fA-F]{40}$/.test(options.hub)) problems.push('hub must be an address')
  assertValidOptions('watchtower', problems)
  const { rpc: _rpc, ...towerOptions } = options
  const logger = modules.logger ?? silentLogger
  const tower = new Watchtower(towerOptions, modules)
  const rpc = new RpcServer(rpcOptions, {
    logger: logger.child({ component: 'tower-rpc' }),
    metrics: new Metrics(),
    healthCheck: () => ({ watching: tower.watching() }),
  })
  rpc.registerAll(createTowerRpcMethods({ tower, rpc }))
  return servedRole('watchtower', tower, rpc, logger)
}
