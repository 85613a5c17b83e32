/** `l2kit up`: the whole devnet (embedded anvil by default), running until Ctrl-C / SIGTERM. */
import { formatEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { L2kitError } from '../core/errors.ts'
import type { Hex } from '../core/types.ts'
import { ANVIL_DEV_ACCOUNTS } from '../l1/anvil.ts'
import type { Logger } from '../node/logger.ts'
import { type BatchDataMode, DEV_TOKEN_L2_ADDRESS } from '../optimistic/config.ts'
import { type Devnet, startDevnet } from '../optimistic/devnet.ts'
import { parseFaultKind } from '../optimistic/faults.ts'
import { num, type ParsedArgs, str } from './args.ts'
import { printJson, progress, table } from './output.ts'

/** The operator's address (the attacker of an injected fault): the given key's, or anvil account 0's. */
function privateKeyToAddress(key: string | undefined): Hex {
  return key ? privateKeyToAccount(key as Hex).address : (ANVIL_DEV_ACCOUNTS[0]?.address as Hex)
}

export type UpResult = { devnet: Devnet; summary: Record<string, unknown> }

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
  if (!chosen.includes('optimistic'))
    throw new L2kitError(
      'INVALID_ARGUMENTS',
      '--family: choose at least one family that l2kit has (optimistic)',
    )
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
  const families = {
    optimistic: {
      l2Rpc: summary.l2Rpc,
      l2ChainId: summary.l2ChainId,
      contracts: summary.contracts,
      challengeWindowSeconds: Number(devnet.node.challengeWindowSeconds),
      challenger: summary.challenger,
    },
  }
  return { devnet, summary: { ...summary, families } }
}

/** Every family l2kit knows, and the ones built so far (`l2kit up` starts the built ones by default). */
export const FAMILIES = ['optimistic', 'zk', 'channels', 'plasma', 'sidechain'] as const
export const BUILT_FAMILIES: readonly (typeof FAMILIES)[number][] = ['optimistic']

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
  const { devnet, summary } = await startFromArgs(args, logger, args.values.json === true)
  onShutdown(() => devnet.stop())
  if (args.values.json === true) {
    printJson({ ready: true, ...summary })
  } else {
    const lines = [
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
          devnet.node.challenger
            ? 'on (checks every proposal against L1 data, challenges wrong ones)'
            : 'off',
        ],
        ['Data dir', devnet.dataDir],
      ]),
      '',
      devnet.accounts.length
        ? `Dev accounts (funded on L1, and with ${formatEther(100n * 10n ** 18n)} ETH + 1000 DEV deposited to L2):`
        : '',
      ...devnet.accounts.map((a, i) => `  (${i}) ${a.address}  key ${a.privateKey}`),
      '',
      'Add the L2 to a wallet with the RPC URL and chain id above. Ctrl-C stops everything.',
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
  }
  await new Promise(() => undefined)
}
