/**
 * A whole optimistic-rollup devnet in one call: an embedded anvil (or an external L1), the contracts (deployed
 * once per data dir, reused after), the rollup node, and development accounts funded on L2 through the bridge.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Address, erc20Abi, type Hex, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { L2kitError } from '../core/errors.ts'
import { portalAbi } from '../generated/contracts.ts'
import { ANVIL_DEV_ACCOUNTS, type AnvilInstance, startAnvil } from '../l1/anvil.ts'
import { createL1Clients, type L1ClientsWithWallet } from '../l1/clients.ts'
import type { Logger } from '../node/logger.ts'
import {
  type BatcherOptions,
  type ChainConfig,
  type ChallengerOptions,
  DEFAULT_L2_BASE_FEE,
  DEFAULT_L2_CHAIN_ID,
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
import { parseWithBigints, stringifyWithBigints } from './serde.ts'

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
  rpcPort: 8547,
  challengeWindowSeconds: 10n,
  proposalBond: parseEther('0.1'),
  challengeBond: parseEther('0.05'),
  inclusionWindowSeconds: 10n,
  devAccounts: 5,
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
    ? parseWithBigints<Deployment>(readFileSync(deploymentPath, 'utf8'))
    : undefined

  let anvil: AnvilInstance | undefined
  let l1RpcUrl = o.l1RpcUrl
  if (!l1RpcUrl) {
    step('starting embedded L1 (anvil, prague)')
    anvil = await startAnvil({
      logPath: join(dataDir, 'anvil.log'),
      // With a data dir the L1 is kept too (dumped on stop, loaded on start), so deployed contracts survive.
      ...(o.dataDir ? { statePath: join(dataDir, 'anvil-state.json') } : {}),
      ...(o.l1BlockTime !== undefined ? { blockTime: o.l1BlockTime } : {}),
      ...(o.anvilArgs ? { extraArgs: o.anvilArgs } : {}),
    })
    l1RpcUrl = anvil.rpcUrl
  }
  const cleanup = async () => {
    await anvil?.stop()
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
    const reusable =
      previous &&
      previous.l1ChainId === l1ChainId &&
      previous.operator.toLowerCase() === l1.account.address.toLowerCase() &&
      (await l1.publicClient.getCode({ address: previous.contracts.portal }))?.length
    if (reusable && previous) {
      deployment = previous
      step(`reusing contracts from ${deploymentPath} (portal ${previous.contracts.portal})`)
    } else {
      if (previous) step('the stored deployment is not on this L1: deploying anew')
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
      }
      writeFileSync(deploymentPath, stringifyWithBigints(deployment))
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
        rpc: { host: o.rpcHost, port: o.rpcPort },
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

    const accounts: DevAccount[] = anvil
      ? ANVIL_DEV_ACCOUNTS.slice(1, 1 + o.devAccounts).map((a) => ({
          address: a.address,
          privateKey: a.privateKey,
        }))
      : []
    if (deployedNow && accounts.length > 0) {
      step(`funding ${accounts.length} dev accounts on L2 through the bridge`)
      await fundDevAccounts(l1RpcUrl, deployment.contracts, accounts, o.devDepositEth, o.devDepositTokens)
      await waitFor(
        () =>
          node.sequencer.state.depositCount >=
          BigInt(accounts.length * (deployment.contracts.devToken ? 2 : 1)),
        60_000,
        'dev deposits on L2',
      )
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

async function fundDevAccounts(
  l1RpcUrl: string,
  contracts: RollupContracts,
  accounts: DevAccount[],
  eth: bigint,
  tokens: bigint,
) {
  await Promise.all(
    accounts.map(async (a) => {
      const c = await createL1Clients({ rpcUrl: l1RpcUrl, privateKey: a.privateKey })
      const account = privateKeyToAccount(a.privateKey)
      const h1 = await c.walletClient.writeContract({
        address: contracts.portal,
        abi: portalAbi,
        functionName: 'depositETH',
        args: [account.address],
        value: eth,
      })
      await c.publicClient.waitForTransactionReceipt({ hash: h1 })
      if (contracts.devToken && tokens > 0n) {
        const approve = await c.walletClient.writeContract({
          address: contracts.devToken,
          abi: erc20Abi,
          functionName: 'approve',
          args: [contracts.portal, tokens],
        })
        await c.publicClient.waitForTransactionReceipt({ hash: approve })
        const h2 = await c.walletClient.writeContract({
          address: contracts.portal,
          abi: portalAbi,
          functionName: 'depositERC20',
          args: [contracts.devToken, account.address, tokens],
        })
        await c.publicClient.waitForTransactionReceipt({ hash: h2 })
      }
    }),
  )
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
