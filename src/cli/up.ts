/** `l2kit up`: the whole devnet (embedded anvil by default), running until Ctrl-C / SIGTERM. */

import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatEther, keccak256, parseEther, toBytes } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { ChannelsDevnet } from '../channels/devnet.ts'
import { channelJson } from '../channels/rpc.ts'
import { L2kitError } from '../core/errors.ts'
import type { Hex } from '../core/types.ts'
import { ANVIL_DEV_ACCOUNTS } from '../l1/anvil.ts'
import { startDevL1 } from '../l1/devL1.ts'
import type { Logger } from '../node/logger.ts'
import { type BatchDataMode, DEV_TOKEN_L2_ADDRESS } from '../optimistic/config.ts'
import { type Devnet, startDevnet } from '../optimistic/devnet.ts'
import { parseFaultKind } from '../optimistic/faults.ts'
import type { PlasmaDevnet } from '../plasma/devnet.ts'
import type { SidechainDevnet } from '../sidechain/devnet.ts'
import { L2_BRIDGE_ADDRESS } from '../sidechain/protocol/addresses.ts'
import { defaultZkDevnetOptions, startZkDevnet, type ZkDevnet } from '../zk/devnet.ts'
import { num, type ParsedArgs, str } from './args.ts'
import { type StartedDashboard, startDashboard } from './dashboard.ts'
import { printJson, progress, table } from './output.ts'

/** The operator's address (the attacker of an injected fault): the given key's, or anvil account 0's. */
function privateKeyToAddress(key: string | undefined): Hex {
  return key ? privateKeyToAccount(key as Hex).address : (ANVIL_DEV_ACCOUNTS[0]?.address as Hex)
}

export type UpResult = {
  devnet: Devnet | undefined
  zk: ZkDevnet | undefined
  channels: ChannelsDevnet | undefined
  plasma: PlasmaDevnet | undefined
  sidechain: SidechainDevnet | undefined
  summary: Record<string, unknown>
  stop(): Promise<void>
}

const KEY_RE = /^0x[0-9a-fA-F]{64}$/

/** A family's own L1 key flag: well formed, and required on an external L1 (on anvil the family uses its dev accounts). */
function familyKey(args: ParsedArgs, flag: string, external: boolean, why: string): Hex | undefined {
  const key = str(args.values[flag])
  if (key !== undefined && !KEY_RE.test(key)) {
    throw new L2kitError('INVALID_ARGUMENTS', `--${flag} must be 0x followed by 64 hex digits`)
  }
  if (external && key === undefined) {
    throw new L2kitError('INVALID_ARGUMENTS', `--${flag} is needed on an external L1: ${why}`)
  }
  return key as Hex | undefined
}

/** The ZK rollup on the same L1 (after the optimistic rollup, if any): its own deployer/operator keys. */
async function startZk(
  args: ParsedArgs,
  l1RpcUrl: string,
  external: boolean,
  dataDir: string,
  logger: Logger,
  quiet: boolean,
): Promise<ZkDevnet> {
  const v = args.values
  const zkKey = familyKey(
    args,
    'zk-private-key',
    external,
    'the ZK operator must not share nonces with the optimistic operator',
  )
  const deployerKey = (zkKey ?? ANVIL_DEV_ACCOUNTS[8]?.privateKey) as Hex
  const operatorKey = (zkKey ?? ANVIL_DEV_ACCOUNTS[9]?.privateKey) as Hex
  const ptau = str(v['zk-ptau'])
  const commitMode = str(v['zk-commit-mode']) ?? 'separate'
  if (commitMode !== 'separate' && commitMode !== 'combined') {
    throw new L2kitError(
      'INVALID_OPTIONS',
      `--zk-commit-mode must be 'separate' or 'combined', got '${commitMode}'`,
    )
  }
  return startZkDevnet(
    {
      l1RpcUrl,
      deployerKey,
      operatorKey,
      dataDir: join(dataDir, 'zk'),
      chunks: num(v['zk-chunks'], 'zk-chunks') ?? defaultZkDevnetOptions.chunks,
      depth: num(v['zk-depth'], 'zk-depth') ?? defaultZkDevnetOptions.depth,
      priorityDeadlineSeconds: defaultZkDevnetOptions.priorityDeadlineSeconds,
      provers: num(v['zk-provers'], 'zk-provers') ?? defaultZkDevnetOptions.provers,
      blockTimeMs: defaultZkDevnetOptions.blockTimeMs,
      commitMode,
      ...(ptau ? { ptauPath: ptau } : {}),
      ...defined({ rpcHost: str(v.host), rpcPort: num(v['zk-port'], 'zk-port') }),
      rpcPortFallback: args.defaulted?.has('zk-port') ?? true,
    },
    { logger, onStep: quiet ? () => undefined : progress },
  )
}

