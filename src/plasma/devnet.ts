/**
 * A Plasma chain on an L1: PlasmaFramework deployed (operator key, exit period, bonds), the operator with its store and
 * JSON-RPC, and a watcher acting for the given users. Used by `l2kit up`, the demo, the bench and the tests; each
 * step is reported. With a data dir that holds a deployment (`deployment.json`) on the same L1 it resumes: same
 * contract, same operator store.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Address, type Hex, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { Logger } from '../core/logger.ts'
import {
  devTokenAbi,
  devTokenBytecode,
  plasmaFrameworkAbi,
  plasmaFrameworkBytecode,
} from '../generated/contracts.ts'
import { createL1Clients, type L1ClientsWithWallet } from '../l1/clients.ts'
import { deployContractWithReceipt } from '../l1/deploy.ts'
import type { RpcListenOptions } from '../node/servedRole.ts'
import type { PlasmaOperator, PlasmaOperatorOptions } from './operator.ts'
import { createPlasmaOperatorService, createPlasmaWatcherService } from './services.ts'
import type { PlasmaWatcher, PlasmaWatcherOptions } from './watcher.ts'

export type PlasmaDevnetOptions = {
  l1RpcUrl: string
  dataDir: string
  /** deploys the framework */
  deployerKey: Hex
  /** the operator (the only key `submitBlock` accepts) */
  operatorKey: Hex
  /** the watcher's own key: challenges, processExits; it receives the bonds it wins */
  challengerKey: Hex
  /** the users the watcher mass-exits for */
  userKeys: readonly Hex[]
  /** seconds (PlasmaFramework's minimum exit period; Polygon's Plasma bridge used 7 days) */
  exitPeriod: bigint
  standardExitBond?: bigint
  inFlightExitBond?: bigint
  operator?: Partial<PlasmaOperatorOptions>
  watcher?: Partial<PlasmaWatcherOptions>
  /** false: no watcher (a user who watches nothing — what the attack demos compare against) */
  startWatcher?: boolean
  /** send the watcher's key this much ETH from the deployer when it has less (for its challenges) */
  fundChallenger?: bigint
  /** also deploy a DEV ERC-20 with 1,000,000 DEV for each watched user */
  devToken?: boolean
  rpc?: { host?: string; ports?: { operator?: number; watcher?: number }; fallbackToFreePort?: boolean }
}

export type PlasmaDevnet = {
  framework: Address
  deployBlock: bigint
  chainId: number
  exitPeriod: bigint
  operator: PlasmaOperator
  watcher: PlasmaWatcher | undefined
  rpcUrls: { operator: string; watcher: string | undefined }
  /** the addresses the watcher exits for */
  watchedUsers: Address[]
  devToken: Address | undefined
  resumed: boolean
  stop(): Promise<void>
}

type SavedDeployment = {
  chainId: number
  framework: Address
  deployBlock: string
  exitPeriod: string
  devToken?: Address
}

export const DEFAULT_STANDARD_EXIT_BOND = parseEther('0.01')
export const DEFAULT_IN_FLIGHT_EXIT_BOND = parseEther('0.02')

/** Deploys PlasmaFramework: `operator` is the only key `submitBlock` accepts; the exit period in seconds. */
export async function deployPlasmaFramework(
  deployer: L1ClientsWithWallet,
  o: { operator: Address; exitPeriod: bigint; standardExitBond: bigint; inFlightExitBond: bigint },
): Promise<{ address: Address; deployBlock: bigint }> {
  const framework = await deployContractWithReceipt(deployer.walletClient, deployer.publicClient, {
    abi: plasmaFrameworkAbi,
    bytecode: plasmaFrameworkBytecode,
    name: 'PlasmaFramework',
    args: [o.operator, o.exitPeriod, o.standardExitBond, o.inFlightExitBond],
  })
  return { address: framework.address, deployBlock: framework.receipt.blockNumber }
}

