/**
 * What compare cannot measure on a devnet and states instead, each with its source: the production settings that
 * decide withdrawal delays (challenge windows, exit periods, checkpoint intervals), what a user must do to stay
 * safe, and which wallets each family's design lets a user hold funds with. Everything measured is elsewhere.
 */
import type { RowId } from './types.ts'

export type RowFacts = {
  /** the L2 type as comparison tables name it */
  type: string
  /** the production setting that decides when a withdrawal is spendable on L1 */
  production: { setting: string; seconds: number; source: string }
  /** what a user must do to stay safe: nothing, watch L1 (or have someone watch), or be online */
  safety: 'nothing' | 'watch' | 'online'
  safetyDetail: string
  wallets: string
}

export const ROW_FACTS: Record<RowId, RowFacts> = {
  l1: {
    type: 'Ethereum L1 (baseline)',
    production: { setting: 'no withdrawal (funds are on L1)', seconds: 0, source: 'n/a' },
    safety: 'nothing',
    safetyDetail: 'nothing: L1 consensus',
    wallets: 'every Ethereum wallet',
  },
  optimistic: {
    type: 'Optimistic rollup',
    production: {
      setting: 'challenge window 7 days',
      seconds: 7 * 86_400,
      source: 'OP Mainnet / Base fault-proof window (Arbitrum: ~6.4 days)',
    },
    safety: 'watch',
    safetyDetail:
      'one honest challenger must watch L1 within the challenge window (anyone can; `l2kit up` runs one)',
    wallets:
      'any Ethereum wallet (MetaMask, viem, ethers, cast): standard signed transactions over eth_* JSON-RPC',
  },
  'optimistic-calldata': {
    type: 'Optimistic rollup, calldata batches (pre-Dencun)',
    production: {
      setting: 'challenge window 7 days',
      seconds: 7 * 86_400,
      source: 'OP Mainnet / Base fault-proof window',
    },
    safety: 'watch',
    safetyDetail: 'as the blob rollup',
    wallets: 'as the blob rollup',
  },
  zk: {
    type: 'ZK rollup',
    production: {
      setting: 'proof + execution delay ~3 h',
      seconds: 3 * 3600,
      source: 'zkSync Era: batches proven within about an hour, then a 3 h execution delay',
    },
    safety: 'nothing',
    safetyDetail:
      'nothing: L1 accepts a new root only with a validity proof; if the operator stops, exodus mode',
    wallets: 'an L2 key derived from one wallet signature (any EIP-191 wallet signs it once); the l2kit SDK',
  },
  channels: {
    type: 'State channels',
    production: {
      setting: 'cooperative close: 1 L1 block; unilateral close: dispute window ~1 day',
      seconds: 12,
      source:
        "Lightning: a cooperative close is final in one block; LND's default to_self_delay is 144 blocks (~1 day)",
    },
    safety: 'online',
    safetyDetail:
      'be online (or hand revocations to a watchtower) at least once per dispute window, or a revoked state can be closed against you',
    wallets: 'a channel node (`l2kit channels node`) holding its own key; L1 wallets only fund it',
  },
  plasma: {
    type: 'Plasma (More Viable Plasma)',
    production: {
      setting: 'exit period 7 days',
      seconds: 7 * 86_400,
      source: "OMG's More Viable Plasma and Polygon's Plasma bridge: 7 days",
    },
    safety: 'watch',
    safetyDetail:
      'watch every block (yourself or a watcher) and exit within the exit period if the operator cheats or withholds',
    wallets: 'MetaMask and any EIP-712 wallet sign the transfers (typed data); the l2kit SDK builds them',
  },
  sidechain: {
    type: 'Sidechain (PoS validators)',
    production: {
      setting: 'checkpoint every ~30 min',
      seconds: 30 * 60,
      source: 'Polygon PoS: checkpoints to L1 about every 30 minutes',
    },
    safety: 'nothing',
    safetyDetail:
      'nothing a user can do: funds are as safe as > ⅔ of the validator stake is honest (a majority can sign any checkpoint)',
    wallets: 'any Ethereum wallet (MetaMask, viem, ethers, cast): a full EVM chain over eth_* JSON-RPC',
  },
}