function zkSummary(zk: ZkDevnet) {
  return {
    rpc: zk.rpcUrl,
    contracts: {
      rollup: zk.deployment.rollup,
      verifier: zk.deployment.verifier,
      poseidonT3: zk.deployment.poseidonT3,
      poseidonT4: zk.deployment.poseidonT4,
    },
    chunks: zk.deployment.chunks,
    depth: zk.deployment.depth,
    constraints: zk.circuit.constraints,
    setup: {
      insecure: zk.setup.insecure,
      ptau: zk.setup.ptauSource,
      zkey: zk.setup.zkeyPath,
      wasm: zk.circuit.wasmPath,
      note: zk.setup.insecure
        ? 'INSECURE development setup (known toxic waste): devnets only; pass --zk-ptau for a ceremony file'
        : 'ceremony ptau',
    },
  }
}

/** The channel nodes' keys: derived from the funder's key, so a restart with the same data dir finds the same nodes. */
function channelKeys(funder: Hex) {
  const k = (name: string) => keccak256(toBytes(`${funder}:l2kit channels devnet ${name}`))
  return { a: k('a'), b: k('b'), c: k('c'), tower: k('tower') }
}

/** Channel nodes A, B, C and a watchtower on the same L1 (anvil account 7 deploys and funds them). */
async function startChannels(
  args: ParsedArgs,
  l1RpcUrl: string,
  external: boolean,
  dataDir: string,
  logger: Logger,
  quiet: boolean,
): Promise<ChannelsDevnet> {
  const v = args.values
  const given = familyKey(
    args,
    'channels-private-key',
    external,
    'it deploys the channel contracts and funds the three nodes',
  )
  const funder = (given ?? ANVIL_DEV_ACCOUNTS[7]?.privateKey) as Hex
  const amountText = str(v['channels-amount']) ?? '1'
  if (!/^[0-9]+(\.[0-9]{1,18})?$/.test(amountText) || parseEther(amountText) === 0n) {
    throw new L2kitError(
      'INVALID_ARGUMENTS',
      `--channels-amount must be an ETH amount like 1 or 0.05, got ${amountText}`,
    )
  }
  const channelAmount = parseEther(amountText)
  const port = num(v['channels-port'], 'channels-port') ?? 8561
  const { startChannelsDevnet } = await import('../channels/devnet.ts')
  return startChannelsDevnet(
    {
      l1RpcUrl,
      dataDir: join(dataDir, 'channels'),
      deployerKey: funder,
      keys: channelKeys(funder),
      channelAmount,
      disputeWindow: 3_600n,
      towerClients: ['a', 'b', 'c'],
      devToken: !external,
      // each node: its channel, plus L1 gas for closes, disputes and penalties
      fundEach: channelAmount * 2n + parseEther('0.1'),
      rpc: {
        ...(str(v.host) ? { host: str(v.host) as string } : {}),
        ports: port === 0 ? {} : { a: port, b: port + 1, c: port + 2, tower: port + 3 },
        fallbackToFreePort: args.defaulted?.has('channels-port') ?? true,
      },
    },
    { logger, onStep: quiet ? () => undefined : progress },
  )
}

