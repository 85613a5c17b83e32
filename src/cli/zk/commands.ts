/** `l2kit zk <command>`: the ZK rollup's commands (each module is imported when it runs). */

import type { FlagSpec } from '../args.ts'
import type { Command, CommandContext } from '../command.ts'

const ATTACKS = 'invalid-proof | wrong-root | censor-exit | operator-gone'

export const zkDemoFlags: FlagSpec = {
  attack: { type: 'string', description: `instead: show one attack being caught (${ATTACKS})` },
  chunks: {
    type: 'string',
    description: 'chunks per block (the circuit size; bigger = slower setup and proofs)',
    default: '3',
  },
  depth: { type: 'string', description: 'account tree depth', default: '4' },
  provers: { type: 'string', description: 'prover worker processes', default: '1' },
  'l1-rpc': { type: 'string', description: 'use this L1 instead of starting an anvil' },
}

export function zkCommands(ctx: CommandContext): Record<string, Command> {
  const ops = () => import('./ops.ts')
  return {
    demo: {
      summary:
        'scripted run on a fresh anvil: keys from wallet signatures, deposits, transfers, proofs verified on L1, a withdrawal final at proof time, costs',
      flags: async () => zkDemoFlags,
      run: async (args) =>
        (await import('./demo.ts')).runZkDemo(args, await ctx.loggerFor(args, 'l2kit'), ctx.onShutdown),
      examples: [
        'l2kit zk demo',
        'l2kit zk demo --json',
        'l2kit zk demo --attack censor-exit --json',
        'l2kit zk demo --chunks 8 --depth 16',
      ],
    },
    deposit: {
      summary: 'deposit ETH from L1 (registers your L2 key, derived from a signature of your L1 key)',
      flags: async () => (await ops()).zkDepositFlags,
      run: async (args) => (await ops()).runZkDeposit(args),
      examples: ['l2kit zk deposit --private-key 0x… --amount 1.5'],
    },
    transfer: {
      summary: 'send ETH on the ZK rollup (soft-confirmed at once; --wait verified waits for the proof)',
      flags: async () => (await ops()).zkTransferFlags,
      run: async (args) => (await ops()).runZkTransfer(args),
      examples: [
        'l2kit zk transfer --private-key 0x… --to 0x… --amount 0.1',
        'l2kit zk transfer --private-key 0x… --to 3 --amount 0.1 --wait verified',
      ],
    },
    withdraw: {
      summary: 'withdraw to L1: paid as soon as the block proof verifies (no challenge window)',
      flags: async () => (await ops()).zkWithdrawFlags,
      run: async (args) => (await ops()).runZkWithdraw(args),
      examples: ['l2kit zk withdraw --private-key 0x… --amount 0.5'],
    },
    'full-exit': {
      summary:
        'ask L1 to force the withdrawal of your whole balance (the operator must process it by a deadline)',
      flags: async () => (await ops()).zkFullExitFlags,
      run: async (args) => (await ops()).runZkFullExit(args),
      examples: ['l2kit zk full-exit --private-key 0x…'],
    },
    'exodus-withdraw': {
      summary:
        'exodus mode: take your verified balance out with a Merkle proof rebuilt from L1 data alone (no operator needed)',
      flags: async () => (await ops()).zkExodusFlags,
      run: async (args) => (await ops()).runZkExodusWithdraw(args),
      examples: ['l2kit zk exodus-withdraw --private-key 0x… --l1-rpc http://127.0.0.1:8545 --rollup 0x…'],
    },
    status: {
      summary: 'ZK node status: blocks sealed / committed / verified, prove backlog, L1 requests',
      flags: async () => (await ops()).zkStatusFlags,
      run: async (args) => (await ops()).runZkStatus(args),
      examples: ['l2kit zk status', 'l2kit zk status --json'],
    },
  }
}
