/**
 * Every command's flags, in one module that imports nothing heavy: `l2kit <command> --help` and argument parsing
 * need only these, and the command's own module (viem, the node, KZG, LMDB) is loaded once it actually runs.
 */
import {
  DEFAULT_CHALLENGE_WINDOW_SECONDS,
  DEFAULT_DEV_ACCOUNTS,
  DEFAULT_L2_CHAIN_ID,
  DEFAULT_L2_RPC,
  DEFAULT_L2_RPC_PORT,
  defaultBatcherOptions,
  defaultSequencerOptions,
} from '../optimistic/config.ts'
import type { FlagSpec } from './args.ts'

/** `FAULT_KINDS` of src/optimistic/faults.ts, repeated so help does not load the fault machinery (a test compares them). */
export const FAULT_KIND_NAMES = [
  'wrong-balance',
  'skip-tx',
  'bad-signature',
  'forged-deposit',
  'forged-withdrawal',
  'garbage-batch',
] as const

export const l2Flags: FlagSpec = {
  'l2-rpc': {
    type: 'string',
    description: 'L2 JSON-RPC URL of an l2kit node',
    default: DEFAULT_L2_RPC,
  },
  'l1-rpc': { type: 'string', description: 'L1 JSON-RPC URL (default: the one the L2 node reports)' },
}

export const upFlags: FlagSpec = {
  family: {
    type: 'string',
    description:
      'families to start, comma separated (default: every family l2kit has: optimistic,zk,channels)',
  },
  'zk-chunks': {
    type: 'string',
    description: 'ZK rollup: chunks (operations) per proven block',
    default: '4',
  },
  'zk-depth': {
    type: 'string',
    description: 'ZK rollup: account tree depth (2^depth accounts)',
    default: '16',
  },
  'zk-port': {
    type: 'string',
    description: 'ZK node JSON-RPC port (the default falls back to a free one when taken)',
    default: '8549',
  },
  'zk-provers': { type: 'string', description: 'ZK rollup: prover worker processes', default: '1' },
  'zk-commit-mode': {
    type: 'string',
    description:
      "ZK rollup: 'separate' (commit each block when sealed, verify when proven) or 'combined' (one " +
      'commitAndVerifyBlocks per batch of proven blocks: less L1 gas, data on L1 with the proof)',
    default: 'separate',
  },
  'zk-ptau': {
    type: 'string',
    description: 'ZK rollup: a public powers-of-tau ceremony file (default: an INSECURE development setup)',
  },
  'zk-private-key': {
    type: 'string',
    description: 'ZK rollup deployer/operator key on an external L1 (embedded anvil: accounts 8 and 9)',
  },
  'channels-port': {
    type: 'string',
    description:
      'state channels: JSON-RPC port of node A (B, C and the watchtower take the next three; the default falls back to free ports when taken)',
    default: '8561',
  },
  'channels-amount': {
    type: 'string',
    description: 'state channels: ETH locked by A in A–B and by B in B–C',
    default: '1',
  },
  'channels-private-key': {
    type: 'string',
    description:
      'state channels: the key that deploys the contracts and funds the nodes on an external L1 (embedded anvil: account 7)',
  },
  'plasma-port': {
    type: 'string',
    description:
      'Plasma: JSON-RPC port of the operator (the watcher takes the next one; the default falls back to free ports when taken)',
    default: '8571',
  },
  'plasma-exit-period': {
    type: 'string',
    description: "Plasma: exit period in seconds (Polygon's Plasma bridge used 7 days: 604800)",
    default: '60',
  },
  'plasma-private-key': {
    type: 'string',
    description:
      'Plasma: the operator key (deploys PlasmaFramework, commits block roots) on an external L1 (embedded anvil: account 6)',
  },
  'sidechain-port': {
    type: 'string',
    description:
      'sidechain: JSON-RPC port of validator 0 (the others take the next ones; the default falls back to free ports when taken)',
    default: '8581',
  },
  'sidechain-validators': {
    type: 'string',
    description: 'sidechain: validator processes (≥ 1; 4 tolerate 1 fault)',
    default: '4',
  },
  'sidechain-block-time-ms': {
    type: 'string',
    description: 'sidechain: target time between blocks',
    default: '1000',
  },
  'sidechain-gas-limit': {
    type: 'string',
    description: 'sidechain: gas limit of every block',
    default: '30000000',
  },
  'sidechain-chain-id': {
    type: 'string',
    description: 'sidechain: the EVM chain id wallets see',
    default: '42069',
  },
  'sidechain-checkpoint-interval': {
    type: 'string',
    description: 'sidechain: blocks per checkpoint on L1 (what withdrawals wait for)',
    default: '16',
  },
  'sidechain-private-key': {
    type: 'string',
    description:
      'sidechain: the key that deploys StakeManager and the bridge and funds and stakes the validators on an external L1 (embedded anvil: account 8)',
  },
  'dashboard-port': {
    type: 'string',
    description: 'web dashboard port (0 = any free port; the default falls back to a free one when taken)',
    default: '8590',
  },
  'no-dashboard': { type: 'boolean', description: 'do not build or serve the web dashboard' },
  'l1-rpc': {
    type: 'string',
    description: 'external Ethereum JSON-RPC URL (default: start an embedded anvil)',
  },
  'private-key': {
    type: 'string',
    description: 'operator key on an external L1 (deploys, posts batches, proposes)',
  },
  'data-dir': {
    type: 'string',
    description: 'keep node state and deployment here; restart resumes from it (default: a temp dir)',
  },
  host: { type: 'string', description: 'L2 JSON-RPC host', default: '127.0.0.1' },
  port: {
    type: 'string',
    description: 'L2 JSON-RPC port (0 = any free port; the default falls back to a free one when taken)',
    default: String(DEFAULT_L2_RPC_PORT),
  },
  'chain-id': { type: 'string', description: 'L2 chain id', default: String(DEFAULT_L2_CHAIN_ID) },
  'block-time-ms': {
    type: 'string',
    description: 'L2 block time',
    default: String(defaultSequencerOptions.blockTimeMs),
  },
  'challenge-window': {
    type: 'string',
    description: 'challenge window of proposed roots, seconds',
    default: String(DEFAULT_CHALLENGE_WINDOW_SECONDS),
  },
  'batch-mode': {
    type: 'string',
    description: 'auto (cheaper of blob/calldata at live prices) | blob | calldata',
    default: defaultBatcherOptions.dataMode,
  },
  'l1-block-time': {
    type: 'string',
    description: 'seconds between embedded-anvil blocks (default: one block per tx)',
  },
  'challenger-key': {
    type: 'string',
    description:
      'L1 key of the challenger this node runs (embedded L1: anvil account 9; external L1: none unless set)',
  },
  'no-challenger': { type: 'boolean', description: 'do not run a challenger in this node' },
  fault: {
    type: 'string',
    description:
      'TESTING ONLY: the proposer posts one wrong root of this kind: wrong-balance | skip-tx | bad-signature | forged-deposit | forged-withdrawal | garbage-batch',
  },
  'dev-accounts': {
    type: 'string',
    description: 'dev accounts funded on L2 at start (embedded L1)',
    default: String(DEFAULT_DEV_ACCOUNTS),
  },
}