/** The Plasma operator and a watcher on the same L1 (anvil account 6 deploys and operates; the watcher acts for the dev accounts 1–5). */
async function startPlasma(
  args: ParsedArgs,
  l1RpcUrl: string,
  external: boolean,
  dataDir: string,
  logger: Logger,
  quiet: boolean,
): Promise<PlasmaDevnet> {
  const v = args.values
  const given = familyKey(
    args,
    'plasma-private-key',
    external,
    'it deploys PlasmaFramework and commits the block roots',
  )
  const operatorKey = (given ?? ANVIL_DEV_ACCOUNTS[6]?.privateKey) as Hex
  const exitPeriod = num(v['plasma-exit-period'], 'plasma-exit-period') ?? 60
  if (!Number.isInteger(exitPeriod) || exitPeriod < 1 || exitPeriod > 30 * 24 * 3600) {
    throw new L2kitError(
      'INVALID_ARGUMENTS',
      '--plasma-exit-period must be whole seconds, 1 to 2592000 (30 days)',
    )
  }
  const port = num(v['plasma-port'], 'plasma-port') ?? 8571
  const { startPlasmaDevnet } = await import('../plasma/devnet.ts')
  return startPlasmaDevnet(
    {
      l1RpcUrl,
      dataDir: join(dataDir, 'plasma'),
      deployerKey: operatorKey,
      operatorKey,
      // the watcher's own key (challenges, processing), derived so a restart finds the same one
      challengerKey: keccak256(toBytes(`${operatorKey}:l2kit plasma devnet watcher`)),
      fundChallenger: parseEther('1'),
      // on anvil the watcher acts for the dev accounts; on an external L1 it only challenges
      userKeys: external ? [] : [1, 2, 3, 4, 5].map((i) => ANVIL_DEV_ACCOUNTS[i]?.privateKey as Hex),
      exitPeriod: BigInt(exitPeriod),
      devToken: !external,
      rpc: {
        ...(str(v.host) ? { host: str(v.host) as string } : {}),
        ports: port === 0 ? {} : { operator: port, watcher: port + 1 },
        fallbackToFreePort: args.defaulted?.has('plasma-port') ?? true,
      },
    },
    { logger, onStep: quiet ? () => undefined : progress },
  )
}

/** The sidechain's validators, one process each (anvil account 8 deploys, funds and stakes them; the dev accounts 1–5 get 1,000 ETH at genesis). */
async function startSidechain(
  args: ParsedArgs,
  l1RpcUrl: string,
  external: boolean,
  dataDir: string,
  logger: Logger,
  quiet: boolean,
): Promise<SidechainDevnet> {
  const v = args.values
  const given = familyKey(
    args,
    'sidechain-private-key',
    external,
    'it deploys StakeManager and the bridge and funds and stakes the validators',
  )
  const funderKey = (given ?? ANVIL_DEV_ACCOUNTS[8]?.privateKey) as Hex
  const int = (flag: string, min: number, max: number, fallback: number): number => {
    const x = num(v[flag], flag) ?? fallback
    if (!Number.isSafeInteger(x) || x < min || x > max)
      throw new L2kitError('INVALID_ARGUMENTS', `--${flag} must be an integer in [${min}, ${max}]`)
    return x
  }
  const validators = int('sidechain-validators', 1, 32, 4)
  const port = int('sidechain-port', 0, 65_535, 8581)
  const { startSidechainDevnet } = await import('../sidechain/devnet.ts')
  return startSidechainDevnet(
    {
      l1RpcUrl,
      dataDir: join(dataDir, 'sidechain'),
      funderKey,
      validators,
      chainId: BigInt(int('sidechain-chain-id', 1, 2 ** 52, 42_069)),
      blockTimeMs: int('sidechain-block-time-ms', 10, 600_000, 1_000),
      gasLimit: BigInt(int('sidechain-gas-limit', 21_000, 1_000_000_000, 30_000_000)),
      checkpointInterval: int('sidechain-checkpoint-interval', 1, 65_536, 16),
      alloc: external
        ? {}
        : Object.fromEntries(
            [1, 2, 3, 4, 5].map((i) => [ANVIL_DEV_ACCOUNTS[i]?.address as Hex, parseEther('1000')]),
          ),
      mode: 'process',
      ...(str(v.host) ? { host: str(v.host) as string } : {}),
      rpcBasePort: port,
      fallbackToFreePort: args.defaulted?.has('sidechain-port') ?? true,
      ...(str(v['log-level']) ? { logLevel: str(v['log-level']) as string } : {}),
    },
    { logger, onStep: quiet ? () => undefined : progress },
  )
}

function sidechainSummary(net: SidechainDevnet) {
  return {
    chainId: Number(net.chainId),
    validators: net.validators.map((x) => ({ address: x.address, rpc: x.rpcUrl, p2p: x.p2p })),
    contracts: {
      stakeManager: net.stakeManager,
      bridge: net.bridge,
      l2Bridge: L2_BRIDGE_ADDRESS,
    },
    checkpointInterval: net.checkpointInterval,
    resumed: net.resumed,
  }
}

