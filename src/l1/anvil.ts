/**
 * Embedded L1: spawns the real `anvil` binary shipped by `@foundry-rs/anvil` on a free loopback port and waits
 * until it answers JSON-RPC. We spawn the platform binary itself (not the `.bin/anvil` Node wrapper) so the PID
 * we hold is anvil's and signals reach it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { type Address, bytesToHex, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { ErrorKind, L2kitError } from '../core/errors.ts'
import { L1ErrorCode } from './errors.ts'

/** Mnemonic of anvil's (and hardhat's) well-known development accounts. Never use on a real network. */
export const ANVIL_DEV_MNEMONIC = 'test test test test test test test test test test test junk'

/** The 10 accounts anvil funds by default (`m/44'/60'/0'/0/i` of ANVIL_DEV_MNEMONIC). Public knowledge: dev only. */
export const ANVIL_DEV_ACCOUNTS: readonly { readonly address: Address; readonly privateKey: Hex }[] = [
  {
    address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  },
  {
    address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  },
  {
    address: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
    privateKey: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  },
  {
    address: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
    privateKey: '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  },
  {
    address: '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65',
    privateKey: '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  },
  {
    address: '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc',
    privateKey: '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  },
  {
    address: '0x976EA74026E726554dB657fA54763abd0C3a0aa9',
    privateKey: '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  },
  {
    address: '0x14dC79964da2C08b23698B3D3cc7Ca32193d9955',
    privateKey: '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  },
  {
    address: '0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f',
    privateKey: '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  },
  {
    address: '0xa0Ee7A142d267C1f36714E4a8F75612F20a79720',
    privateKey: '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6',
  },
]

/** Options of `startAnvil`. */
export interface AnvilOptions {
  /** EVM hardfork (`prague`, `osaka`, …). Prague by default: blob txs with version-0 sidecars, which viem builds. */
  hardfork: string
  chainId: number
  /** Seconds between blocks; undefined = automine (one block per transaction, blob txs included). */
  blockTime?: number
  /** Number of funded dev accounts. */
  accounts: number
  /** Balance of each dev account, in ETH (anvil's unit). */
  balanceEth: number
  /** Mnemonic of the dev accounts; anvil's default ("test … junk") when undefined. */
  mnemonic?: string
  /** `--state <file>`: load the chain from this file at start and dump it on SIGTERM. */
  statePath?: string
  /**
   * `--state-interval <s>` (with `statePath`): also dump the state every this many seconds, so a SIGKILL (which
   * skips the dump on exit) loses only the last interval instead of the whole chain.
   */
  stateIntervalSeconds?: number
  /** Where anvil's stdout/stderr go. Default: a fresh folder under os.tmpdir(). */
  logPath?: string
  /** Interface to listen on. Loopback by default; the port is always chosen free. */
  host: string
  /** Give up (L1_START_FAILED) if `eth_chainId` does not answer within this time. */
  startTimeoutMs: number
  /** How many times to retry with a new port when the chosen one was taken meanwhile. */
  portRetries: number
  /** Time given to anvil to exit on SIGTERM before SIGKILL. */
  stopTimeoutMs: number
  /** Kill anvil when this process exits. */
  killOnExit: boolean
  /** Path of the anvil binary; resolved from `@foundry-rs/anvil-<platform>` when undefined. */
  binaryPath?: string
  /**
   * Anvil loads its KZG trusted setup on the first blob tx it sees, which makes that tx take ~3-6 s. When true,
   * a deliberately invalid blob tx (rejected with "invalid KZG proof", no state change) is sent in the background
   * right after start so the first real blob tx is fast. `AnvilInstance.kzgReady` resolves when done.
   */
  warmUpKzg: boolean
  /** Extra command line arguments, appended as they are. */
  extraArgs: readonly string[]
}

export const defaultAnvilOptions: AnvilOptions = {
  hardfork: 'prague',
  chainId: 31337,
  accounts: 10,
  balanceEth: 10_000,
  host: '127.0.0.1',
  startTimeoutMs: 10_000,
  portRetries: 5,
  stopTimeoutMs: 5_000,
  killOnExit: true,
  warmUpKzg: true,
  extraArgs: [],
}

/** A running anvil. */
export interface AnvilInstance {
  rpcUrl: string
  port: number
  chainId: number
  pid: number
  logPath: string
  /** Resolves once anvil's KZG setup is loaded (immediately when `warmUpKzg` is false). Never rejects. */
  kzgReady: Promise<void>
  /** SIGTERM, wait (state is dumped if `statePath` was set), SIGKILL after `stopTimeoutMs`. Idempotent. */
  stop(): Promise<void>
}

/** Resolves the platform binary of `@foundry-rs/anvil` (e.g. `@foundry-rs/anvil-linux-amd64/bin/anvil`). */
export function resolveAnvilBinary(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}/package.json`
  const require = createRequire(import.meta.url)
  let pkgJson: string
  try {
    pkgJson = require.resolve(pkg)
  } catch (cause) {
    throw new L2kitError(L1ErrorCode.startFailed, `anvil binary package ${pkg} is not installed`, {
      kind: ErrorKind.critical,
      cause,
    })
  }
  const bin = join(dirname(pkgJson), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil')
  if (!existsSync(bin)) {
    throw new L2kitError(L1ErrorCode.startFailed, `anvil binary not found at ${bin}`, {
      kind: ErrorKind.critical,
    })
  }
  return bin
}

/** Asks the OS for a free TCP port on `host` (bind to port 0, read it, close). */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read the free port'))))
    })
  })
}

// One 'exit' listener for every anvil we started, so a crashing or exiting parent leaves no orphan.
const running = new Set<ChildProcess>()
let exitHookInstalled = false
function killAllOnExit(): void {
  for (const child of running) {
    try {
      child.kill('SIGKILL')
    } catch {
      // already gone
    }
  }
}

function tail(path: string, fromByte = 0, lines = 20): string {
  try {
    return readFileSync(path)
      .subarray(fromByte)
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .slice(-lines)
      .join('\n')
  } catch {
    return '(no log)'
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Whether anvil wrote "Listening on …:port" to its log after byte `from` (it does once it has bound the port). */
function listensOn(logPath: string, from: number, port: number): boolean {
  try {
    const size = statSync(logPath).size
    if (size <= from) return false
    const fd = openSync(logPath, 'r')
    try {
      const buf = Buffer.alloc(size - from)
      readSync(fd, buf, 0, buf.length, from)
      return new RegExp(`Listening on \\S+:${port}\\b`).test(buf.toString('utf8'))
    } finally {
      closeSync(fd)
    }
  } catch {
    return false
  }
}

async function answersChainId(rpcUrl: string): Promise<number | undefined> {
  try {
    const response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1_000),
    })
    const body = (await response.json()) as { result?: string }
    return typeof body.result === 'string' ? Number(BigInt(body.result)) : undefined
  } catch {
    return undefined
  }
}

function buildArgs(o: AnvilOptions, port: number): string[] {
  const args = [
    '--host',
    o.host,
    '--port',
    String(port),
    '--hardfork',
    o.hardfork,
    '--chain-id',
    String(o.chainId),
    '--accounts',
    String(o.accounts),
    '--balance',
    String(o.balanceEth),
  ]
  if (o.blockTime !== undefined) args.push('--block-time', String(o.blockTime))
  if (o.mnemonic !== undefined) args.push('--mnemonic', o.mnemonic)
  if (o.statePath !== undefined) args.push('--state', o.statePath)
  if (o.statePath !== undefined && o.stateIntervalSeconds !== undefined)
    args.push('--state-interval', String(o.stateIntervalSeconds))
  args.push(...o.extraArgs)
  return args
}

/**
 * Starts anvil on a free loopback port and resolves once `eth_chainId` answers.
 * Throws `L1_START_FAILED` (with the tail of anvil's log in the message) if it exits or does not answer in time.
 */
export async function startAnvil(options: Partial<AnvilOptions> = {}): Promise<AnvilInstance> {
  const o: AnvilOptions = { ...defaultAnvilOptions, ...options }
  const binary = o.binaryPath ?? resolveAnvilBinary()
  // A log folder we made ourselves is removed again when anvil stops.
  const ownLogDir = o.logPath === undefined ? mkdtempSync(join(tmpdir(), 'l2kit-anvil-')) : undefined
  const logPath = o.logPath ?? join(ownLogDir as string, 'anvil.log')
  mkdirSync(dirname(logPath), { recursive: true })

  let lastError = ''
  for (let attempt = 0; attempt <= o.portRetries; attempt++) {
    const port = await findFreePort(o.host)
    const logStart = existsSync(logPath) ? statSync(logPath).size : 0
    const logFd = openSync(logPath, 'a')
    let child: ChildProcess
    try {
      child = spawn(binary, buildArgs(o, port), { stdio: ['ignore', logFd, logFd] })
    } finally {
      closeSync(logFd) // the child holds its own copy
    }
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined
    let spawnError: Error | undefined
    const exitPromise = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exited = { code, signal }
        running.delete(child)
        resolve()
      })
      child.once('error', (error) => {
        spawnError = error
        running.delete(child)
        resolve()
      })
    })
    if (child.pid === undefined) {
      await exitPromise
      throw new L2kitError(
        L1ErrorCode.startFailed,
        `could not spawn anvil (${binary}): ${spawnError?.message}`,
        {
          kind: ErrorKind.critical,
          details: { binary },
          cause: spawnError,
        },
      )
    }
    const pid = child.pid
    if (o.killOnExit) {
      running.add(child)
      if (!exitHookInstalled) {
        process.on('exit', killAllOnExit)
        exitHookInstalled = true
      }
    }
    // A forgotten anvil must not keep the parent alive; the exit hook above still kills it.
    child.unref()

    const host = o.host.includes(':') ? `[${o.host}]` : o.host
    const rpcUrl = `http://${host}:${port}`
    const deadline = Date.now() + o.startTimeoutMs
    let chainId: number | undefined
    // Ready when OUR anvil says it listens on the port and the port answers: two processes choosing a free port
    // at once can get the same one, and then the answer may come from the other's anvil while ours fails to bind.
    while (exited === undefined && spawnError === undefined && Date.now() < deadline) {
      if (listensOn(logPath, logStart, port)) {
        chainId = await answersChainId(rpcUrl)
        if (chainId !== undefined) break
      }
      await sleep(20)
    }

    const stop = async (): Promise<void> => {
      if (exited !== undefined || spawnError !== undefined) return
      child.kill('SIGTERM')
      const timedOut = await Promise.race([
        exitPromise.then(() => false),
        sleep(o.stopTimeoutMs).then(() => true),
      ])
      if (timedOut) {
        child.kill('SIGKILL')
        await exitPromise
      }
    }
    const stopAndClean = async (): Promise<void> => {
      await stop()
      if (ownLogDir !== undefined) rmSync(ownLogDir, { recursive: true, force: true })
    }

    if (chainId !== undefined && exited === undefined) {
      const kzgReady = o.warmUpKzg ? warmUpAnvilKzg(rpcUrl, chainId) : Promise.resolve()
      return { rpcUrl, port, chainId, pid, logPath, kzgReady, stop: stopAndClean }
    }
    await stop()
    const logTail = tail(logPath, logStart)
    lastError = logTail
    if (/address already in use|os error 98/i.test(logTail) && attempt < o.portRetries) continue
    const why =
      exited !== undefined
        ? `anvil exited (code ${exited.code}, signal ${exited.signal})`
        : `anvil did not answer eth_chainId within ${o.startTimeoutMs} ms`
    throw new L2kitError(L1ErrorCode.startFailed, `${why}; log ${logPath}:\n${logTail}`, {
      kind: ErrorKind.critical,
      details: { logPath, port, binary },
    })
  }
  throw new L2kitError(
    L1ErrorCode.startFailed,
    `no free port after ${o.portRetries + 1} attempts:\n${lastError}`,
    {
      kind: ErrorKind.temporary,
      details: { logPath },
    },
  )
}

async function rpcCall(
  rpcUrl: string,
  method: string,
  params: unknown[],
  timeoutMs: number,
): Promise<unknown> {
  const response = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  })
  return ((await response.json()) as { result?: unknown }).result
}

/**
 * Makes anvil load its KZG setup: sends a blob tx whose blob is non-zero but whose commitment and proof are the
 * point at infinity, so the proof check fails ("invalid KZG proof") after the setup is loaded. Best effort.
 */
async function warmUpAnvilKzg(rpcUrl: string, chainId: number): Promise<void> {
  try {
    const account = privateKeyToAccount((ANVIL_DEV_ACCOUNTS[0] as { privateKey: Hex }).privateKey)
    const nonce = Number(
      BigInt(
        (await rpcCall(rpcUrl, 'eth_getTransactionCount', [account.address, 'pending'], 5_000)) as string,
      ),
    )
    const blob = new Uint8Array(131_072)
    blob[31] = 1
    const infinity = new Uint8Array(48)
    infinity[0] = 0xc0
    // versioned hash of the infinity commitment: 0x01 ‖ sha256(0xc0 ‖ 0…)[1:]
    const hash = createHash('sha256').update(infinity).digest()
    hash[0] = 1
    const raw = await account.signTransaction({
      type: 'eip4844',
      chainId,
      nonce,
      gas: 21_000n,
      maxFeePerGas: 1n,
      maxPriorityFeePerGas: 0n,
      maxFeePerBlobGas: 1n,
      to: '0x0000000000000000000000000000000000000000',
      blobVersionedHashes: [bytesToHex(hash)],
      sidecars: [{ blob: bytesToHex(blob), commitment: bytesToHex(infinity), proof: bytesToHex(infinity) }],
    })
    await rpcCall(rpcUrl, 'eth_sendRawTransaction', [raw], 60_000)
  } catch {
    // best effort: the first real blob tx will just be slower
  }
}
