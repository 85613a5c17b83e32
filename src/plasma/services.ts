/**
 * The Plasma family's roles as services: the operator with its store and JSON-RPC (`plasma_*`), and the watcher with
 * its JSON-RPC (`plasma_watcherStatus`, `plasma_watchTransaction`). `l2kit up`, `l2kit plasma operator` and
 * `l2kit plasma watcher` compose these.
 */
import { mkdirSync } from 'node:fs'
import type { Address, Hex } from 'viem'
import type { Logger } from '../core/logger.ts'
import { silentLogger } from '../core/logger.ts'
import { plasmaFrameworkAbi } from '../generated/contracts.ts'
import { createL1Clients, type L1PublicClient } from '../l1/clients.ts'
import { TxManager, type TxManagerOptions } from '../l1/txManager.ts'
import { Metrics } from '../node/metrics.ts'
import { assertValidOptions } from '../node/options.ts'
import { param } from '../node/rpc/params.ts'
import { RpcServer } from '../node/rpcServer.ts'
import {
  checkRpcListen,
  defaultRpcListen,
  type RpcListenOptions,
  type ServedRole,
  servedRole,
} from '../node/servedRole.ts'
import { openStore, type Store } from '../node/store.ts'
import { PlasmaOperator, type PlasmaOperatorOptions } from './operator.ts'
import { plasmaOperatorMethods, plasmaRpcErrorCodes, signedTxParam } from './rpc.ts'
import { openPlasmaOperatorStore } from './store.ts'
import { PlasmaWatcher, type PlasmaWatcherOptions, type WatchedUser } from './watcher.ts'

const ADDRESS = /^0x[0-9a-fA-F]{40}$/
const KEY = /^0x[0-9a-fA-F]{64}$/

export type PlasmaOperatorServiceOptions = Partial<PlasmaOperatorOptions> & {
  dataDir: string
  l1RpcUrl: string
  /** the key `submitBlock` accepts (the framework's operator) */
  operatorKey: Hex
  framework: Address
  deployBlock: bigint
  rpc?: Partial<RpcListenOptions>
  txManager?: Partial<TxManagerOptions>
  /** reported by plasma_getInfo (the devnet's DEV ERC-20) */
  devToken?: Address
}

/** The operator with its LMDB store (`<dataDir>/operator`) and its JSON-RPC server. */
export async function createPlasmaOperatorService(
  options: PlasmaOperatorServiceOptions,
  modules: { logger?: Logger } = {},
): Promise<ServedRole<PlasmaOperator> & { store: Store }> {
  const rpcOptions = { ...defaultRpcListen, ...options.rpc }
  const problems: string[] = []
  checkRpcListen(rpcOptions, problems)
  if (!ADDRESS.test(options.framework)) problems.push('framework must be an address')
  if (!KEY.test(options.operatorKey)) problems.push('operatorKey must be a 32-byte hex private key')
  if (typeof options.dataDir !== 'string' || options.dataDir === '') problems.push('dataDir must be a path')
  assertValidOptions('plasma operator', problems)
  const logger = modules.logger ?? silentLogger
  const l1 = await createL1Clients({ rpcUrl: options.l1RpcUrl, privateKey: options.operatorKey })
  const chainId = BigInt(await l1.publicClient.getChainId())
  const exitPeriod = await readExitPeriod(l1.publicClient, options.framework)
  mkdirSync(options.dataDir, { recursive: true })
  const store = await openStore({ path: `${options.dataDir}/operator` })
  const metrics = new Metrics()
  const {
    dataDir: _d,
    l1RpcUrl: _u,
    operatorKey: _k,
    framework,
    deployBlock,
    rpc: _r,
    txManager,
    devToken,
    ...operatorOptions
  } = options
  const operator = new PlasmaOperator(operatorOptions, {
    store: openPlasmaOperatorStore(store),
    publicClient: l1.publicClient,
    txManager: new TxManager(txManager ?? {}, {
      publicClient: l1.publicClient,
      account: l1.account,
      logger: logger.child({ component: 'plasma-operator-l1' }),
    }),
    framework,
    chainId,
    deployBlock,
    logger: logger.child({ component: 'plasma-operator' }),
    metrics,
  })
  const rpc = new RpcServer(rpcOptions, {
    logger: logger.child({ component: 'plasma-operator-rpc' }),
    metrics,
    healthCheck: () => ({ openBlock: operator.openBlknum.toString() }),
  })
  rpc.registerErrorCodes(plasmaRpcErrorCodes)
  rpc.registerAll(
    plasmaOperatorMethods({
      operator,
      framework,
      chainId,
      exitPeriodSeconds: exitPeriod,
      deployBlock,
      l1RpcUrl: options.l1RpcUrl,
      ...(devToken ? { devToken } : {}),
    }),
  )
  const served = servedRole('plasma-operator', operator, rpc, logger)
  return {
    ...served,
    store,
    stop: async () => {
      try {
        await served.stop()
      } finally {
        await store.close()
      }
    },
  }
}

