/**
 * A whole optimistic-rollup devnet in one call: an embedded anvil (or an external L1), the contracts (deployed
 * once per data dir, reused after), the rollup node, and development accounts funded on L2 through the bridge.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Address, type Hex, parseEther } from 'viem'
import { nextDepositQueueHash } from '../core/depositQueue.ts'
import { L2kitError } from '../core/errors.ts'
import { fromTaggedJson, toTaggedJson } from '../core/json.ts'
import { portalAbi } from '../generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance } from '../l1/anvil.ts'
import { createL1Clients, type L1ClientsWithWallet, type L1PublicClient } from '../l1/clients.ts'
import { checkSameL1, l1Identity, startDevL1 } from '../l1/devL1.ts'
import type { Logger } from '../node/logger.ts'
import { depositErc20 } from '../sdk/optimistic/depositErc20.ts'
import { type DepositResult, depositEth } from '../sdk/optimistic/depositEth.ts'
import {
  type BatcherOptions,
  type ChainConfig,
  type ChallengerOptions,
  DEFAULT_CHALLENGE_WINDOW_SECONDS,
  DEFAULT_DEV_ACCOUNTS,
  DEFAULT_L2_BASE_FEE,
  DEFAULT_L2_CHAIN_ID,
  DEFAULT_L2_RPC_PORT,
  defaultBatcherOptions,
  defaultChallengerOptions,
  defaultProposerOptions,
  defaultSequencerOptions,
  type ProposerOptions,
  type RollupContracts,
  type SequencerOptions,
} from './config.ts'
import { deployRollup } from './deploy.ts'
import { OptimisticNode } from './node.ts'

export type DevnetOptions = {
  /** External L1; when absent an anvil is started. */
  l1RpcUrl?: string
  /** Operator key (deploys, posts batches, proposes). Default: anvil dev account 0 (embedded L1 only). */
  operatorKey?: Hex
  /** Keeps the node's state and the deployment; default: a fresh temporary folder. */
  dataDir?: string
  l2ChainId: bigint
  l2BaseFee: bigint
  rpcHost: string
  rpcPort: number
  /** When `rpcPort` is busy, take a free port (printed in the ready line) instead of failing. */
  rpcPortFallback: boolean
  challengeWindowSeconds: bigint
  proposalBond: bigint
  challengeBond: bigint
  /** Force inclusion: seconds a transaction queued on L1 waits before anyone may force it in. */
  inclusionWindowSeconds: bigint
  /** Dev accounts funded on L2 at start (anvil accounts 1..n). 0 on an external L1. */
  devAccounts: number
  devDepositEth: bigint
  devDepositTokens: bigint
  /** Seconds between L1 blocks on the embedded anvil; undefined = a block per transaction. */
  l1BlockTime?: number
  /** Extra command line arguments for the embedded anvil (e.g. ['--base-fee', '1']). */
  anvilArgs?: string[]
  sequencer: Partial<SequencerOptions>
  batcher: Partial<BatcherOptions>
  proposer: Partial<ProposerOptions>
  /** The challenger; its key defaults to anvil dev account 9 on the embedded L1 (none on an external L1). */
  challenger: Partial<ChallengerOptions>
  verifier: boolean
}

export const defaultDevnetOptions: DevnetOptions = {
  l2ChainId: DEFAULT_L2_CHAIN_ID,
  l2BaseFee: DEFAULT_L2_BASE_FEE,
  rpcHost: '127.0.0.1',
  rpcPort: DEFAULT_L2_RPC_PORT,
  rpcPortFallback: true,
  challengeWindowSeconds: DEFAULT_CHALLENGE_WINDOW_SECONDS,
  proposalBond: parseEther('0.1'),
  challengeBond: parseEther('0.05'),
  inclusionWindowSeconds: 10n,
  devAccounts: DEFAULT_DEV_ACCOUNTS,
  devDepositEth: parseEther('100'),
  devDepositTokens: parseEther('1000'),
  sequencer: {},
  batcher: {},
  proposer: {},
  challenger: {},
  verifier: true,
}

export type DevAccount = { address: Address; privateKey: Hex }

/** The embedded L1's challenger account: the last anvil dev account, never funded on L2 or used by the demo. */
export const CHALLENGER_DEV_ACCOUNT = ANVIL_DEV_ACCOUNTS[9] as DevAccount

type Deployment = {
  l1ChainId: number
  chain: ChainConfig
  contracts: RollupContracts
  operator: Address
  challengeWindowSeconds: bigint
  /**
   * Which L1 this data dir was built on: its genesis block hash and the hash of the block the contracts were
   * deployed in. A restart checks both, so a data dir never runs against another (or a re-created) L1.
   * Absent in data dirs written before they were recorded; filled in on their next start.
   */
  l1GenesisHash?: Hex
  deployBlockHash?: Hex
}