export async function startPlasmaDevnet(
  o: PlasmaDevnetOptions,
  modules: { logger?: Logger; onStep?: (message: string) => void } = {},
): Promise<PlasmaDevnet> {
  const step = modules.onStep ?? (() => undefined)
  const stops: (() => Promise<void>)[] = []
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined)
  }
  const listen = (name: 'operator' | 'watcher'): Partial<RpcListenOptions> => ({
    ...(o.rpc?.host ? { host: o.rpc.host } : {}),
    port: o.rpc?.ports?.[name] ?? 0,
    fallbackToFreePort: o.rpc?.fallbackToFreePort ?? false,
  })
  try {
    mkdirSync(o.dataDir, { recursive: true })
    const deployer = await createL1Clients({ rpcUrl: o.l1RpcUrl, privateKey: o.deployerKey })
    const operatorAddress = (await createL1Clients({ rpcUrl: o.l1RpcUrl, privateKey: o.operatorKey })).account
      .address
    const chainId = await deployer.publicClient.getChainId()
    const savedPath = join(o.dataDir, 'deployment.json')
    let saved: SavedDeployment | undefined
    if (existsSync(savedPath)) {
      const s = JSON.parse(readFileSync(savedPath, 'utf8')) as SavedDeployment
      const code = await deployer.publicClient.getCode({ address: s.framework })
      if (s.chainId === chainId && code !== undefined && code !== '0x') saved = s
      else step('plasma: the saved deployment is not on this L1; deploying afresh')
    }
    const resumed = saved !== undefined
    if (saved === undefined) {
      const framework = await deployPlasmaFramework(deployer, {
        operator: operatorAddress,
        exitPeriod: o.exitPeriod,
        standardExitBond: o.standardExitBond ?? DEFAULT_STANDARD_EXIT_BOND,
        inFlightExitBond: o.inFlightExitBond ?? DEFAULT_IN_FLIGHT_EXIT_BOND,
      })
      saved = {
        chainId,
        framework: framework.address,
        deployBlock: framework.deployBlock.toString(),
        exitPeriod: o.exitPeriod.toString(),
      }
      if (o.devToken === true) {
        const token = await deployContractWithReceipt(deployer.walletClient, deployer.publicClient, {
          abi: devTokenAbi,
          bytecode: devTokenBytecode,
          name: 'DevToken',
          args: [
            'l2kit Dev Token',
            'DEV',
            18,
            o.userKeys.map((k) => privateKeyToAccount(k).address),
            parseEther('1000000'),
          ],
        })
        saved.devToken = token.address
      }
      writeFileSync(savedPath, `${JSON.stringify(saved, null, 2)}\n`)
    }
    if (o.fundChallenger !== undefined) {
      const to = privateKeyToAccount(o.challengerKey).address
      const have = await deployer.publicClient.getBalance({ address: to })
      if (have < o.fundChallenger / 2n) {
        const hash = await deployer.walletClient.sendTransaction({
          to,
          value: o.fundChallenger - have,
          account: deployer.account,
          chain: deployer.walletClient.chain ?? null,
        })
        await deployer.publicClient.waitForTransactionReceipt({ hash })
      }
    }
    const framework = saved.framework
    const deployBlock = BigInt(saved.deployBlock)
    step(
      `plasma: PlasmaFramework ${framework}, exit period ${saved.exitPeriod} s${resumed ? ' (resumed)' : ''}`,
    )
    const operator = await createPlasmaOperatorService(
      {
        ...o.operator,
        dataDir: o.dataDir,
        l1RpcUrl: o.l1RpcUrl,
        operatorKey: o.operatorKey,
        framework,
        deployBlock,
        rpc: listen('operator'),
        ...(saved.devToken ? { devToken: saved.devToken } : {}),
      },
      modules.logger ? { logger: modules.logger } : {},
    )
    await operator.start()
    stops.push(() => operator.stop())
    step(`plasma: operator ${operator.rpcUrl()}`)
    let watcher: Awaited<ReturnType<typeof createPlasmaWatcherService>> | undefined
    if (o.startWatcher !== false) {
      watcher = await createPlasmaWatcherService(
        {
          ...o.watcher,
          l1RpcUrl: o.l1RpcUrl,
          operatorUrl: operator.rpcUrl(),
          framework,
          deployBlock,
          challengerKey: o.challengerKey,
          userKeys: o.userKeys,
          rpc: listen('watcher'),
        },
        modules.logger ? { logger: modules.logger } : {},
      )
      await watcher.start()
      stops.push(() => (watcher as NonNullable<typeof watcher>).stop())
      step(`plasma: watcher ${watcher.rpcUrl()} for ${o.userKeys.length} users`)
    }
    return {
      framework,
      deployBlock,
      chainId,
      exitPeriod: BigInt(saved.exitPeriod),
      operator: operator.role,
      watcher: watcher?.role,
      rpcUrls: { operator: operator.rpcUrl(), watcher: watcher?.rpcUrl() },
      watchedUsers: watcher === undefined ? [] : o.userKeys.map((k) => privateKeyToAccount(k).address),
      devToken: saved.devToken,
      resumed,
      stop,
    }
  } catch (e) {
    await stop()
    throw e
  }
}
