/** `l2kit optimistic <command>`: the optimistic rollup's commands (each module is imported when it runs). */
import type { Command, CommandContext } from '../command.ts'
import * as flags from '../flags.ts'

export function optimisticCommands(ctx: CommandContext): Record<string, Command> {
  return {
    demo: {
      summary:
        'scripted end-to-end run on a fresh devnet: deposit, transfer, blob batch, verify, withdraw, costs',
      flags: async () => flags.demoFlags,
      run: async (args) =>
        (await import('./demo.ts')).runDemo(args, await ctx.loggerFor(args, 'l2kit'), ctx.onShutdown),
      examples: [
        'l2kit optimistic demo',
        'l2kit optimistic demo --attack wrong-balance',
        'l2kit optimistic demo --attack garbage-batch --json',
      ],
    },
    challenger: {
      summary: 'follow L1, recompute every proposed state root from L1 data, and challenge wrong ones',
      flags: async () => flags.challengerFlags,
      run: async (args) =>
        (await import('./challenger.ts')).runChallenger(
          args,
          await ctx.loggerFor(args, 'challenger'),
          ctx.onShutdown,
        ),
      examples: [
        'l2kit optimistic challenger --private-key 0x…',
        'l2kit optimistic challenger --private-key 0x… --l2-rpc http://host:8547',
      ],
    },
    force: {
      summary:
        'censorship resistance: queue an L2 transfer/withdrawal on L1 and force it in after the window',
      flags: async () => flags.forceFlags,
      run: async (args) => (await import('./force.ts')).runForce(args),
      examples: [
        'l2kit optimistic force --private-key 0x… --withdraw --amount 1',
        'l2kit optimistic force --private-key 0x… --to 0x… --amount 0.1',
        'l2kit optimistic force --private-key 0x… --include-only',
      ],
    },
    deposit: {
      summary: 'deposit ETH or an ERC-20 from L1 to L2',
      flags: async () => flags.depositFlags,
      run: async (args) => (await import('./deposit.ts')).runDeposit(args),
      examples: [
        'l2kit optimistic deposit --private-key 0x… --amount 1.5',
        'l2kit optimistic deposit --private-key 0x… --token DEV --amount 100',
      ],
    },
    transfer: {
      summary: 'send ETH or a bridged ERC-20 on L2',
      flags: async () => flags.transferFlags,
      run: async (args) => (await import('./transfer.ts')).runTransfer(args),
      examples: [
        'l2kit optimistic transfer --private-key 0x… --to 0x… --amount 0.1',
        'l2kit optimistic transfer --private-key 0x… --to 0x… --token DEV --amount 5',
      ],
    },
    withdraw: {
      summary: 'withdraw from L2 to L1: start, wait out the challenge window, finalize',
      flags: async () => flags.withdrawFlags,
      run: async (args) => (await import('./withdraw.ts')).runWithdraw(args),
      examples: ['l2kit optimistic withdraw --private-key 0x… --amount 0.5'],
    },
    status: {
      summary: 'rollup status: heads, last batch and its blobs, proposals, verifier agreement',
      flags: async () => flags.statusFlags,
      run: async (args) => (await import('../status.ts')).runStatus(args),
      examples: ['l2kit optimistic status', 'l2kit optimistic status --json'],
    },
  }
}
