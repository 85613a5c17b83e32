/**
 * A ZK rollup node: the roles as services (`create<Role>Service(options, modules)`) composed in one ServiceGroup —
 * store, L1 request follower, sequencer, prover workers, committer, JSON-RPC server — started in that order and
 * stopped in reverse. Every role reads and writes the one durable store, so a killed node restarts where it was.
 */
import { mkdirSync } from 'node:fs'
import type { VerificationKey } from 'snarkjs'
import type { Address, Hex } from 'viem'
import type { Logger } from '../core/logger.ts'
import { silentLogger } from '../core/logger.ts'
import { createL1Clients, type L1ClientsWithWallet } from '../l1/clients.ts'
import { roleService, ServiceGroup } from '../node/lifecycle.ts'
import { Metrics } from '../node/metrics.ts'
import { assertValidOptions, isIntegerInRange } from '../node/options.ts'
import { RpcServer } from '../node/rpcServer.ts'
import { openStoreSync } from '../node/store.ts'
import {
  ZkCommitter,
  type ZkCommitterModules,
  type ZkCommitterOptions,
  type ZkL1Modules,
  ZkRequestFollower,
  type ZkRequestFollowerOptions,
} from './l1sync.ts'
import { loadZkCrypto } from './protocol/crypto.ts'
import { ZkProver, type ZkProverModules, type ZkProverOptions } from './prover.ts'
import { createZkRpcMethods } from './rpc.ts'
import { ZkSequencer, type ZkSequencerModules, type ZkSequencerOptions } from './sequencer.ts'
import { ZkStore } from './store.ts'

export function createZkSequencerService(options: Partial<ZkSequencerOptions>, modules: ZkSequencerModules) {
  return roleService('zk-sequencer', new ZkSequencer(options, modules))
}
export function createZkProverService(options: Partial<ZkProverOptions>, modules: ZkProverModules) {
  return roleService('zk-prover', new ZkProver(options, modules))
}
export function createZkCommitterService(options: Partial<ZkCommitterOptions>, modules: ZkCommitterModules) {
  return roleService('zk-committer', new ZkCommitter(options, modules))
}
export function createZkFollowerService(
  options: Partial<ZkRequestFollowerOptions>,
  modules: ZkL1Modules & { onRequests?: () => void },
) {
  return roleService('zk-follower', new ZkRequestFollower(options, modules))
}

export type ZkNodeOptions = {
  dataDir: string
  l1RpcUrl: string
  rollup: Address
  /** L1 block of the rollup's deployment (the follower starts there) */
  deployBlock: bigint
  /** signs commitBlocks / verifyBlocks (the rollup's operator) */
  operatorKey: Hex
  chunks: number
  depth: number
  circuit: { wasmPath: string; zkeyPath: string; verificationKey: VerificationKey }
  sequencer?: Partial<Omit<ZkSequencerOptions, 'chunks' | 'depth'>>
  prover?: Partial<ZkProverOptions>
  committer?: Partial<ZkCommitterOptions>
  rpc?: { host?: string; port?: number; fallbackToFreePort?: boolean }
}

export class ZkNode {
  readonly options: ZkNodeOptions
  readonly log: Logger
  readonly metrics = new Metrics({})
  store!: ZkStore
  sequencer!: ZkSequencer
  prover!: ZkProver
  committer!: ZkCommitter
  follower!: ZkRequestFollower
  rpc!: RpcServer
  rpcUrl: string | undefined
  l1!: L1ClientsWithWallet
  private group: ServiceGroup | undefined

  constructor(options: ZkNodeOptions, modules: { logger?: Logger } = {}) {
    const problems: string[] = []
    if (typeof options.dataDir !== 'string' || options.dataDir === '') problems.push('dataDir is required')
    if (!/^0x[0-9a-fA-F]{40}$/.test(options.rollup)) problems.push('rollup must be an address')
    if (!isIntegerInRange(options.chunks, 3, 256)) problems.push('chunks must be in 3..256')
    if (!isIntegerInRange(options.depth, 1, 16)) problems.push('depth must be in 1..16')
    assertValidOptions('zk node', problems)
    this.options = options
    this.log = (modules.logger ?? silentLogger).child({ family: 'zk' })
  }

  async start(): Promise<string> {
    const o = this.options
    await loadZkCrypto()
    mkdirSync(o.dataDir, { recursive: true })
    this.l1 = await createL1Clients({ rpcUrl: o.l1RpcUrl, privateKey: o.operatorKey })
    const raw = openStoreSync({ path: o.dataDir })
    this.store = new ZkStore(raw)
    const store = this.store
    const logger = this.log
    const sequencer = createZkSequencerService(
      { ...o.sequencer, chunks: o.chunks, depth: o.depth },
      { store, logger, metrics: this.metrics },
    )
    this.sequencer = sequencer.role
    const l1Modules = {
      store,
      publicClient: this.l1.publicClient,
      rollup: o.rollup,
      logger,
      metrics: this.metrics,
    }
    const follower = createZkFollowerService(
      { fromBlock: o.deployBlock },
      { ...l1Modules, onRequests: () => void this.sequencer.tick().catch(() => {}) },
    )
    this.follower = follower.role
    const prover = createZkProverService(o.prover ?? {}, {
      store,
      logger,
      metrics: this.metrics,
      wasmPath: o.circuit.wasmPath,
      zkeyPath: o.circuit.zkeyPath,
      verificationKey: o.circuit.verificationKey,
    })
    this.prover = prover.role
    const committer = createZkCommitterService(o.committer ?? {}, {
      ...l1Modules,
      walletClient: this.l1.walletClient,
    })
    this.committer = committer.role
    this.rpc = new RpcServer(
      {
        host: o.rpc?.host ?? '127.0.0.1',
        port: o.rpc?.port ?? 0,
        fallbackToFreePort: o.rpc?.fallbackToFreePort === true,
      },
      { logger: logger.child({ component: 'rpc' }), metrics: this.metrics },
    )
    const methods = createZkRpcMethods({
      chainId: this.l1.chain.id,
      sequencer: this.sequencer,
      store,
      rpc: this.rpc,
      l1Status: () => this.committer.l1Status(),
      info: () => ({
        family: 'zk',
        rollup: o.rollup,
        l1Rpc: o.l1RpcUrl,
        deployBlock: o.deployBlock.toString(),
        chunks: o.chunks,
        depth: o.depth,
      }),
    })
    for (const [name, handler] of Object.entries(methods)) this.rpc.register(name, handler)
    const rpc = this.rpc
    this.group = new ServiceGroup(
      { name: 'zk-node' },
      {
        logger,
        services: [
          { name: 'zk-store', start: async () => {}, stop: () => raw.close() },
          follower,
          sequencer,
          prover,
          committer,
          {
            name: 'rpc',
            start: async () => {
              this.rpcUrl = await rpc.start()
            },
            stop: () => rpc.stop().catch(() => undefined),
          },
        ],
      },
    )
    await this.group.start()
    return this.rpcUrl as string
  }

  async stop(): Promise<void> {
    await this.group?.stop()
  }
}