export const demoFlags: FlagSpec = {
  'challenge-window': { type: 'string', description: 'challenge window for the demo, seconds', default: '5' },
  transfers: { type: 'string', description: 'number of L2 transfers', default: '24' },
  attack: {
    type: 'string',
    description: `instead: show one attack being caught (${FAULT_KIND_NAMES.join(' | ')}); the window is then at least 30 s`,
  },
}

export const challengerFlags: FlagSpec = {
  'private-key': {
    type: 'string',
    description: 'L1 key of the challenger (pays challenge bonds, gets rewards)',
  },
  'l2-rpc': {
    type: 'string',
    description: 'an l2kit node to read the contract addresses and chain constants from',
    default: DEFAULT_L2_RPC,
  },
  'l1-rpc': { type: 'string', description: 'L1 JSON-RPC URL (default: the one the node reports)' },
  rollup: { type: 'string', description: 'Rollup contract (default: from the node)' },
  portal: { type: 'string', description: 'Portal contract (default: from the node)' },
  'deploy-block': {
    type: 'string',
    description: 'L1 block the contracts were deployed in (default: from the node)',
  },
  'interval-ms': { type: 'string', description: 'how often to check new proposals', default: '1000' },
  'data-dir': {
    type: 'string',
    description:
      'folder for derivation checkpoints, so a restart resumes instead of re-reading L1 (default: none)',
  },
}

export const forceFlags: FlagSpec = {
  ...l2Flags,
  'private-key': { type: 'string', description: 'L2 sender key (also pays the L1 transactions)' },
  to: { type: 'string', description: 'transfer recipient on L2 (with --withdraw: the L1 recipient)' },
  withdraw: { type: 'boolean', description: 'a withdrawal to L1 (recipient: --to, default the sender)' },
  amount: { type: 'string', description: 'amount in token units, e.g. 0.5' },
  token: { type: 'string', description: 'ETH (default) or a bridged token (symbol, L1 or L2 address)' },
  'include-only': { type: 'boolean', description: 'only force the queued transactions that are due' },
}

export const depositFlags: FlagSpec = {
  ...l2Flags,
  'private-key': { type: 'string', description: 'L1 key that pays (and, by default, receives on L2)' },
  amount: { type: 'string', description: 'amount in token units, e.g. 1.5' },
  token: { type: 'string', description: 'ETH (default), a bridged symbol, or an L1 ERC-20 address' },
  to: { type: 'string', description: 'L2 recipient (default: the sender)' },
}

export const transferFlags: FlagSpec = {
  ...l2Flags,
  'private-key': { type: 'string', description: 'L2 sender key' },
  to: { type: 'string', description: 'recipient address' },
  amount: { type: 'string', description: 'amount in token units, e.g. 0.25' },
  token: { type: 'string', description: 'ETH (default) or a bridged token (symbol or L2 address)' },
}

export const withdrawFlags: FlagSpec = {
  ...l2Flags,
  'private-key': { type: 'string', description: 'key of the L2 sender (also pays the L1 finalization)' },
  amount: { type: 'string', description: 'amount in token units' },
  token: { type: 'string', description: 'ETH (default) or a bridged token' },
  to: { type: 'string', description: 'L1 recipient (default: the sender)' },
  'no-wait': { type: 'boolean', description: 'only start the withdrawal; finalize later with --index' },
  index: {
    type: 'string',
    description: 'finalize an existing withdrawal by its index instead of starting one',
  },
}

export const statusFlags: FlagSpec = { ...l2Flags }