function plasmaSummary(net: PlasmaDevnet) {
  return {
    operator: { rpc: net.rpcUrls.operator },
    watcher: { rpc: net.rpcUrls.watcher ?? null, users: net.watchedUsers },
    contracts: { framework: net.framework, ...(net.devToken ? { devToken: net.devToken } : {}) },
    exitPeriodSeconds: Number(net.exitPeriod),
    resumed: net.resumed,
  }
}

function channelsSummary(net: ChannelsDevnet) {
  const node = (name: 'a' | 'b' | 'c') => {
    const n = net[name]
    return {
      name: name.toUpperCase(),
      nodeId: n.nodeId,
      address: n.address,
      rpc: net.rpcUrls[name],
      peer: n.peerAddress,
      channels: n.channels().map((r) => channelJson(r)),
    }
  }
  return {
    contracts: { hub: net.hub, registry: net.registry, ...(net.devToken ? { devToken: net.devToken } : {}) },
    watchtower: { rpc: net.rpcUrls.tower },
    nodes: [node('a'), node('b'), node('c')],
    resumed: net.resumed,
  }
}

/** `o` without its undefined values: what a flag does not set, the devnet's own default decides (stated once). */
function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>
  }
}

const bigintOf = (x: number | undefined) => (x === undefined ? undefined : BigInt(x))

export async function startFromArgs(args: ParsedArgs, logger: Logger, quiet = false): Promise<UpResult> {
  const v = args.values
  const chosen = chooseFamilies(str(v.family))
  if (!chosen.includes('optimistic')) {
    // without the optimistic rollup: the other families on their own L1 (embedded anvil unless --l1-rpc)
    const l1RpcUrl = str(v['l1-rpc'])
    const dataDir = str(v['data-dir']) ?? mkdtempSync(join(tmpdir(), 'l2kit-devnet-'))
    const l1 = await startDevL1({
      l1RpcUrl,
      dataDir,
      keepState: str(v['data-dir']) !== undefined,
      ...(quiet ? {} : { onStep: progress }),
    })
    try {
      const others = await startOtherFamilies(
        args,
        chosen,
        l1.rpcUrl,
        l1RpcUrl !== undefined,
        dataDir,
        logger,
        quiet,
      )
      const summary = { l1Rpc: l1.rpcUrl, dataDir, families: others.families }
      const stop = async () => {
        await others.stop()
        await l1.stop()
      }
      return {
        devnet: undefined,
        zk: others.zk,
        channels: others.channels,
        plasma: others.plasma,
        sidechain: others.sidechain,
        summary,
        stop,
      }
    } catch (err) {
      await l1.stop()
      throw err
    }
  }
  const mode = str(v['batch-mode']) ?? 'auto'
  if (!['auto', 'blob', 'calldata'].includes(mode))
    throw new L2kitError('INVALID_ARGUMENTS', `--batch-mode must be auto, blob or calldata, got ${mode}`)
  const l1RpcUrl = str(v['l1-rpc'])
  const privateKey = str(v['private-key'])
  if (privateKey !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(privateKey)) {
    throw new L2kitError('INVALID_ARGUMENTS', '--private-key must be 0x followed by 64 hex digits')
  }
  const challengerKey = str(v['challenger-key'])
  if (challengerKey !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(challengerKey)) {
    throw new L2kitError('INVALID_ARGUMENTS', '--challenger-key must be 0x followed by 64 hex digits')
  }
  const faultName = str(v.fault)
  const fault = faultName === undefined ? undefined : parseFaultKind(faultName)
  const dataDir = str(v['data-dir'])
  const l1BlockTime = num(v['l1-block-time'], 'l1-block-time')
  const devnet = await startDevnet(
    {
      ...(l1RpcUrl ? { l1RpcUrl } : {}),
      ...(privateKey ? { operatorKey: privateKey as Hex } : {}),
      ...(dataDir ? { dataDir } : {}),
      ...(l1BlockTime !== undefined ? { l1BlockTime } : {}),
      ...defined({ rpcHost: str(v.host), rpcPort: num(v.port, 'port') }),
      // The default port may be taken (another devnet, another tool): then any free one. A port the user chose
      // must be that port or an error.
      rpcPortFallback: args.defaulted?.has('port') ?? true,
      ...defined({
        l2ChainId: bigintOf(num(v['chain-id'], 'chain-id')),
        challengeWindowSeconds: bigintOf(num(v['challenge-window'], 'challenge-window')),
        devAccounts: l1RpcUrl ? 0 : num(v['dev-accounts'], 'dev-accounts'),
      }),
      sequencer: defined({ blockTimeMs: num(v['block-time-ms'], 'block-time-ms') }),
      batcher: { dataMode: mode as BatchDataMode },
      challenger: {
        enabled: v['no-challenger'] !== true,
        ...(challengerKey ? { privateKey: challengerKey as Hex } : {}),
      },
      ...(fault ? { proposer: { fault: { kind: fault, attacker: privateKeyToAddress(privateKey) } } } : {}),
    },
    { logger, onStep: quiet ? () => undefined : progress },
  )
  const summary = {
    l1Rpc: devnet.l1Rpc,
    l2Rpc: devnet.l2Rpc,
    l1ChainId: devnet.l1ChainId,
    l2ChainId: Number(devnet.chain.chainId),
    dataDir: devnet.dataDir,
    contracts: {
      portal: devnet.contracts.portal,
      rollup: devnet.contracts.rollup,
      ...(devnet.contracts.devToken
        ? { devToken: devnet.contracts.devToken, devTokenL2: DEV_TOKEN_L2_ADDRESS }
        : {}),
    },
    operator: devnet.operator,
    challenger: devnet.node.challenger !== undefined,
    accounts: devnet.accounts,
  }
  const families: Record<string, unknown> = {
    optimistic: {
      l2Rpc: summary.l2Rpc,
      l2ChainId: summary.l2ChainId,
      contracts: summary.contracts,
      challengeWindowSeconds: Number(devnet.node.challengeWindowSeconds),
      challenger: summary.challenger,
    },
  }
  let others: Awaited<ReturnType<typeof startOtherFamilies>>
  try {
    others = await startOtherFamilies(
      args,
      chosen,
      devnet.l1Rpc,
      l1RpcUrl !== undefined,
      devnet.dataDir,
      logger,
      quiet,
    )
  } catch (err) {
    await devnet.stop()
    throw err
  }
  Object.assign(families, others.families)
  const stop = async () => {
    await others.stop()
    await devnet.stop()
  }
  return {
    devnet,
    zk: others.zk,
    channels: others.channels,
    plasma: others.plasma,
    sidechain: others.sidechain,
    summary: { ...summary, families },
    stop,
  }
}

