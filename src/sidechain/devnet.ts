/**
 * A sidechain on an L1: StakeManager and SidechainBridge deployed, N validators (keys derived from a funder key)
 * funded and staked, and the validators started — in this process (tests, bench, demo) or each as its own process
 * (`l2kit up`: `l2kit sidechain validator --config <file>`). The deployment and every validator's ports are kept in
 * `<dataDir>/deployment.json`; with it, a restart on the same L1 resumes the same chain.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Address, type Hex, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { L2kitError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import { findFreePort } from '../l1/anvil.ts'
import { createL1Clients } from '../l1/clients.ts'
import { nodeIdFromPrivateKey } from '../node/p2p/index.ts'
import { deploySidechainL1, derivedValidatorKey, stakeValidators } from './deploy.ts'
import { readValidatorSet } from './l1.ts'
import type { ConsensusOptions } from './protocol/consensus.ts'
import { SidechainErrorCode } from './protocol/errors.ts'
import { createSidechainValidatorService, type SidechainValidatorService } from './services.ts'

export type SidechainDevnetOptions = {
  l1RpcUrl: string
  dataDir: string
  /** Deploys the contracts and funds and stakes the validators. */
  funderKey: Hex
  /** Validator count (default 4). */
  validators?: number
  /** The sidechain's chain id (default 42_069). */
  chainId?: bigint
  blockTimeMs?: number
  gasLimit?: bigint
  baseFee?: bigint
  /** Blocks per L1 checkpoint (default 16). */
  checkpointInterval?: number
  /** L1 blocks on a deposit before it is minted (default 1). */
  confirmations?: number
  /** Wei each validator stakes (default 32 ETH). */
  stake?: bigint
  unbondingDelaySeconds?: bigint
  /** Sidechain balances at genesis (the devnet's dev accounts). */
  alloc?: Record<Address, bigint>
  /** Where validators run: `process` spawns `bin/l2kit.js sidechain validator` per validator. */
  mode?: 'inProcess' | 'process'
  host?: string
  /** JSON-RPC port of validator i = rpcBasePort + i (0: free ports). */
  rpcBasePort?: number
  /** Use a free port when a wanted RPC port is taken (processes fall back themselves). */
  fallbackToFreePort?: boolean
  consensus?: Partial<ConsensusOptions>
  /** Validator `index` misbehaves (the equivocate demo). */
  misbehave?: { index: number; kind: 'equivocate' }
  devToken?: Address
  /** The CLI entry for process mode (default: this package's bin/l2kit.js). */
  cliPath?: string
  /** Process mode: the validators' log level (their logs go to `<dataDir>/validator-<i>.log`). */
  logLevel?: string
}

type SavedValidator = { index: number; address: Address; p2pPort: number; rpcPort: number }
export type SavedSidechain = {
  l1ChainId: number
  stakeManager: Address
  bridge: Address
  deployBlock: string
  chainId: string
  genesis: { alloc: Record<string, string>; timestamp: number }
  genesisValidators: { address: Address; power: string }[]
  /** The L1 StakeManager epoch of `genesisValidators`. */
  genesisEpoch: string
  validators: SavedValidator[]
  blockTimeMs: number
  gasLimit: string
  baseFee: string
  checkpointInterval: number
  confirmations: number
}

/** What one validator process needs (`l2kit sidechain validator --config`). */
export type ValidatorConfig = {
  index: number
  privateKey: Hex
  dataDir: string
  l1RpcUrl: string
  host: string
  rpcPort: number
  fallbackToFreePort: boolean
  deployment: SavedSidechain
  peers: string[]
  consensus?: Partial<ConsensusOptions>
  misbehave?: 'equivocate'
  devToken?: Address
}

export type SidechainDevnet = {
  chainId: bigint
  stakeManager: Address
  bridge: Address
  deployBlock: bigint
  validators: { index: number; address: Address; rpcUrl: string; p2p: string }[]
  /** In-process mode: the services (undefined in process mode). */
  services: SidechainValidatorService[] | undefined
  processes: ChildProcess[] | undefined
  checkpointInterval: number
  resumed: boolean
  deployment: SavedSidechain
  /** Stops (in process mode: SIGTERM) validator i; `start(i)` brings it back on the same store and ports. */
  stopValidator(index: number, signal?: NodeJS.Signals): Promise<void>
  startValidator(index: number): Promise<void>
  stop(): Promise<void>
}

