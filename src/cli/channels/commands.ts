/** `l2kit channels <command>`: the state channels' commands (each module is imported when it runs). */
import type { FlagSpec } from '../args.ts'
import type { Command, CommandContext } from '../command.ts'

export const CHANNEL_ATTACKS = [
  'old-state',
  'old-state-offline',
  'withhold-preimage',
  'crash-mid-payment',
] as const

export const channelsDemoFlags: FlagSpec = {
  attack: {
    type: 'string',
    description: `instead: show one attack being caught (${CHANNEL_ATTACKS.join(' | ')})`,
  },
  payments: {
    type: 'string',
    description: 'invoice payments A → B → C (the honest run, and crash-mid-payment)',
    default: '20',
  },
}

export function channelsCommands(ctx: CommandContext): Record<string, Command> {
  const ops = () => import('./ops.ts')
  return {
    node: {
      summary: 'run one channel node (its own key, LMDB store, BOLT 8 peer port, JSON-RPC) until Ctrl-C',
      flags: async () => (await ops()).channelsNodeFlags,
      run: async (args) =>
        (await ops()).runChannelsNode(args, await ctx.loggerFor(args, 'l2kit'), ctx.onShutdown),
      examples: [
        'l2kit channels node --private-key 0x… --data-dir ./alice --join http://127.0.0.1:8561 --connect <nodeId>@127.0.0.1:40000',
        'l2kit channels node --private-key 0x… --data-dir ./bob --hub 0x… --registry 0x… --rpc-port 8570 --watchtower http://127.0.0.1:8564',
      ],
    },
    watchtower: {
      summary:
        'run a watchtower: takes revocations from nodes (tower_watch) and penalises an old-state close while they are offline',
      flags: async () => (await ops()).channelsWatchtowerFlags,
      run: async (args) =>
        (await ops()).runChannelsWatchtower(args, await ctx.loggerFor(args, 'l2kit'), ctx.onShutdown),
      examples: [
        'l2kit channels watchtower --private-key 0x… --data-dir ./tower --join http://127.0.0.1:8561',
      ],
    },
    connect: {
      summary: 'connect the node to a peer (authenticated, encrypted BOLT 8 link)',
      flags: async () => (await ops()).channelsConnectFlags,
      run: async (args) => (await ops()).runChannelsConnect(args),
      examples: ['l2kit channels connect --peer <nodeId>@127.0.0.1:40000'],
    },
    open: {
      summary: 'open and fund a channel on L1 with a peer (the node locks --amount; one L1 transaction)',
      flags: async () => (await ops()).channelsOpenFlags,
      run: async (args) => (await ops()).runChannelsOpen(args),
      examples: [
        'l2kit channels open --peer <nodeId>@127.0.0.1:40000 --amount 1',
        'l2kit channels open --peer <nodeId>@127.0.0.1:40000 --amount 100 --token 0x… --json',
      ],
    },
    invoice: {
      summary: 'issue an invoice (bech32, signed by this node): prints the string to pay',
      flags: async () => (await ops()).channelsInvoiceFlags,
      run: async (args) => (await ops()).runChannelsInvoice(args),
      examples: ['l2kit channels invoice --rpc http://127.0.0.1:8563 --amount 0.01 --description coffee'],
    },
    pay: {
      summary: 'pay an invoice over the cheapest route (onion-routed HTLCs); prints the preimage',
      flags: async () => (await ops()).channelsPayFlags,
      run: async (args) => (await ops()).runChannelsPay(args),
      examples: [
        'l2kit channels pay l2kcdev1… --rpc http://127.0.0.1:8561',
        'l2kit channels pay l2kcdev1… --json',
      ],
    },
    close: {
      summary: 'close a channel (default every open one): cooperatively, or with --force unilaterally',
      flags: async () => (await ops()).channelsCloseFlags,
      run: async (args) => (await ops()).runChannelsClose(args),
      examples: ['l2kit channels close', 'l2kit channels close --channel 0x… --force --json'],
    },
    status: {
      summary: "the node's identity, L1 balance, watchtower and channels (balances, sequence, pending HTLCs)",
      flags: async () => (await ops()).channelsStatusFlags,
      run: async (args) => (await ops()).runChannelsStatus(args),
      examples: ['l2kit channels status', 'l2kit channels status --rpc http://127.0.0.1:8563 --json'],
    },
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
        'l2kit channels demo --attack crash-mid-payment --json',
      ],
    },
  }
}
