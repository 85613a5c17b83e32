/**
 * A small channel network on an L1: ChannelHub and PreimageRegistry deployed, a watchtower, nodes A, B and C
 * (each its own key, store and JSON-RPC, BOLT 8 links A–B and B–C) and the channels A–B (funded by A) and B–C
 * (funded by B), announced and gossiped so A can route to C. Used by `l2kit up`, the demo, the bench and the tests;
 * each step is reported. With a data dir that holds a deployment (`deployment.json`) on the same L1, it resumes:
 * same contracts, same node stores, the channels already open are not opened again.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Address, type Hex, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { L2kitError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import { devTokenAbi, devTokenBytecode } from '../generated/contracts.ts'
import { createL1Clients, type L1ClientsWithWallet } from '../l1/clients.ts'
import { deployContractWithReceipt } from '../l1/deploy.ts'
import { deployChannelContracts } from './l1/deploy.ts'
import type { ChannelNode, ChannelNodeOptions } from './node.ts'
import { readChannelPhase } from './rpc.ts'
import { createChannelNodeService, createWatchtowerService, type RpcListenOptions } from './services.ts'
import type { Watchtower } from './tower.ts'

export type NodeName = 'a' | 'b' | 'c'

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
  towerClients: NodeName[]
  /** FAULT INJECTION per node (attack demos) */
  faults?: Partial<Record<NodeName, ChannelNodeOptions['faults']>>
  l1PollMs?: number
  /** JSON-RPC listeners (default: 127.0.0.1, free ports) */
  rpc?: { host?: string; ports?: Partial<Record<NodeName | 'tower', number>>; fallbackToFreePort?: boolean }
  /** send each node and the tower this much ETH from the deployer when it has less (keys not funded by anvil) */
  fundEach?: bigint
  /** also deploy a DEV ERC-20 with 1,000,000 DEV for each node (for token channels) */
  devToken?: boolean
}

export type ChannelsDevnet = {
  hub: Address
  registry: Address
  /** the DEV ERC-20 every node holds, when asked for */
  devToken: Address | undefined
  a: ChannelNode
  b: ChannelNode
  c: ChannelNode
  tower: Watchtower
  channels: { ab: Hex; bc: Hex }
  /** JSON-RPC URLs of the nodes and the tower */
  rpcUrls: Record<NodeName | 'tower', string>
  /** true when it resumed a deployment from the data dir */
  resumed: boolean
  /** L1 clients by key (cached) */
  l1(key: Hex): Promise<L1ClientsWithWallet>
  stop(): Promise<void>
}