/** The families after the optimistic rollup, on its L1 (or on their own): ZK, channels, Plasma; stops what started if one fails. */
async function startOtherFamilies(
  args: ParsedArgs,
  chosen: readonly (typeof FAMILIES)[number][],
  l1RpcUrl: string,
  external: boolean,
  dataDir: string,
  logger: Logger,
  quiet: boolean,
): Promise<{
  zk: ZkDevnet | undefined
  channels: ChannelsDevnet | undefined
  plasma: PlasmaDevnet | undefined
  sidechain: SidechainDevnet | undefined
  families: Record<string, unknown>
  stop(): Promise<void>
}> {
  const families: Record<string, unknown> = {}
  let zk: ZkDevnet | undefined
  let channels: ChannelsDevnet | undefined
  let plasma: PlasmaDevnet | undefined
  let sidechain: SidechainDevnet | undefined
  const stop = async () => {
    await sidechain?.stop()
    await plasma?.stop()
    await channels?.stop()
    await zk?.stop()
  }
  try {
    if (chosen.includes('zk')) {
      zk = await startZk(args, l1RpcUrl, external, dataDir, logger, quiet)
      families.zk = zkSummary(zk)
    }
    if (chosen.includes('channels')) {
      channels = await startChannels(args, l1RpcUrl, external, dataDir, logger, quiet)
      families.channels = channelsSummary(channels)
    }
    if (chosen.includes('plasma')) {
      plasma = await startPlasma(args, l1RpcUrl, external, dataDir, logger, quiet)
      families.plasma = plasmaSummary(plasma)
    }
    if (chosen.includes('sidechain')) {
      sidechain = await startSidechain(args, l1RpcUrl, external, dataDir, logger, quiet)
      families.sidechain = sidechainSummary(sidechain)
    }
  } catch (err) {
    await stop()
    throw err
  }
  return { zk, channels, plasma, sidechain, families, stop }
}