export type Devnet = {
  l1Rpc: string
  l2Rpc: string
  l1ChainId: number
  chain: ChainConfig
  contracts: RollupContracts
  accounts: DevAccount[]
  operator: Address
  dataDir: string
  node: OptimisticNode
  anvil: AnvilInstance | undefined
  l1: L1ClientsWithWallet
  /** Whether the contracts were deployed by this start (false: reused from the data dir). */
  deployedNow: boolean
  stop(): Promise<void>
}

/** Starts the devnet; `onStep` reports progress for people watching a terminal. */
export async function startDevnet(
  partial: Partial<DevnetOptions>,
  modules: { logger: Logger; onStep?: (message: string) => void },
): Promise<Devnet> {
  const o: DevnetOptions = { ...defaultDevnetOptions, ...partial }
  const step = modules.onStep ?? (() => undefined)
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'l2kit-devnet-'))
  mkdirSync(dataDir, { recursive: true })
  const deploymentPath = join(dataDir, 'deployment.json')
  const previous = existsSync(deploymentPath)
    ? fromTaggedJson<Deployment>(readFileSync(deploymentPath, 'utf8'))
    : undefined

  const devL1 = await startDevL1({
    l1RpcUrl: o.l1RpcUrl,
    dataDir,
    keepState: o.dataDir !== undefined,
    blockTime: o.l1BlockTime,
    anvilArgs: o.anvilArgs,
    onStep: step,
  })
  const anvil = devL1.anvil
  const l1RpcUrl = devL1.rpcUrl
  const cleanup = async () => {
    await devL1.stop()
    // A temporary data dir is ours alone: remove it once nothing writes to it any more.
    if (o.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    const operatorKey = o.operatorKey ?? (anvil ? (ANVIL_DEV_ACCOUNTS[0]?.privateKey as Hex) : undefined)
    if (!operatorKey) {
      throw new L2kitError(
        'INVALID_OPTIONS',
        'an external L1 needs --private-key: the account that deploys, posts batches and proposes roots',
      )
    }
    const l1 = await createL1Clients({ rpcUrl: l1RpcUrl, privateKey: operatorKey })
    const l1ChainId = l1.publicClient.chain.id
    let deployment: Deployment
    let deployedNow = false
    if (previous) {
      // Never deploy anew over a data dir that has a node store: its L2 chain was built on that other L1.
      const identity = await checkSameL1(
        l1.publicClient,
        {
          l1ChainId: previous.l1ChainId,
          operator: previous.operator,
          deployBlock: previous.contracts.deployBlock,
          contract: previous.contracts.portal,
          l1GenesisHash: previous.l1GenesisHash,
          deployBlockHash: previous.deployBlockHash,
        },
        { l1ChainId, operator: l1.account.address },
        deploymentPath,
      )
      deployment = { ...previous, ...identity }
      if (previous.l1GenesisHash === undefined || previous.deployBlockHash === undefined)
        writeFileSync(deploymentPath, toTaggedJson(deployment))
      step(`reusing contracts from ${deploymentPath} (portal ${previous.contracts.portal})`)
    } else {
      step('deploying rollup contracts')
      const chain: ChainConfig = {
        chainId: o.l2ChainId,
        baseFee: o.l2BaseFee,
        genesisTimestamp: Math.floor(Date.now() / 1000),
      }
      const holders = anvil ? ANVIL_DEV_ACCOUNTS.slice(0, 10).map((a) => a.address) : []
      const contracts = await deployRollup(l1.walletClient, l1.publicClient, {
        chain,
        batcher: l1.account.address,
        challengeWindowSeconds: o.challengeWindowSeconds,
        proposalBond: o.proposalBond,
        challengeBond: o.challengeBond,
        inclusionWindowSeconds: o.inclusionWindowSeconds,
        ...(anvil ? { devToken: { holders, amountEach: parseEther('1000000') } } : {}),
      })
      deployment = {
        l1ChainId,
        chain,
        contracts,
        operator: l1.account.address,
        challengeWindowSeconds: o.challengeWindowSeconds,
        ...(await l1Identity(l1.publicClient, contracts.deployBlock)),
      }
      writeFileSync(deploymentPath, toTaggedJson(deployment))
      deployedNow = true
    }

    step('starting the optimistic rollup node')
    const node = new OptimisticNode(
      {
        chain: deployment.chain,
        contracts: deployment.contracts,
        l1RpcUrl,
        operatorKey,
        dataDir,
        rpc: { host: o.rpcHost, port: o.rpcPort, fallbackToFreePort: o.rpcPortFallback },
        sequencer: { ...defaultSequencerOptions, ...o.sequencer },
        batcher: { ...defaultBatcherOptions, ...o.batcher },
        proposer: { ...defaultProposerOptions, ...o.proposer },
        challenger: {
          ...defaultChallengerOptions,
          ...(anvil ? { privateKey: CHALLENGER_DEV_ACCOUNT.privateKey } : {}),
          ...o.challenger,
        },
        verifier: o.verifier,
      },
      { logger: modules.logger },
    )
    await node.start()
    try {
      if (!deployedNow) await checkIncludedDepositsOnL1(node, l1.publicClient, deployment.contracts.portal)
    } catch (err) {
      await node.stop()
      throw err
    }

    const accounts: DevAccount[] = anvil
      ? ANVIL_DEV_ACCOUNTS.slice(1, 1 + o.devAccounts).map((a) => ({
          address: a.address,
          privateKey: a.privateKey,
        }))
      : []
    if (deployedNow && accounts.length > 0) {
      step(`funding ${accounts.length} dev accounts on L2 through the bridge`)
      const deposits = await fundDevAccounts(
        l1RpcUrl,
        l1ChainId,
        deployment.contracts,
        accounts,
        o.devDepositEth,
        o.devDepositTokens,
      )
      let last = 0n // bigints: no Math.max
      for (const d of deposits) if (d.depositIndex > last) last = d.depositIndex
      await waitFor(() => node.sequencer.state.depositCount > last, 60_000, 'dev deposits on L2')
    }
    return {
      l1Rpc: l1RpcUrl,
      l2Rpc: node.rpcUrl,
      l1ChainId,
      chain: deployment.chain,
      contracts: deployment.contracts,
      accounts,
      operator: l1.account.address,
      dataDir,
      node,
      anvil,
      l1,
      deployedNow,
      stop: async () => {
        await node.stop()
        await cleanup()
      },
    }
  } catch (err) {
    await cleanup()
    throw err
  }
}

