/** `l2kit`: one file per command; this file only dispatches and turns errors into clear messages. */
import { isL2kitError } from '../core/errors.ts'
import type { Logger } from '../node/logger.ts'
import { type FlagSpec, helpText, type ParsedArgs, parseCommandArgs, str } from './args.ts'
import * as flags from './flags.ts'

// Only what `--help` and argument parsing need is imported statically; each command's module (viem, the node,
// LMDB, KZG) is imported when it runs, so a plain call does not pay for all of them.

type Command = {
  summary: string
  flags: () => Promise<FlagSpec>
  run: (args: ParsedArgs) => Promise<void>
  examples?: string[]
}

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
  demo: {
    summary:
      'scripted end-to-end run on a fresh devnet: deposit, transfer, blob batch, verify, withdraw, costs',
    flags: async () => flags.demoFlags,
    run: async (args) =>
      (await import('./demo.ts')).runDemo(args, await loggerFor(args, 'l2kit'), onShutdown),
    examples: ['l2kit demo', 'l2kit demo --attack wrong-balance', 'l2kit demo --attack garbage-batch --json'],
  },
  challenger: {
    summary: 'follow L1, recompute every proposed state root from L1 data, and challenge wrong ones',
    flags: async () => flags.challengerFlags,
    run: async (args) =>
      (await import('./challenger.ts')).runChallenger(args, await loggerFor(args, 'challenger'), onShutdown),
    examples: [
      'l2kit challenger --private-key 0x…',
      'l2kit challenger --private-key 0x… --l2-rpc http://host:8547',
    ],
  },
  force: {
    summary: 'censorship resistance: queue an L2 transfer/withdrawal on L1 and force it in after the window',
    flags: async () => flags.forceFlags,
    run: async (args) => (await import('./force.ts')).runForce(args),
    examples: [
      'l2kit force --private-key 0x… --withdraw --amount 1',
      'l2kit force --private-key 0x… --to 0x… --amount 0.1',
      'l2kit force --private-key 0x… --include-only',
    ],
  },
  deposit: {
    summary: 'deposit ETH or an ERC-20 from L1 to L2',
    flags: async () => flags.depositFlags,
    run: async (args) => (await import('./deposit.ts')).runDeposit(args),
    examples: [
      'l2kit deposit --private-key 0x… --amount 1.5',
      'l2kit deposit --private-key 0x… --token DEV --amount 100',
    ],
  },
  transfer: {
    summary: 'send ETH or a bridged ERC-20 on L2',
    flags: async () => flags.transferFlags,
    run: async (args) => (await import('./transfer.ts')).runTransfer(args),
    examples: [
      'l2kit transfer --private-key 0x… --to 0x… --amount 0.1',
      'l2kit transfer --private-key 0x… --to 0x… --token DEV --amount 5',
    ],
  },
  withdraw: {
    summary: 'withdraw from L2 to L1: start, wait out the challenge window, finalize',
    flags: async () => flags.withdrawFlags,
    run: async (args) => (await import('./withdraw.ts')).runWithdraw(args),
    examples: ['l2kit withdraw --private-key 0x… --amount 0.5'],
  },
  status: {
    summary: 'rollup status: heads, last batch and its blobs, proposals, verifier agreement',
    flags: async () => flags.statusFlags,
    run: async (args) => (await import('./status.ts')).runStatus(args),
    examples: ['l2kit status', 'l2kit status --json'],
  },
  bench: {
    summary:
      'measure throughput, L1 bytes and gas per transfer, latencies; writes bench/results/optimistic.json',
    flags: async () => (await import('../../bench/optimistic.ts')).benchFlags,
    run: async (args) =>
      (await import('../../bench/optimistic.ts')).runBench(args, await loggerFor(args, 'bench'), onShutdown),
  },
}

function usage(): string {
  const w = Math.max(...Object.keys(commands).map((c) => c.length))
  return [
    'l2kit — real Layer 2 networks on a real Ethereum L1',
    '',
    'Usage: l2kit <command> [options]     (l2kit <command> --help for its options)',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(w)}  ${c.summary}`),
  ].join('\n')
}

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2)
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`)
    return
  }
  const command = commands[name]
  if (!command) {
    process.stderr.write(`l2kit: unknown command "${name}"\n\n${usage()}\n`)
    process.exitCode = 2
    return
  }
  const spec = await command.flags()
  const args = parseCommandArgs(rest, spec)
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
