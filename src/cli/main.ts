/** `l2kit`: one file per command; this file only dispatches and turns errors into clear messages. */
import { isL2kitError, L2kitError } from '../core/errors.ts'
import type { Logger } from '../node/logger.ts'
import { type FlagSpec, helpText, type ParsedArgs, parseCommandArgs, str } from './args.ts'
import { channelsCommands } from './channels/commands.ts'
import type { Command } from './command.ts'
import * as flags from './flags.ts'
import { optimisticCommands } from './optimistic/commands.ts'
import { plasmaCommands } from './plasma/commands.ts'
import { sidechainCommands } from './sidechain/commands.ts'
import { zkCommands } from './zk/commands.ts'

// Only what `--help` and argument parsing need is imported statically; each command's module (viem, the node,
// LMDB, KZG) is imported when it runs, so a plain call does not pay for all of them.

const shutdownHooks: (() => Promise<void>)[] = []
let shuttingDown = false
function onShutdown(fn: () => Promise<void>): void {
  shutdownHooks.push(fn)
}
/** Runs the shutdown hooks once (newest first: the node before its anvil, temp dirs last) and exits. */
async function shutdown(code: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true
    for (const fn of shutdownHooks.reverse()) await fn().catch(() => undefined)
  }
  process.exit(code)
}
const signalExitCodes = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const
// SIGTERM and SIGHUP as well as Ctrl-C: a service manager, `kill`, or a closed terminal must stop the node and
// its anvil too, not leave them running. A second signal exits at once.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (shuttingDown) process.exit(signalExitCodes[sig])
    process.stderr.write(`\n» ${sig}: stopping everything l2kit started…\n`)
    void shutdown(0)
  })
}
// Started by a wrapper (`npm start`, `npx`) that was killed without passing the signal on: we are re-parented,
// so stop as if signalled rather than keep a node and an anvil running that nobody can reach with Ctrl-C.
const parentPid = process.ppid
setInterval(() => {
  if (!shuttingDown && process.ppid !== parentPid) {
    process.stderr.write('\n» parent process gone: stopping everything l2kit started…\n')
    void shutdown(143)
  }
}, 500).unref()

async function loggerFor(args: ParsedArgs, name: string): Promise<Logger> {
  const { createLogger } = await import('../node/logger.ts')
  const level = str(args.values['log-level']) ?? 'info'
  return createLogger({
    name,
    level: level as 'info',
    destination: 'stderr',
    pretty: process.stderr.isTTY === true || args.values.json !== true,
  })
}

const commands: Record<string, Command> = {
  up: {
    summary:
      'start an L1 (embedded anvil unless --l1-rpc), deploy the rollup, run sequencer/batcher/proposer/verifier',
    flags: async () => flags.upFlags,
    run: async (args) => (await import('./up.ts')).runUp(args, await loggerFor(args, 'l2kit'), onShutdown),
    examples: [
      'l2kit up',
      'l2kit up --json',
      'l2kit up --l1-rpc http://127.0.0.1:8545 --private-key 0x… --data-dir ./devnet',
    ],
  },
  status: {
    summary: 'rollup status: heads, last batch and its blobs, proposals, verifier agreement',
    flags: async () => flags.statusFlags,
    run: async (args) => (await import('./status.ts')).runStatus(args),
    examples: ['l2kit status', 'l2kit status --json'],
  },
  bench: {
    summary:
      'measure every built family (throughput, L1 bytes and gas per transfer, latencies, proofs); writes bench/results/<family>.json',
    flags: async () => ({
      ...(await importBench('optimistic')).benchFlags,
      family: {
        type: 'string',
        description:
          'families to measure, comma separated (default: optimistic,zk,channels,plasma,sidechain,compare; each with its default workload; compare = `l2kit compare`, last)',
      },
    }),
    run: async (args) => {
      const chosen = (str(args.values.family) ?? 'optimistic,zk,channels,plasma,sidechain,compare')
        .split(',')
        .map((f) => f.trim().toLowerCase())
      for (const family of chosen) {
        if (!BENCH_FAMILIES.includes(family as BenchFamily)) {
          throw new L2kitError(
            'INVALID_ARGUMENTS',
            `--family: no bench for "${family}" (benches: ${BENCH_FAMILIES.join(', ')})`,
          )
        }
      }
      for (const family of chosen) {
        const bench = await importBench(family as BenchFamily)
        // the optimistic bench takes the top-level flags; another family runs with its defaults
        // (its own flags: l2kit <family> bench --help)
        const familyArgs = family === 'optimistic' ? args : parseCommandArgs([], bench.benchFlags)
        await bench.runBench(familyArgs, await loggerFor(args, 'bench'), onShutdown)
      }
    },
  },
  compare: {
    summary:
      'every family on one L1, the same workload side by side: throughput, L1 gas/bytes/USD per transfer, deposit and withdrawal times, attacks; writes bench/results/compare.{json,md} and SVG charts',
    flags: async () => (await import('./compare.ts')).compareFlags,
    run: async (args) => {
      await (await import('./compare.ts')).runCompare(args, await loggerFor(args, 'compare'))
    },
    examples: [
      'l2kit compare',
      'l2kit compare --family optimistic,zk --transfers 100',
      'l2kit compare --no-attacks --eth-usd 2500 --blob-fee-gwei 1',
    ],
  },
  choose: {
    summary:
      'which L2 should I choose? a ranked answer, with the measured numbers, from bench/results/compare.json',
    flags: async () => (await import('./compare.ts')).chooseFlags,
    run: async (args) => (await import('./compare.ts')).runChoose(args),
    examples: [
      'l2kit choose',
      'l2kit choose --need-evm --max-withdrawal-delay 1h',
      'l2kit choose --trust rollup --payments-per-day 1000 --json',
    ],
  },
}