/** bin/l2kit.js: the running CLI's, else found upward from this module (the CLI may run from a bundle). */
function l2kitCli(): string {
  const arg = process.argv[1]
  if (arg !== undefined && /l2kit(\.js)?$/.test(arg)) return arg
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'bin', 'l2kit.js')
    if (existsSync(candidate)) return candidate
    dir = dirname(dir)
  }
  throw new L2kitError(SidechainErrorCode.nodeState, 'cannot find bin/l2kit.js to start validator processes')
}

/** Kills the process a pid file names if it still runs (SIGTERM, then SIGKILL after 5 s), and forgets the file. */
async function stopOrphan(pidPath: string): Promise<void> {
  if (!existsSync(pidPath)) return
  const pid = Number(readFileSync(pidPath, 'utf8'))
  const alive = () => {
    try {
      process.kill(pid, 0)
    } catch {
      return false
    }
    // The pid may have been reused since: only a sidechain validator is ours to stop.
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('validator')
    } catch {
      return true
    }
  }
  if (Number.isSafeInteger(pid) && pid > 0 && alive()) {
    process.kill(pid, 'SIGTERM')
    for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100))
    if (alive()) process.kill(pid, 'SIGKILL')
  }
  rmSync(pidPath, { force: true })
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen(port, host, () => s.close(() => resolve(true)))
  })
}

export function validatorConfigOf(
  o: { funderKey: Hex; dataDir: string; l1RpcUrl: string; host: string; fallbackToFreePort: boolean },
  saved: SavedSidechain,
  index: number,
): ValidatorConfig {
  const peers = saved.validators.map((v) => {
    const key = derivedValidatorKey(o.funderKey, v.index)
    return `${nodeIdFromPrivateKey(key.slice(2))}@${o.host}:${v.p2pPort}`
  })
  const v = saved.validators[index] as SavedValidator
  return {
    index,
    privateKey: derivedValidatorKey(o.funderKey, index),
    dataDir: join(o.dataDir, `validator-${index}`),
    l1RpcUrl: o.l1RpcUrl,
    host: o.host,
    rpcPort: v.rpcPort,
    fallbackToFreePort: o.fallbackToFreePort,
    deployment: saved,
    peers,
  }
}

/** Starts one validator in this process from its config. */
export async function startValidatorFromConfig(
  c: ValidatorConfig,
  logger?: Logger,
): Promise<SidechainValidatorService> {
  const d = c.deployment
  const service = await createSidechainValidatorService(
    {
      dataDir: c.dataDir,
      privateKey: c.privateKey,
      l1RpcUrl: c.l1RpcUrl,
      stakeManager: d.stakeManager,
      bridge: d.bridge,
      deployBlock: BigInt(d.deployBlock),
      chainId: BigInt(d.chainId),
      genesis: {
        timestamp: d.genesis.timestamp,
        alloc: Object.fromEntries(Object.entries(d.genesis.alloc).map(([a, v]) => [a, BigInt(v)])) as Record<
          Address,
          bigint
        >,
      },
      genesisValidators: d.genesisValidators.map((v) => ({ address: v.address, power: BigInt(v.power) })),
      genesisEpoch: BigInt(d.genesisEpoch),
      gasLimit: BigInt(d.gasLimit),
      baseFee: BigInt(d.baseFee),
      blockTimeMs: d.blockTimeMs,
      checkpointInterval: d.checkpointInterval,
      confirmations: d.confirmations,
      p2p: { host: c.host, port: (d.validators[c.index] as SavedValidator).p2pPort, peers: c.peers },
      rpc: { host: c.host, port: c.rpcPort, fallbackToFreePort: c.fallbackToFreePort },
      ...(c.consensus ? { consensus: c.consensus } : {}),
      ...(c.misbehave ? { misbehave: c.misbehave } : {}),
      ...(c.devToken ? { devToken: c.devToken } : {}),
    },
    logger ? { logger } : {},
  )
  await service.start()
  return service
}

