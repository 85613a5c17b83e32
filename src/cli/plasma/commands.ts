/** `l2kit plasma <command>`: the Plasma family's commands (each module is imported when it runs). */
import type { FlagSpec } from '../args.ts'
import type { Command, CommandContext } from '../command.ts'

export const PLASMA_ATTACKS = [
  'invalid-tx',
  'withhold',
  'spent-exit',
  'invalid-exit',
  'in-flight-double-spend',
] as const

export const plasmaDemoFlags: FlagSpec = {
  attack: {
    type: 'string',
    description: `instead: show one attack being caught (${PLASMA_ATTACKS.join(' | ')})`,
  },
  transfers: { type: 'string', description: 'transfers among the accounts (the honest run)', default: '20' },
  'exit-period': {
    type: 'string',
    description: 'exit period of the demo chain, seconds (time is warped)',
    default: '3600',
  },
}

export function plasmaCommands(ctx: CommandContext): Record<string, Command> {
  const ops = () => import('./ops.ts')
  return {
    operator: {
      summary:
        'run the Plasma operator (takes signed transfers, seals blocks, commits their roots to L1) until Ctrl-C',
      flags: async () => (await ops()).plasmaOperatorFlags,
      run: async (args) =>
        (await ops()).runPlasmaOperator(args, await ctx.loggerFor(args, 'l2kit'), ctx.onShutdown),
      examples: [
        'l2kit plasma operator --private-key 0x… --framework 0x… --deploy-block 12 --data-dir ./plasma',
      ],
    },
    watcher: {
      summary:
        'run a watcher: checks every block against L1, challenges bad exits, mass-exits its users when the operator cheats or withholds',
      flags: async () => (await ops()).plasmaWatcherFlags,
      run: async (args) =>
        (await ops()).runPlasmaWatcher(args, await ctx.loggerFor(args, 'l2kit'), ctx.onShutdown),
      examples: ['l2kit plasma watcher --private-key 0x… --users 0x…,0x… --operator http://127.0.0.1:8571'],
    },
    deposit: {
      summary:
        'deposit ETH (or an ERC-20) from L1 into the Plasma chain (one L1 transaction; its own deposit block)',
      flags: async () => (await ops()).plasmaDepositFlags,
      run: async (args) => (await ops()).runPlasmaDeposit(args),
      examples: [
        'l2kit plasma deposit --amount 1 --private-key 0x…',
        'l2kit plasma deposit --amount 100 --token DEV --json',
      ],
    },
    transfer: {
      summary:
        'pay someone on the Plasma chain (inputs signed as EIP-712 typed data; the operator answers once stored)',
      flags: async () => (await ops()).plasmaTransferFlags,
      run: async (args) => (await ops()).runPlasmaTransfer(args),
      examples: ['l2kit plasma transfer --to 0x… --amount 0.1 --private-key 0x…'],
    },
    exit: {
      summary:
        'exit outputs to L1 (default: every committed output of the key): starts the exits with their bond, counts down the exit period, then processes them',
      flags: async () => (await ops()).plasmaExitFlags,
      run: async (args) => (await ops()).runPlasmaExit(args),
      examples: [
        'l2kit plasma exit --private-key 0x…',
        'l2kit plasma exit --utxo 2000000000000 --no-wait --json',
      ],
    },
    'process-exits': {
      summary: 'pay every exit whose exit period is over, oldest output first (anyone may call it)',
      flags: async () => (await ops()).plasmaProcessFlags,
      run: async (args) => (await ops()).runPlasmaProcessExits(args),
      examples: ['l2kit plasma process-exits --private-key 0x…'],
    },
    status: {
      summary:
        "the operator's chain (open block, outputs), the watcher's findings and actions, and an account's outputs",
      flags: async () => (await ops()).plasmaStatusFlags,
      run: async (args) => (await ops()).runPlasmaStatus(args),
      examples: ['l2kit plasma status', 'l2kit plasma status --address 0x… --json'],
    },
    demo: {
      summary:
        'scripted run on a fresh anvil: deposits, transfers among several accounts, blocks committed to L1, an exit after the exit period, L1 cost beside L1 transfers and the optimistic rollup',
      flags: async () => plasmaDemoFlags,
      run: async (args) =>
        (await import('./demo.ts')).runPlasmaDemo(args, await ctx.loggerFor(args, 'l2kit'), ctx.onShutdown),
      examples: [
        'l2kit plasma demo',
        'l2kit plasma demo --json',
        ...PLASMA_ATTACKS.map((a) => `l2kit plasma demo --attack ${a} --json`),
      ],
    },
  }
}
