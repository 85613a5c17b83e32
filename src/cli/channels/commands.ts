/** `l2kit channels <command>`: the state channels' commands (each module is imported when it runs). */
import type { FlagSpec } from '../args.ts'
import type { Command, CommandContext } from '../command.ts'

export const CHANNEL_ATTACKS = ['old-state', 'old-state-offline', 'withhold-preimage'] as const

export const channelsDemoFlags: FlagSpec = {
  attack: {
    type: 'string',
    description: `instead: show one attack being caught (${CHANNEL_ATTACKS.join(' | ')})`,
  },
  payments: { type: 'string', description: 'invoice payments A → B → C in the honest run', default: '20' },
}

export function channelsCommands(ctx: CommandContext): Record<string, Command> {
  return {
    demo: {
      summary:
        'scripted run on a fresh anvil: nodes A, B, C and a watchtower, channels A–B and B–C, invoice payments routed A → B → C, cooperative closes, gas beside L1 transfers',
      flags: async () => channelsDemoFlags,
      run: async (args) =>
        (await import('./demo.ts')).runChannelsDemo(args, await ctx.loggerFor(args, 'l2kit'), ctx.onShutdown),
      examples: [
        'l2kit channels demo',
        'l2kit channels demo --json',
        'l2kit channels demo --attack old-state --json',
        'l2kit channels demo --attack old-state-offline --json',
        'l2kit channels demo --attack withhold-preimage --json',
      ],
    },
  }
}