/** Every family l2kit knows, and the ones built so far (`l2kit up` starts the built ones by default). */
export const FAMILIES = ['optimistic', 'zk', 'channels', 'plasma', 'sidechain'] as const
export const BUILT_FAMILIES: readonly (typeof FAMILIES)[number][] = [
  'optimistic',
  'zk',
  'channels',
  'plasma',
  'sidechain',
]

/** Parses `--family a,b`: each must be a family l2kit has; default all built ones. */
export function chooseFamilies(arg: string | undefined): (typeof FAMILIES)[number][] {
  if (arg === undefined || arg.trim() === '') return [...BUILT_FAMILIES]
  const names = arg.split(',').map((x) => x.trim().toLowerCase())
  const problems: string[] = []
  for (const n of names) {
    if (!(FAMILIES as readonly string[]).includes(n))
      problems.push(`"${n}" is not a family (families: ${FAMILIES.join(', ')})`)
    else if (!(BUILT_FAMILIES as readonly string[]).includes(n))
      problems.push(`the ${n} family is not built yet (built: ${BUILT_FAMILIES.join(', ')})`)
  }
  if (problems.length > 0) throw new L2kitError('INVALID_ARGUMENTS', `--family: ${problems.join('; ')}`)
  return [...new Set(names)] as (typeof FAMILIES)[number][]
}

export async function runUp(
  args: ParsedArgs,
  logger: Logger,
  onShutdown: (fn: () => Promise<void>) => void,
): Promise<void> {
  const { devnet, zk, channels, plasma, sidechain, summary, stop } = await startFromArgs(
    args,
    logger,
    args.values.json === true,
  )
  onShutdown(stop)
  const dashboard = await dashboardFor(args, summary, logger)
  if (dashboard.started) onShutdown(dashboard.started.stop)
  if (args.values.json === true) {
    printJson({
      ready: true,
      ...summary,
      dashboardUrl: dashboard.started?.url ?? null,
      ...(dashboard.error ? { dashboardError: dashboard.error } : {}),
    })
  } else {
    const lines: string[] = []
    if (devnet !== undefined) lines.push(...optimisticLines(devnet))
    else lines.push('', table([['L1 RPC', String(summary.l1Rpc)]]))
    if (zk !== undefined) {
      lines.push(
        '',
        'ZK rollup',
        table([
          ['ZK node RPC', zk.rpcUrl],
          ['ZkRollup (L1)', zk.deployment.rollup],
          [
            'circuit',
            `${zk.deployment.chunks} chunks per block, depth ${zk.deployment.depth} (${zk.circuit.constraints} constraints)`,
          ],
          ['setup', zk.setup.insecure ? 'INSECURE development setup (devnets only)' : 'from a ceremony ptau'],
          ['try', `l2kit zk deposit --zk-rpc ${zk.rpcUrl} --private-key <an L1 key> --amount 1`],
        ]),
      )
    }
    if (channels !== undefined) lines.push(...channelsLines(channels))
    if (plasma !== undefined) lines.push(...plasmaLines(plasma))
    if (sidechain !== undefined) lines.push(...sidechainLines(sidechain))
    if (dashboard.started) lines.push('', `Dashboard: ${dashboard.started.url}`)
    else if (dashboard.error) lines.push('', `Dashboard: not served (${dashboard.error})`)
    lines.push('', 'Ctrl-C stops everything.')
    process.stdout.write(`${lines.join('\n')}\n`)
  }
  await new Promise(() => undefined)
}

/**
 * The web dashboard for the running devnet, unless `--no-dashboard`. A dashboard that cannot be built or served
 * does not take the devnet down: the error is printed (and is `dashboardError` in the --json line).
 */
async function dashboardFor(
  args: ParsedArgs,
  summary: Record<string, unknown>,
  logger: Logger,
): Promise<{ started?: StartedDashboard; error?: string }> {
  if (args.values['no-dashboard'] === true) return {}
  const quiet = args.values.json === true
  try {
    return { started: await startDashboard(args, summary, logger, quiet ? () => undefined : progress) }
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err)
    logger.error({ err }, 'dashboard not served')
    return { error }
  }
}

