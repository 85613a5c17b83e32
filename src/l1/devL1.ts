/**
 * The development L1 every family's devnet starts on: an embedded anvil (kept in the data dir when there is one:
 * loaded at start, dumped every second and at stop, an orphan of a killed run stopped first) or an external
 * JSON-RPC URL; and the check that a data dir resumes only on the L1 it was built on.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { L2kitError } from '../core/errors.ts'
import type { Address, Hex } from '../core/types.ts'
import { type AnvilInstance, startAnvil } from './anvil.ts'
import type { L1PublicClient } from './clients.ts'

/** Seconds between the embedded anvil's state dumps with a data dir (what a SIGKILL can lose of the L1). */
export const ANVIL_STATE_INTERVAL_SECONDS = 1

export type DevL1Options = {
  /** External L1; when absent an anvil is started. */
  l1RpcUrl?: string | undefined
  /** Folder for anvil's log (and, with `keepState`, its state and pid files). */
  dataDir: string
  /** Keep the embedded L1 in `dataDir` across runs (a data dir the user chose). */
  keepState: boolean
  /** Seconds between embedded-anvil blocks; undefined = a block per transaction. */
  blockTime?: number | undefined
  /** Extra command line arguments for the embedded anvil. */
  anvilArgs?: string[] | undefined
  onStep?: (message: string) => void
}

export type DevL1 = {
  rpcUrl: string
  /** The embedded anvil (undefined on an external L1). */
  anvil: AnvilInstance | undefined
  /** Stops the embedded anvil (state dumped) and forgets its pid file; nothing for an external L1. */
  stop(): Promise<void>
}

export async function startDevL1(o: DevL1Options): Promise<DevL1> {
  if (o.l1RpcUrl) return { rpcUrl: o.l1RpcUrl, anvil: undefined, stop: async () => {} }
  o.onStep?.('starting embedded L1 (anvil, prague)')
  const pidPath = join(o.dataDir, 'anvil.pid')
  const statePath = join(o.dataDir, 'anvil-state.json')
  if (o.keepState) await stopOrphanedAnvil(pidPath, statePath)
  const anvil = await startAnvil({
    logPath: join(o.dataDir, 'anvil.log'),
    // With a kept data dir the L1 is kept too: loaded on start, dumped on stop and every second meanwhile, so a
    // SIGKILL loses at most the last second of L1 (which `checkSameL1` and the family's checks detect).
    ...(o.keepState ? { statePath, stateIntervalSeconds: ANVIL_STATE_INTERVAL_SECONDS } : {}),
    ...(o.blockTime !== undefined ? { blockTime: o.blockTime } : {}),
    ...(o.anvilArgs ? { extraArgs: o.anvilArgs } : {}),
  })
  if (o.keepState) writeFileSync(pidPath, String(anvil.pid))
  return {
    rpcUrl: anvil.rpcUrl,
    anvil,
    stop: async () => {
      await anvil.stop()
      if (o.keepState) rmSync(pidPath, { force: true })
    },
  }
}

/**
 * The embedded anvil of a previous run on this data dir that outlived its node (a SIGKILL of the node reaches
 * only the node): stops it with SIGTERM, so it dumps its complete state, before a new one loads that state.
 * Only a live process whose command line names this data dir's state file is touched.
 */
export async function stopOrphanedAnvil(pidPath: string, statePath: string): Promise<void> {
  if (!existsSync(pidPath)) return
  const pid = Number(readFileSync(pidPath, 'utf8').trim())
  rmSync(pidPath, { force: true })
  if (!Number.isInteger(pid) || pid <= 0) return
  let cmdline: string
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return // gone (or no /proc to make sure it is ours: leave it)
  }
  if (!cmdline.includes('anvil') || !cmdline.includes(statePath)) return
  const alive = () => {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + 10_000
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  if (alive()) process.kill(pid, 'SIGKILL')
}

/** The L1's genesis hash and the hash of the deployment block: what identifies "the L1 this was built on". */
export async function l1Identity(
  publicClient: L1PublicClient,
  deployBlock: bigint,
): Promise<{ l1GenesisHash: Hex; deployBlockHash: Hex }> {
  const [genesis, deployed] = await Promise.all([
    publicClient.getBlock({ blockNumber: 0n }),
    publicClient.getBlock({ blockNumber: deployBlock }),
  ])
  return { l1GenesisHash: genesis.hash, deployBlockHash: deployed.hash }
}

/** What a data dir records of the L1 it was built on. */
export type L1Anchor = {
  l1ChainId: number
  operator: Address
  deployBlock: bigint
  /** A contract deployed then: it must still have code. */
  contract: Address
  /** Absent in data dirs written before they were recorded (then filled in by `checkSameL1`). */
  l1GenesisHash?: Hex | undefined
  deployBlockHash?: Hex | undefined
}

/**
 * Refuses (`L1_MISMATCH`) to resume a data dir on an L1 that is not the one it was built on: another chain id,
 * another operator, another genesis block, or a deployment block that is gone or different (an embedded anvil
 * killed before it saved its state starts from a new genesis, and a redeploy would reuse the same addresses).
 * Returns the identity (genesis and deployment block hashes), filled in for data dirs that did not record it.
 */
export async function checkSameL1(
  publicClient: L1PublicClient,
  recorded: L1Anchor,
  current: { l1ChainId: number; operator: Address },
  where: string,
): Promise<{ l1GenesisHash: Hex; deployBlockHash: Hex }> {
  const refuse = (why: string, details: Record<string, unknown> = {}) =>
    new L2kitError(
      'L1_MISMATCH',
      `the data dir of ${where} was built on another L1: ${why}. Its L2 chain cannot continue on this ` +
        'L1 (the L1 state was lost or replaced, e.g. an embedded anvil killed before it saved its state). ' +
        'Start with a new --data-dir, or restore the L1 it was built on.',
      { kind: 'critical', details: { where, ...details } },
    )
  if (recorded.l1ChainId !== current.l1ChainId)
    throw refuse(`L1 chain id ${current.l1ChainId}, expected ${recorded.l1ChainId}`)
  if (recorded.operator.toLowerCase() !== current.operator.toLowerCase())
    throw refuse(`operator ${current.operator}, expected ${recorded.operator}`)
  const deployBlock = recorded.deployBlock
  const [genesis, deployed, head] = await Promise.all([
    publicClient.getBlock({ blockNumber: 0n }),
    publicClient.getBlock({ blockNumber: deployBlock }).catch(() => undefined),
    publicClient.getBlockNumber(),
  ])
  if (recorded.l1GenesisHash !== undefined && genesis.hash !== recorded.l1GenesisHash)
    throw refuse(`its genesis block is ${genesis.hash}, expected ${recorded.l1GenesisHash}`, {
      genesisHash: genesis.hash,
      expected: recorded.l1GenesisHash,
    })
  if (deployed === undefined)
    throw refuse(`it has no block ${deployBlock} (the deployment block; its head is ${head})`, {
      head: head.toString(),
    })
  if (recorded.deployBlockHash !== undefined && deployed.hash !== recorded.deployBlockHash)
    throw refuse(`its block ${deployBlock} is ${deployed.hash}, expected ${recorded.deployBlockHash}`)
  const code = await publicClient.getCode({ address: recorded.contract })
  if (!code || code === '0x') throw refuse(`no contract at ${recorded.contract}`)
  return { l1GenesisHash: genesis.hash, deployBlockHash: deployed.hash }
}