/** Each family's commands, run as `l2kit <family> <command>`. */
const families: Record<string, { summary: string; commands: Record<string, Command> }> = {
  channels: {
    summary:
      'state channels: Lightning-style payments on L1-funded channels, onion-routed HTLCs, penalties, a watchtower',
    commands: {
      ...channelsCommands({ loggerFor, onShutdown }),
      bench: {
        summary:
          'measure the channels (persisted payments/s per channel, 2-hop latency, gas of every on-chain step); writes bench/results/channels.json',
        flags: async () => (await importBench('channels')).benchFlags,
        run: async (args) =>
          (await importBench('channels')).runBench(args, await loggerFor(args, 'bench'), onShutdown),
        examples: ['l2kit channels bench', 'l2kit channels bench --payments 5000 --multi-hop 50'],
      },
    },
  },
  plasma: {
    summary:
      'Plasma (More Viable Plasma): block roots on L1, EIP-712 UTXO transfers, exits with bonds and challenges, a watcher that mass-exits',
    commands: {
      ...plasmaCommands({ loggerFor, onShutdown }),
      bench: {
        summary:
          'measure the Plasma chain (operator transfers/s, L1 gas and bytes per transfer, gas of every exit-game step, mass exit); writes bench/results/plasma.json',
        flags: async () => (await importBench('plasma')).benchFlags,
        run: async (args) =>
          (await importBench('plasma')).runBench(args, await loggerFor(args, 'bench'), onShutdown),
        examples: ['l2kit plasma bench', 'l2kit plasma bench --transfers 50000'],
      },
    },
  },
  sidechain: {
    summary:
      'sidechain (Polygon PoS / Gnosis style): its own BFT validators staked on L1, a real EVM, checkpoints and a ⅔-quorum bridge',
    commands: {
      ...sidechainCommands({ loggerFor, onShutdown }),
      bench: {
        summary:
          'measure the sidechain (committed EVM transfers/s with 4 validator processes, finality p50/p99, checkpoint gas, bridge latencies, the anvil baseline); writes bench/results/sidechain.json',
        flags: async () => (await importBench('sidechain')).benchFlags,
        run: async (args) =>
          (await importBench('sidechain')).runBench(args, await loggerFor(args, 'bench'), onShutdown),
        examples: ['l2kit sidechain bench', 'l2kit sidechain bench --transfers 20000 --block-time-ms 500'],
      },
    },
  },
  optimistic: {
    summary: 'optimistic rollup: deposit, transfer, withdraw, force inclusion, challenger, demo and attacks',
    commands: optimisticCommands({ loggerFor, onShutdown }),
  },
  zk: {
    summary: 'ZK rollup: validity proofs on L1, 10-byte transfers, keys from wallet signatures, exodus mode',
    commands: {
      ...zkCommands({ loggerFor, onShutdown }),
      bench: {
        summary:
          'measure the ZK rollup (constraints, proof time, proven TPS per prover, L1 gas per transfer); writes bench/results/zk.json',
        flags: async () => (await importBench('zk')).benchFlags,
        run: async (args) =>
          (await importBench('zk')).runBench(args, await loggerFor(args, 'bench'), onShutdown),
        examples: ['l2kit zk bench', 'l2kit zk bench --chunks 8 --depth 16 --blocks 4'],
      },
    },
  },
}