function optimisticLines(devnet: Devnet): string[] {
  return [
    '',
    'l2kit devnet is up (optimistic rollup)',
    table([
      ['L1 RPC', devnet.l1Rpc],
      ['L2 RPC', devnet.l2Rpc],
      ['L2 chain id', String(devnet.chain.chainId)],
      ['Portal (L1)', devnet.contracts.portal],
      ['Rollup (L1)', devnet.contracts.rollup],
      ...(devnet.contracts.devToken
        ? ([
            ['DEV token (L1)', devnet.contracts.devToken],
            ['DEV token (L2)', DEV_TOKEN_L2_ADDRESS],
          ] as [string, string][])
        : []),
      ['Challenge window', `${devnet.node.challengeWindowSeconds} s`],
      [
        'Challenger',
        devnet.node.challenger ? 'on (checks every proposal against L1 data, challenges wrong ones)' : 'off',
      ],
      ['Data dir', devnet.dataDir],
    ]),
    '',
    devnet.accounts.length
      ? `Dev accounts (funded on L1, and with ${formatEther(100n * 10n ** 18n)} ETH + 1000 DEV deposited to L2):`
      : '',
    ...devnet.accounts.map((a, i) => `  (${i}) ${a.address}  key ${a.privateKey}`),
    '',
    'Add the L2 to a wallet with the RPC URL and chain id above.',
  ]
}

function channelsLines(net: ChannelsDevnet): string[] {
  const rows: [string, string][] = (['a', 'b', 'c'] as const).map((name) => [
    `node ${name.toUpperCase()}`,
    `RPC ${net.rpcUrls[name]}  peer ${net[name].peerAddress.slice(0, 16)}…${net[name].peerAddress.slice(-16)}`,
  ])
  return [
    '',
    'State channels',
    table([
      ...rows,
      ['watchtower', `RPC ${net.rpcUrls.tower} (A, B and C hand it their revocations)`],
      ['ChannelHub (L1)', net.hub],
      [
        'channels',
        `A–B ${net.channels.ab.slice(0, 12)}…, B–C ${net.channels.bc.slice(0, 12)}… (A pays C through B)`,
      ],
      [
        'try',
        `l2kit channels invoice --rpc ${net.rpcUrls.c} --amount 0.01, then l2kit channels pay <invoice> --rpc ${net.rpcUrls.a}`,
      ],
    ]),
  ]
}

function plasmaLines(net: PlasmaDevnet): string[] {
  return [
    '',
    'Plasma (More Viable Plasma)',
    table([
      ['operator RPC', net.rpcUrls.operator],
      [
        'watcher RPC',
        `${net.rpcUrls.watcher ?? 'not started'} (checks every block; exits ${net.watchedUsers.length} dev accounts if the operator cheats)`,
      ],
      ['PlasmaFramework (L1)', net.framework],
      ['exit period', `${net.exitPeriod} s`],
      [
        'try',
        `l2kit plasma deposit --amount 1 --private-key <dev key>, then l2kit plasma transfer --to 0x… --amount 0.1 --private-key <dev key>`,
      ],
    ]),
  ]
}

function sidechainLines(net: SidechainDevnet): string[] {
  return [
    '',
    `Sidechain (${net.validators.length} BFT validators, one process each; an EVM chain, id ${net.chainId})`,
    table([
      ...net.validators.map((x, i): [string, string] => [
        `validator ${i}`,
        `RPC ${x.rpcUrl}  p2p ${x.p2p}  ${x.address}`,
      ]),
      ['StakeManager (L1)', net.stakeManager],
      ['SidechainBridge (L1)', net.bridge],
      ['checkpoints', `every ${net.checkpointInterval} blocks, signed by > ⅔ of the stake`],
      [
        'wallets',
        `add the RPC URL of any validator with chain id ${net.chainId}; dev accounts 1–5 hold 1,000 ETH there`,
      ],
      [
        'try',
        'l2kit sidechain deposit --amount 1 --private-key <dev key> --wait, then l2kit sidechain withdraw --amount 0.5 --private-key <dev key>',
      ],
    ]),
  ]
}
