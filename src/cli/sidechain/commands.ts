/** `l2kit sidechain <command>`: the sidechain family's commands (each module is imported when it runs). */
import type { FlagSpec } from '../args.ts'
import type { Command, CommandContext } from '../command.ts'

export const SIDECHAIN_ATTACKS = [
  'validator-down',
  'equivocate',
  'minority-forgery',
  'majority-theft',
] as const

export const sidechainDemoFlags: FlagSpec = {
  attack: {
    type: 'string',
    description: `instead: show one attack and what happens (${SIDECHAIN_ATTACKS.join(' | ')})`,
  },
  transfers: { type: 'string', description: 'ETH and ERC-20 transfers in the honest run', default: '40' },
}

export function sidechainCommands(ctx: CommandContext): Record<string, Command> {
  const ops = () => import('./ops.ts')
  return {
    validator: {
      summary:
        'run one sidechain validator (BFT consensus over BOLT 8, the EVM, its JSON-RPC, checkpoints to L1) until Ctrl-C',
      flags: async () => (await ops()).sidechainValidatorFlags,
      run: async (args) =>
        (await ops()).runSidechainValidator(args, await ctx.loggerFor(args, 'l2kit'), ctx.onShutdown),
      examples: ['l2kit sidechain validator --config .l2kit/sidechain/validator-0.json'],
    },
    deposit: {
      summary:
        'deposit ETH from L1 into the sidechain (locked in the L1 bridge, minted once the validators see it)',
      flags: async () => (await ops()).sidechainDepositFlags,
      run: async (args) => (await ops()).runSidechainDeposit(args),
      examples: ['l2kit sidechain deposit --amount 1 --private-key 0x… --wait'],
    },
    withdraw: {
      summary:
        'withdraw ETH to L1: burnt on the sidechain, paid on L1 against the next checkpoint signed by > ⅔ of the stake',
      flags: async () => (await ops()).sidechainWithdrawFlags,
      run: async (args) => (await ops()).runSidechainWithdraw(args),
      examples: [
        'l2kit sidechain withdraw --amount 0.5 --private-key 0x…',
        'l2kit sidechain withdraw --id 3 --private-key 0x… --json',
      ],
    },
    validators: {
      summary: 'the validator set: stake (voting power), proposer priority, who is connected',
      flags: async () => ({ rpc: (await ops()).sidechainStatusFlags.rpc as FlagSpec[string] }),
      run: async (args) => (await ops()).runSidechainValidators(args),
      examples: ['l2kit sidechain validators', 'l2kit sidechain validators --json'],
    },
    status: {
      summary:
        "a validator's view: height, round, peers, mempool, checkpoints on L1, the contracts; an account's balance",
      flags: async () => (await ops()).sidechainStatusFlags,
      run: async (args) => (await ops()).runSidechainStatus(args),
      examples: ['l2kit sidechain status', 'l2kit sidechain status --address 0x… --json'],
    },
    demo: {
      summary:
        'scripted run on a fresh anvil with 4 validators: deposit, deploy and use an ERC-20, transfers, a checkpoint on L1, a withdrawal proven against it; or an attack',
      flags: async () => sidechainDemoFlags,
      run: async (args) =>
        (await import('./demo.ts')).runSidechainDemo(
          args,
          await ctx.loggerFor(args, 'l2kit'),
          ctx.onShutdown,
        ),
      examples: [
        'l2kit sidechain demo',
        'l2kit sidechain demo --json',
        ...SIDECHAIN_ATTACKS.map((a) => `l2kit sidechain demo --attack ${a} --json`),
      ],
    },
  }
}