export async function startSidechainDevnet(
  o: SidechainDevnetOptions,
  modules: { logger?: Logger; onStep?: (message: string) => void } = {},
): Promise<SidechainDevnet> {
  const step = modules.onStep ?? (() => undefined)
  const n = o.validators ?? 4
  const host = o.host ?? '127.0.0.1'
  const mode = o.mode ?? 'inProcess'
  const fallback = o.fallbackToFreePort ?? true
  mkdirSync(o.dataDir, { recursive: true })
  const deployer = await createL1Clients({ rpcUrl: o.l1RpcUrl, privateKey: o.funderKey })
  const l1ChainId = await deployer.publicClient.getChainId()
  const savedPath = join(o.dataDir, 'deployment.json')
  let saved: SavedSidechain | undefined
  if (existsSync(savedPath)) {
    const s = JSON.parse(readFileSync(savedPath, 'utf8')) as SavedSidechain
    const code = await deployer.publicClient.getCode({ address: s.bridge })
    if (
      s.l1ChainId === l1ChainId &&
      code !== undefined &&
      code !== '0x' &&
      s.validators.length === n &&
      s.genesisEpoch !== undefined
    )
      saved = s
    else step('sidechain: the saved deployment is not on this L1; deploying afresh')
  }
  const resumed = saved !== undefined
  if (saved === undefined) {
    // A chain of an earlier deployment (or block format) must not be mistaken for the new one's.
    for (let i = 0; i < 256; i++) rmSync(join(o.dataDir, `validator-${i}`), { recursive: true, force: true })
    step(`sidechain: deploying StakeManager and SidechainBridge, staking ${n} validators`)
    const deployment = await deploySidechainL1(deployer, {
      minStake: parseEther('1'),
      unbondingDelaySeconds: o.unbondingDelaySeconds ?? 3_600n,
      maxValidators: 100n,
    })
    const keys = Array.from({ length: n }, (_, i) => derivedValidatorKey(o.funderKey, i))
    await stakeValidators(deployer, {
      l1RpcUrl: o.l1RpcUrl,
      stakeManager: deployment.stakeManager,
      keys,
      stake: o.stake ?? parseEther('32'),
    })
    const set = await readValidatorSet(deployer.publicClient, deployment.stakeManager)
    const validators: SavedValidator[] = []
    for (let i = 0; i < n; i++) {
      validators.push({
        index: i,
        address: privateKeyToAccount(keys[i] as Hex).address.toLowerCase() as Address,
        p2pPort: await findFreePort(host),
        // Fixed from here on, so a restarted validator answers where its users and peers expect it.
        rpcPort:
          o.rpcBasePort !== undefined && o.rpcBasePort !== 0 ? o.rpcBasePort + i : await findFreePort(host),
      })
    }
    saved = {
      l1ChainId,
      stakeManager: deployment.stakeManager,
      bridge: deployment.bridge,
      deployBlock: deployment.deployBlock.toString(),
      chainId: (o.chainId ?? 42_069n).toString(),
      genesis: {
        timestamp: Math.floor(Date.now() / 1000),
        alloc: Object.fromEntries(
          Object.entries(o.alloc ?? {}).map(([a, v]) => [a.toLowerCase(), v.toString()]),
        ),
      },
      genesisValidators: set.validators.map((v) => ({ address: v.address, power: v.power.toString() })),
      genesisEpoch: set.epoch.toString(),
      validators,
      blockTimeMs: o.blockTimeMs ?? 1_000,
      gasLimit: (o.gasLimit ?? 30_000_000n).toString(),
      baseFee: (o.baseFee ?? 1_000_000_000n).toString(),
      checkpointInterval: o.checkpointInterval ?? 16,
      confirmations: o.confirmations ?? 1,
    }
    writeFileSync(savedPath, JSON.stringify(saved, null, 2))
  } else {
    step('sidechain: resuming the saved deployment')
    // A p2p port taken by something else since: pick another (every validator learns it from this file).
    let changed = false
    for (const v of saved.validators) {
      if (!(await portFree(v.p2pPort, host))) {
        v.p2pPort = await findFreePort(host)
        changed = true
      }
    }
    if (changed) writeFileSync(savedPath, JSON.stringify(saved, null, 2))
  }
  const deployment = saved
  const config = (i: number): ValidatorConfig => ({
    ...validatorConfigOf(
      {
        funderKey: o.funderKey,
        dataDir: o.dataDir,
        l1RpcUrl: o.l1RpcUrl,
        host,
        fallbackToFreePort: fallback,
      },
      deployment,
      i,
    ),
    ...(o.consensus ? { consensus: o.consensus } : {}),
    ...(o.misbehave?.index === i ? { misbehave: o.misbehave.kind } : {}),
    ...(o.devToken ? { devToken: o.devToken } : {}),
  })

  const services: (SidechainValidatorService | undefined)[] = Array.from({ length: n }, () => undefined)
  const processes: (ChildProcess | undefined)[] = Array.from({ length: n }, () => undefined)
  const rpcUrls: string[] = Array.from({ length: n }, () => '')

  const startOne = async (i: number): Promise<void> => {
    if (mode === 'inProcess') {
      const s = await startValidatorFromConfig(config(i), modules.logger?.child({ validator: i }))
      services[i] = s
      rpcUrls[i] = s.rpcUrl()
      return
    }
    const c = config(i)
    const configPath = join(o.dataDir, `validator-${i}.json`)
    writeFileSync(configPath, JSON.stringify(c, null, 2))
    const cli = o.cliPath ?? l2kitCli()
    // A validator left running by an `up` that was SIGKILLed must not sign beside its successor.
    const pidPath = join(o.dataDir, `validator-${i}.pid`)
    await stopOrphan(pidPath)
    const logPath = join(o.dataDir, `validator-${i}.log`)
    const logFd = openSync(logPath, 'a')
    const child = spawn(
      process.execPath,
      [
        // e.g. L2KIT_VALIDATOR_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the validators
        ...(process.env.L2KIT_VALIDATOR_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
        cli,
        'sidechain',
        'validator',
        '--config',
        configPath,
        '--json',
        '--log-level',
        o.logLevel ?? 'info',
        // it exits when this process's end of its stdin closes: when we exit, however we exit
        '--watch-parent',
      ],
      { stdio: ['pipe', 'pipe', logFd] },
    )
    closeSync(logFd)
    if (child.pid !== undefined) writeFileSync(pidPath, String(child.pid))
    const logTail = () => {
      try {
        return readFileSync(logPath, 'utf8').slice(-2000)
      } catch {
        return ''
      }
    }
    processes[i] = child
    rpcUrls[i] = await new Promise<string>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(
        () => reject(new Error(`validator ${i} did not start within 60 s: ${logTail()}`)),
        60_000,
      )
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString()
        const line = out.split('\n').find((l) => l.includes('"rpcUrl"'))
        if (line !== undefined) {
          clearTimeout(timer)
          try {
            resolve((JSON.parse(line) as { rpcUrl: string }).rpcUrl)
          } catch (e) {
            reject(e)
          }
        }
      })
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(
          new Error(`validator ${i} exited with ${code} before it was ready (log ${logPath}): ${logTail()}`),
        )
      })
    })
  }

  const stopOne = async (i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const s = services[i]
    if (s !== undefined) {
      services[i] = undefined
      await s.stop()
    }
    const p = processes[i]
    if (p !== undefined && p.exitCode === null && p.signalCode === null) {
      processes[i] = undefined
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve())
        p.kill(signal)
        setTimeout(() => {
          p.kill('SIGKILL')
        }, 15_000).unref()
      })
    }
  }

  try {
    step(
      `sidechain: starting ${n} validators (${mode === 'process' ? 'one process each' : 'in this process'})`,
    )
    await Promise.all(Array.from({ length: n }, (_, i) => startOne(i)))
  } catch (e) {
    await Promise.all(Array.from({ length: n }, (_, i) => stopOne(i, 'SIGKILL').catch(() => undefined)))
    throw e instanceof L2kitError
      ? e
      : new L2kitError(SidechainErrorCode.nodeState, `the sidechain did not start: ${(e as Error).message}`, {
          cause: e,
        })
  }

  return {
    chainId: BigInt(deployment.chainId),
    stakeManager: deployment.stakeManager,
    bridge: deployment.bridge,
    deployBlock: BigInt(deployment.deployBlock),
    validators: deployment.validators.map((v, i) => ({
      index: i,
      address: v.address,
      rpcUrl: rpcUrls[i] as string,
      p2p: `${host}:${v.p2pPort}`,
    })),
    get services() {
      return mode === 'inProcess' ? (services as SidechainValidatorService[]) : undefined
    },
    get processes() {
      return mode === 'process' ? (processes as ChildProcess[]) : undefined
    },
    checkpointInterval: deployment.checkpointInterval,
    resumed,
    deployment,
    stopValidator: stopOne,
    startValidator: startOne,
    stop: async () => {
      await Promise.all(Array.from({ length: n }, (_, i) => stopOne(i)))
    },
  }
}