type SavedDeployment = {
  chainId: number
  hub: Address
  registry: Address
  devToken?: Address
  channels?: { ab: Hex; bc: Hex }
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
  const listen = (name: NodeName | 'tower'): Partial<RpcListenOptions> => ({
    ...(o.rpc?.host ? { host: o.rpc.host } : {}),
    port: o.rpc?.ports?.[name] ?? 0,
    fallbackToFreePort: o.rpc?.fallbackToFreePort ?? false,
  })
  try {
    mkdirSync(o.dataDir, { recursive: true })
    const deployer = await l1(o.deployerKey)
    const chainId = await deployer.publicClient.getChainId()
    const savedPath = join(o.dataDir, 'deployment.json')
    let saved: SavedDeployment | undefined
    if (existsSync(savedPath)) {
      const s = JSON.parse(readFileSync(savedPath, 'utf8')) as SavedDeployment
      const code = await deployer.publicClient.getCode({ address: s.hub })
      if (s.chainId === chainId && code !== undefined && code !== '0x') saved = s
      else step('channels: the saved deployment is not on this L1; deploying afresh')
    }
    const resumed = saved !== undefined
    if (saved === undefined) {
      const { hub, registry } = await deployChannelContracts(deployer.walletClient, deployer.publicClient)
      saved = { chainId, hub, registry }
      if (o.devToken === true) {
        const holders = [o.keys.a, o.keys.b, o.keys.c].map((k) => privateKeyToAccount(k).address)
        const token = await deployContractWithReceipt(deployer.walletClient, deployer.publicClient, {
          abi: devTokenAbi,
          bytecode: devTokenBytecode,
          name: 'DevToken',
          args: ['l2kit Dev Token', 'DEV', 18, holders, parseEther('1000000')],
        })
        saved.devToken = token.address
      }
      writeFileSync(savedPath, `${JSON.stringify(saved, null, 2)}\n`)
    }
    const { hub, registry } = saved
    const devToken = saved.devToken
    step(`channels: ChannelHub ${hub}, PreimageRegistry ${registry}${resumed ? ' (resumed)' : ''}`)
    if (o.fundEach !== undefined) {
      for (const k of [o.keys.a, o.keys.b, o.keys.c, o.keys.tower]) {
        const to = (await l1(k)).account.address
        const have = await deployer.publicClient.getBalance({ address: to })
        if (have >= o.fundEach / 2n) continue
        const hash = await deployer.walletClient.sendTransaction({
          to,
          value: o.fundEach - have,
          account: deployer.account,
          chain: deployer.walletClient.chain ?? null,
        })
        await deployer.publicClient.waitForTransactionReceipt({ hash })
      }
    }
    const tc = await l1(o.keys.tower)
    const towerService = createWatchtowerService(
      { dataDir: join(o.dataDir, 'tower'), hub, pollMs: o.l1PollMs ?? 500, rpc: listen('tower') },
      { ...tc, ...(modules.logger ? { logger: modules.logger } : {}) },
    )
    await towerService.start()
    stops.push(() => towerService.stop())
    const tower = towerService.role
    const rpcUrls: Partial<Record<NodeName | 'tower', string>> = { tower: towerService.rpcUrl() }
    const mk = async (name: NodeName) => {
      const c = await l1(o.keys[name])
      const service = createChannelNodeService(
        {
          dataDir: join(o.dataDir, name),
          privateKey: o.keys[name],
          hub,
          registry,
          l1PollMs: o.l1PollMs ?? 500,
          faults: o.faults?.[name] ?? {},
          rpc: listen(name),
        },
        {
          publicClient: c.publicClient,
          walletClient: c.walletClient,
          ...(modules.logger ? { logger: modules.logger } : {}),
          ...(o.towerClients.includes(name) ? { tower, towerUrl: towerService.rpcUrl() } : {}),
          ...(devToken ? { devToken } : {}),
        },
      )
      await service.start()
      stops.push(() => service.stop())
      rpcUrls[name] = service.rpcUrl()
      return service.role
    }
    const a = await mk('a')
    const b = await mk('b')
    const c = await mk('c')
    step(
      `channels: nodes A ${a.nodeId.slice(0, 12)}…, B ${b.nodeId.slice(0, 12)}…, C ${c.nodeId.slice(0, 12)}… and a watchtower`,
    )
    await a.connect(b.peerAddress)
    await b.connect(c.peerAddress)
    // resume: a channel of the saved deployment still open on L1 is used as it is
    const stillOpen = async (id: Hex | undefined, owner: ChannelNode) =>
      id !== undefined &&
      owner.channel(id) !== undefined &&
      (await readChannelPhase(deployer.publicClient, hub, id)) === 'open'
    const open = (from: ChannelNode, to: ChannelNode) =>
      from.openChannel({ peer: to.nodeId, amount: o.channelAmount, disputeWindow: o.disputeWindow })
    const ab = (await stillOpen(saved.channels?.ab, a)) ? (saved.channels?.ab as Hex) : await open(a, b)
    const bc = (await stillOpen(saved.channels?.bc, b)) ? (saved.channels?.bc as Hex) : await open(b, c)
    writeFileSync(savedPath, `${JSON.stringify({ ...saved, channels: { ab, bc } }, null, 2)}\n`)
    for (let i = 0; i < 600 && a.graphEdges().length < 4; i++) await new Promise((r) => setTimeout(r, 50))
    if (a.graphEdges().length < 4) {
      throw new L2kitError('CHANNEL_NO_ROUTE', 'the channel announcements did not reach node A')
    }
    step('channels: A–B and B–C open on L1 and announced')
    return {
      hub,
      registry,
      devToken,
      a,
      b,
      c,
      tower,
      channels: { ab, bc },
      rpcUrls: rpcUrls as Record<NodeName | 'tower', string>,
      resumed,
      l1,
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}
