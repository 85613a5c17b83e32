/**
 * A small channel network on an L1: ChannelHub and PreimageRegistry deployed, a watchtower, nodes A, B and C
 * (each its own key and store, BOLT 8 links A–B and B–C) and the channels A–B (funded by A) and B–C (funded by B),
 * announced and gossiped so A can route to C. Used by the demo, the bench and the tests; each step is reported.
 */
import { join } from 'node:path'
import type { Address, Hex } from 'viem'
import { L2kitError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import { createL1Clients, type L1ClientsWithWallet } from '../l1/clients.ts'
import { deployChannelContracts } from './l1/deploy.ts'
import { ChannelNode, type ChannelNodeOptions } from './node.ts'
import { Watchtower } from './tower.ts'

export type ChannelsDevnetOptions = {
  l1RpcUrl: string
  dataDir: string
  /** deploys the contracts */
  deployerKey: Hex
  /** the nodes' keys (their identities and L1 accounts, which fund the channels) */
  keys: { a: Hex; b: Hex; c: Hex; tower: Hex }
  /** locked by A in A–B and by B in B–C (wei) */
  channelAmount: bigint
  disputeWindow: bigint
  /** which nodes hand their revocations to the watchtower */
  towerClients: ('a' | 'b' | 'c')[]
  /** FAULT INJECTION per node (attack demos) */
  faults?: Partial<Record<'a' | 'b' | 'c', ChannelNodeOptions['faults']>>
  l1PollMs?: number
}

export type ChannelsDevnet = {
  hub: Address
  registry: Address
  a: ChannelNode
  b: ChannelNode
  c: ChannelNode
  tower: Watchtower
  channels: { ab: Hex; bc: Hex }
  /** L1 clients by key (cached) */
  l1(key: Hex): Promise<L1ClientsWithWallet>
  stop(): Promise<void>
}

export async function startChannelsDevnet(
  o: ChannelsDevnetOptions,
  modules: { logger?: Logger; onStep?: (message: string) => void } = {},
): Promise<ChannelsDevnet> {
  const step = modules.onStep ?? (() => undefined)
  const clients = new Map<Hex, L1ClientsWithWallet>()
  const l1 = async (k: Hex) => {
    let c = clients.get(k)
    if (c === undefined) {
      c = await createL1Clients({ rpcUrl: o.l1RpcUrl, privateKey: k })
      clients.set(k, c)
    }
    return c
  }
  const stops: (() => Promise<void>)[] = []
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined)
  }
  try {
    const deployer = await l1(o.deployerKey)
    const { hub, registry } = await deployChannelContracts(deployer.walletClient, deployer.publicClient)
    step(`channels: ChannelHub ${hub}, PreimageRegistry ${registry}`)
    const tc = await l1(o.keys.tower)
    const tower = new Watchtower(
      { dataDir: join(o.dataDir, 'tower'), hub, pollMs: o.l1PollMs ?? 500 },
      { ...tc, ...(modules.logger ? { logger: modules.logger } : {}) },
    )
    await tower.start()
    stops.push(() => tower.stop())
    const mk = async (name: 'a' | 'b' | 'c') => {
      const c = await l1(o.keys[name])
      const n = new ChannelNode(
        {
          dataDir: join(o.dataDir, name),
          privateKey: o.keys[name],
          hub,
          registry,
          l1PollMs: o.l1PollMs ?? 500,
          faults: o.faults?.[name] ?? {},
        },
        {
          publicClient: c.publicClient,
          walletClient: c.walletClient,
          ...(modules.logger ? { logger: modules.logger } : {}),
          ...(o.towerClients.includes(name) ? { tower } : {}),
        },
      )
      await n.start()
      stops.push(() => n.stop())
      return n
    }
    const a = await mk('a')
    const b = await mk('b')
    const c = await mk('c')
    step(
      `channels: nodes A ${a.nodeId.slice(0, 12)}…, B ${b.nodeId.slice(0, 12)}…, C ${c.nodeId.slice(0, 12)}… and a watchtower`,
    )
    await a.connect(b.peerAddress)
    await b.connect(c.peerAddress)
    const ab = await a.openChannel({
      peer: b.nodeId,
      amount: o.channelAmount,
      disputeWindow: o.disputeWindow,
    })
    const bc = await b.openChannel({
      peer: c.nodeId,
      amount: o.channelAmount,
      disputeWindow: o.disputeWindow,
    })
    for (let i = 0; i < 600 && a.graphEdges().length < 4; i++) await new Promise((r) => setTimeout(r, 50))
    if (a.graphEdges().length < 4) {
      throw new L2kitError('CHANNEL_NO_ROUTE', 'the channel announcements did not reach node A')
    }
    step('channels: A–B and B–C open on L1 and announced')
    return { hub, registry, a, b, c, tower, channels: { ab, bc }, l1, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