/**
 * Funds the dev accounts on L2 through the bridge with the SDK's own deposit actions (gas with a margin,
 * receipts checked: a deposit that reverted throws with its hash instead of leaving start-up waiting for it).
 * ETH deposits go in parallel; the first token deposit goes alone (it registers the token and pays the
 * registration fee), the others after it. Returns every deposit's result.
 */
async function fundDevAccounts(
  l1RpcUrl: string,
  l1ChainId: number,
  contracts: RollupContracts,
  accounts: DevAccount[],
  eth: bigint,
  tokens: bigint,
): Promise<DepositResult[]> {
  const clients = await Promise.all(
    accounts.map((a) => createL1Clients({ rpcUrl: l1RpcUrl, privateKey: a.privateKey, chainId: l1ChainId })),
  )
  const portal = contracts.portal
  const results = await Promise.all(clients.map((c) => depositEth(c, { portal, amount: eth })))
  const token = contracts.devToken
  if (token && tokens > 0n) {
    const [first, ...rest] = clients
    if (first) results.push(await depositErc20(first, { portal, token, amount: tokens }))
    results.push(...(await Promise.all(rest.map((c) => depositErc20(c, { portal, token, amount: tokens })))))
  }
  return results
}

/**
 * After a restart: every deposit the sequencer already included must still be on L1, the same. An L1 that lost
 * its last moments (an embedded anvil killed between two state dumps) may have lost deposits the L2 chain
 * already credited; that L2 chain has forked from L1, so the node refuses (`L1_MISMATCH`) instead of running.
 */
async function checkIncludedDepositsOnL1(
  node: OptimisticNode,
  publicClient: L1PublicClient,
  portal: Address,
): Promise<void> {
  const included = node.sequencer.state.depositCount
  if (included === 0n) return
  const onL1 = await publicClient.readContract({
    address: portal,
    abi: portalAbi,
    functionName: 'depositCount',
  })
  const refuse = (why: string) =>
    new L2kitError(
      'L1_MISMATCH',
      `the L2 chain in ${node.options.dataDir} has included ${included} deposits but ${why}: the L1 lost ` +
        'blocks this chain was built on. Start with a new --data-dir, or restore the L1.',
      { kind: 'critical', details: { included: included.toString(), onL1: onL1.toString() } },
    )
  if (onL1 < included) throw refuse(`L1 has only ${onL1}`)
  let hash: Hex = `0x${'00'.repeat(32)}`
  for (let i = 0n; i < included; i++) {
    const d = node.store.getDeposit(i)
    if (!d) return // not stored (cannot recompute); the node's own reorg checks still apply
    hash = nextDepositQueueHash(hash, { ...d, index: i })
  }
  const onL1Hash = await publicClient.readContract({
    address: portal,
    abi: portalAbi,
    functionName: 'depositHashAt',
    args: [included - 1n],
  })
  if (onL1Hash !== hash) throw refuse(`L1's deposit queue differs from them (hash at ${included - 1n})`)
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new L2kitError('TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${what}`, {
        kind: 'temporary',
      })
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