/** Top-level commands from before the families: aliases of the optimistic rollup's, so scripts keep working. */
const ALIASES = ['demo', 'challenger', 'force', 'deposit', 'transfer', 'withdraw'] as const
for (const name of ALIASES) {
  const c = families.optimistic?.commands[name]
  if (c) commands[name] = { ...c, summary: `${c.summary} (= l2kit optimistic ${name})` }
}

/**
 * The bench harness lives in bench/ (a tool beside the library: src never imports it); \`l2kit bench\` loads it
 * at run time from the source tree.
 */
type BenchModule = {
  benchFlags: FlagSpec
  runBench: (args: ParsedArgs, logger: Logger, onShutdown: (fn: () => Promise<void>) => void) => Promise<void>
}

const BENCH_FAMILIES = ['optimistic', 'zk', 'channels', 'plasma', 'sidechain', 'compare'] as const
type BenchFamily = (typeof BENCH_FAMILIES)[number]

async function importBench(family: BenchFamily): Promise<BenchModule> {
  const entry = new URL(['..', '..', 'bench', family, 'bench.ts'].join('/'), import.meta.url)
  return (await import(entry.href)) as BenchModule
}

function usage(): string {
  const w = Math.max(...[...Object.keys(commands), ...Object.keys(families)].map((c) => c.length))
  return [
    'l2kit — real Layer 2 networks on a real Ethereum L1',
    '',
    'Usage: l2kit <command> [options]            (l2kit <command> --help for its options)',
    '       l2kit <family> <command> [options]   (l2kit <family> --help for its commands)',
    '',
    'Families:',
    ...Object.entries(families).map(([name, f]) => `  ${name.padEnd(w)}  ${f.summary}`),
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(w)}  ${c.summary}`),
  ].join('\n')
}

function familyUsage(name: string, f: { summary: string; commands: Record<string, Command> }): string {
  const w = Math.max(...Object.keys(f.commands).map((c) => c.length))
  return [
    `l2kit ${name} — ${f.summary}`,
    '',
    `Usage: l2kit ${name} <command> [options]     (l2kit ${name} <command> --help for its options)`,
    '',
    'Commands:',
    ...Object.entries(f.commands).map(([c, x]) => `  ${c.padEnd(w)}  ${x.summary}`),
  ].join('\n')
}

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2)
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`)
    return
  }
  const family = families[name]
  if (family) {
    const [sub, ...subRest] = rest
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      process.stdout.write(`${familyUsage(name, family)}\n`)
      return
    }
    const command = family.commands[sub]
    if (!command) {
      process.stderr.write(`l2kit: unknown ${name} command "${sub}"\n\n${familyUsage(name, family)}\n`)
      process.exitCode = 2
      return
    }
    return runCommand(`${name} ${sub}`, command, subRest)
  }
  const command = commands[name]
  if (!command) {
    process.stderr.write(`l2kit: unknown command "${name}"\n\n${usage()}\n`)
    process.exitCode = 2
    return
  }
  return runCommand(name, command, rest)
}

async function runCommand(name: string, command: Command, argv: string[]): Promise<void> {
  const spec = await command.flags()
  const args = parseCommandArgs(argv, spec)
  if (args.values.verbose === true) verbose = true
  if (args.values.help === true) {
    process.stdout.write(`${helpText(name, command.summary, spec, command.examples)}\n`)
    return
  }
  await command.run(args)
}

let verbose = process.env.DEBUG !== undefined && process.env.DEBUG !== ''
main().then(
  () => shutdown(Number(process.exitCode ?? 0)),
  (err: unknown) => {
    process.stderr.write(`${describeError(err, verbose || process.argv.includes('--verbose'))}\n`)
    void shutdown(1)
  },
)

/** One clear line for a person; the stack only with --verbose or DEBUG set (it helps developers, not users). */
function describeError(err: unknown, withStack: boolean): string {
  const stack = withStack && err instanceof Error && err.stack ? `\n${err.stack}` : ''
  if (isL2kitError(err)) return `l2kit: ${err.message} [${err.code}]${stack}`
  const first = err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err)
  return `l2kit: unexpected error: ${first}${stack || ' (run again with --verbose for details)'}`
}
