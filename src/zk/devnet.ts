/**
 * The ZK rollup's devnet bootstrap: compile the block circuit (cached), make or reuse its Groth16 setup (the
 * INSECURE development setup unless a ceremony `.ptau` is given), deploy the L1 contracts (or reuse the deployment
 * recorded in the data dir when it is still on this L1), and start a node. Each long step reports progress.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Address, Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { Logger } from '../core/logger.ts'
import { silentLogger } from '../core/logger.ts'
import { createL1Clients } from '../l1/clients.ts'
import { type CompiledCircuit, compileBlockCircuit } from './circuit.ts'
import { deployZkRollup, type ZkRollupDeployment } from './l1/deploy.ts'
import { ZkNode, type ZkNodeOptions } from './node.ts'
import { loadZkCrypto } from './protocol/crypto.ts'
import { defaultZkCacheDir, ensureGroth16Setup, type Groth16Setup } from './setup/setup.ts'

export type ZkDevnetOptions = {
  l1RpcUrl: string
  /** deploys the contracts and governs tokens */
  deployerKey: Hex
  /** commits and verifies blocks (its own key: it must not share nonces with another family's operator) */
  operatorKey: Hex
  dataDir: string
  /** chunks per block (N) and account tree depth (D): the circuit's size */
  chunks: number
  depth: number
  /** where circuits and setups are cached (default `~/.cache/l2kit/zk` or `$L2KIT_ZK_CACHE`) */
  cacheDir?: string
  /** a public powers-of-tau ceremony file: a real setup instead of the insecure development one */
  ptauPath?: string
  priorityDeadlineSeconds: number
  provers: number
  blockTimeMs: number
  maxVerifyBlocks?: number
  /** the committer's mode (see ZkCommitterOptions.mode); default 'separate' */
  commitMode?: 'separate' | 'combined'
  /** FAULT INJECTION (attack demos): the operator never includes L1 requests */
  censorRequests?: boolean
  rpcHost?: string
  rpcPort?: number
  /** when the port is taken, take any free one (for a default port; a port the user chose must be that port) */
  rpcPortFallback?: boolean
}

export const defaultZkDevnetOptions = {
  chunks: 4,
  depth: 16,
  priorityDeadlineSeconds: 3600,
  provers: 1,
  blockTimeMs: 2000,
} as const

export type ZkDevnet = {
  node: ZkNode
  rpcUrl: string
  deployment: ZkRollupDeployment
  circuit: CompiledCircuit
  setup: Groth16Setup
  stop(): Promise<void>
}

type SavedDeployment = Omit<ZkRollupDeployment, 'deployBlock'> & { deployBlock: string; setupKey: string }

/** Setup progress as a line per stage and per ~20 % of a stage (the setup reports every chunk of work). */
function setupProgress(
  step: (m: string) => void,
): (p: { stage: string; done: number; total: number }) => void {
  let stage = ''
  let shown = -1
  return (p) => {
    const pct = p.total > 0 ? Math.floor((p.done / p.total) * 5) * 20 : 0
    if (p.stage !== stage || pct > shown) {
      stage = p.stage
      shown = pct
      step(`zk setup: ${p.stage} ${pct}%`)
    }
  }
}

export async function startZkDevnet(
  options: ZkDevnetOptions,
  modules: { logger?: Logger; onStep?: (message: string) => void } = {},
): Promise<ZkDevnet> {
  const log = modules.logger ?? silentLogger
  const step = modules.onStep ?? ((m: string) => log.info(m))
  const cacheDir = options.cacheDir ?? defaultZkCacheDir()
  await loadZkCrypto()
  const circuit = await compileBlockCircuit(
    { chunks: options.chunks, depth: options.depth },
    { cacheDir, onProgress: (line) => step(`zk: ${line}`) },
  )
  step(
    `zk: circuit ${options.chunks} chunks × depth ${options.depth}: ${circuit.constraints} constraints${circuit.cached ? ' (cached)' : ''}`,
  )
  const setup = await ensureGroth16Setup({
    r1csPath: circuit.r1csPath,
    cacheDir,
    ...(options.ptauPath ? { ptauPath: options.ptauPath } : {}),
    logger: log,
    onProgress: setupProgress(step),
  })
  step(
    `zk: Groth16 setup ${setup.cached ? 'reused' : `made in ${setup.builtSeconds.toFixed(1)} s`}${setup.insecure ? ' — INSECURE development setup (known toxic waste: anyone can forge proofs; devnets only)' : ''}`,
  )
  mkdirSync(options.dataDir, { recursive: true })
  const l1 = await createL1Clients({ rpcUrl: options.l1RpcUrl, privateKey: options.deployerKey })
  const savedPath = join(options.dataDir, 'zk-deployment.json')
  let deployment: ZkRollupDeployment | undefined
  if (existsSync(savedPath)) {
    const saved = JSON.parse(readFileSync(savedPath, 'utf8')) as SavedDeployment
    const code = await l1.publicClient.getCode({ address: saved.rollup })
    if (
      code !== undefined &&
      code !== '0x' &&
      saved.setupKey === setup.key &&
      saved.chunks === options.chunks
    ) {
      deployment = { ...saved, deployBlock: BigInt(saved.deployBlock) }
      step(`zk: reusing the rollup at ${saved.rollup}`)
    }
  }
  if (deployment === undefined) {
    step('zk: deploying the verifier and the rollup to L1…')
    deployment = await deployZkRollup({
      walletClient: l1.walletClient,
      publicClient: l1.publicClient,
      verificationKey: setup.verificationKey as never,
      depth: options.depth,
      chunks: options.chunks,
      priorityDeadlineSeconds: options.priorityDeadlineSeconds,
      operator: privateKeyToAccount(options.operatorKey).address as Address,
      governor: l1.account.address,
    })
    const saved: SavedDeployment = {
      ...deployment,
      deployBlock: deployment.deployBlock.toString(),
      setupKey: setup.key,
    }
    writeFileSync(savedPath, JSON.stringify(saved, null, 2))
    step(`zk: rollup deployed at ${deployment.rollup}`)
  }
  const nodeOptions: ZkNodeOptions = {
    dataDir: join(options.dataDir, 'zk-node'),
    l1RpcUrl: options.l1RpcUrl,
    rollup: deployment.rollup,
    deployBlock: deployment.deployBlock,
    operatorKey: options.operatorKey,
    chunks: options.chunks,
    depth: options.depth,
    circuit: { wasmPath: circuit.wasmPath, zkeyPath: setup.zkeyPath, verificationKey: setup.verificationKey },
    sequencer: { blockTimeMs: options.blockTimeMs, censorRequests: options.censorRequests === true },
    prover: { workers: options.provers },
    committer: { maxVerifyBlocks: options.maxVerifyBlocks ?? 8, mode: options.commitMode ?? 'separate' },
    rpc: {
      ...(options.rpcHost ? { host: options.rpcHost } : {}),
      ...(options.rpcPort !== undefined ? { port: options.rpcPort } : {}),
      fallbackToFreePort: options.rpcPortFallback === true,
    },
  }
  const node = new ZkNode(nodeOptions, { logger: log })
  const rpcUrl = await node.start()
  step(`zk: node up at ${rpcUrl}`)
  return { node, rpcUrl, deployment, circuit, setup, stop: () => node.stop() }
}