export type PlasmaWatcherServiceOptions = Partial<PlasmaWatcherOptions> & {
  l1RpcUrl: string
  operatorUrl: string
  framework: Address
  deployBlock: bigint
  /** signs challenges and processExits, and receives the challenged exits' bonds */
  challengerKey: Hex
  /** the users the watcher exits for when the chain turns byzantine (their keys: an exit is started by its owner) */
  userKeys: readonly Hex[]
  rpc?: Partial<RpcListenOptions>
}

/** The watcher and its JSON-RPC server. */
export async function createPlasmaWatcherService(
  options: PlasmaWatcherServiceOptions,
  modules: { logger?: Logger } = {},
): Promise<ServedRole<PlasmaWatcher>> {
  const rpcOptions = { ...defaultRpcListen, ...options.rpc }
  const problems: string[] = []
  checkRpcListen(rpcOptions, problems)
  if (!ADDRESS.test(options.framework)) problems.push('framework must be an address')
  if (!KEY.test(options.challengerKey)) problems.push('challengerKey must be a 32-byte hex private key')
  for (const k of options.userKeys)
    if (!KEY.test(k)) problems.push('every user key must be a 32-byte hex private key')
  assertValidOptions('plasma watcher', problems)
  const logger = modules.logger ?? silentLogger
  const txManager = async (key: Hex, component: string) => {
    const c = await createL1Clients({ rpcUrl: options.l1RpcUrl, privateKey: key })
    return {
      c,
      tm: new TxManager(
        {},
        { publicClient: c.publicClient, account: c.account, logger: logger.child({ component }) },
      ),
    }
  }
  const challenger = await txManager(options.challengerKey, 'plasma-watcher-l1')
  const users: WatchedUser[] = []
  for (const k of options.userKeys) {
    const u = await txManager(k, 'plasma-watcher-user')
    users.push({ address: u.c.account.address, txManager: u.tm })
  }
  const {
    l1RpcUrl: _u,
    operatorUrl,
    framework,
    deployBlock,
    challengerKey: _c,
    userKeys: _k,
    rpc: _r,
    ...watcherOptions
  } = options
  const watcher = new PlasmaWatcher(watcherOptions, {
    publicClient: challenger.c.publicClient,
    operatorUrl,
    framework,
    chainId: BigInt(await challenger.c.publicClient.getChainId()),
    deployBlock,
    challenger: challenger.tm,
    users,
    logger: logger.child({ component: 'plasma-watcher' }),
  })
  const rpc = new RpcServer(rpcOptions, {
    logger: logger.child({ component: 'plasma-watcher-rpc' }),
    metrics: new Metrics(),
    healthCheck: () => ({ byzantine: watcher.byzantine.length }),
  })
  rpc.registerErrorCodes(plasmaRpcErrorCodes)
  rpc.registerAll({
    l2kit_family: () => ({ family: 'plasma', role: 'watcher' }),
    plasma_watcherStatus: () => watcher.status(),
    plasma_watchTransaction: (params) => {
      watcher.track(signedTxParam(param(params, 0, 'signed transaction')))
      return true
    },
  })
  return servedRole('plasma-watcher', watcher, rpc, logger)
}

export async function readExitPeriod(publicClient: L1PublicClient, framework: Address): Promise<bigint> {
  return BigInt(
    (await publicClient.readContract({
      address: framework,
      abi: plasmaFrameworkAbi,
      functionName: 'exitPeriod',
    })) as bigint,
  )
}
