/** Options of the optimistic rollup node, with defaults that make a devnet work with no configuration. */
import { l2TokenAddress } from '../core/tokenAddress.ts'
import type { Address, Hex } from '../core/types.ts'
import { assertValidOptions } from '../node/options.ts'
import type { FaultKind } from './faults.ts'

/** L1 addresses of the rollup's contracts. */
export type RollupContracts = {
  portal: Address
  rollup: Address
  /** The development ERC-20 deployed on an embedded L1 (absent on an external L1). */
  devToken?: Address
  /** L1 block the contracts were deployed in: derivation starts reading logs here. */
  deployBlock: bigint
}

/** Chain parameters every node of one rollup must agree on (they change the state root). */
export type ChainConfig = {
  chainId: bigint
  /** L2 base fee in wei per gas; constant. */
  baseFee: bigint
  genesisTimestamp: number
}

export const BatchDataMode = { auto: 'auto', blob: 'blob', calldata: 'calldata' } as const
export type BatchDataMode = (typeof BatchDataMode)[keyof typeof BatchDataMode]

export type SequencerOptions = {
  /** An L2 block is sealed this often when it has something in it (ms). */
  blockTimeMs: number
  /** Gas limit of an L2 block: a block is cut when the next transaction would not fit. */
  blockGasLimit: bigint
  /**
   * Most v3 rows (deposits + transactions + the block end) in one L2 block: a block is cut when the next would
   * not fit. A batch holds whole blocks, so every block must fit the Rollup's 64 KiB calldata batch (528 rows).
   */
  maxBlockRows: number
  /** Largest raw transaction accepted (bytes). */
  maxTxBytes: number
  /** L1 blocks a deposit must be buried under before the sequencer includes it. */
  depositConfirmations: number
  /** How often the L1 deposit queue is polled (ms). */
  l1PollIntervalMs: number
  /**
   * Tests and demos only: a censoring sequencer that refuses these senders, over RPC and from the L1 forced
   * queue (they can still get in by force inclusion: docs/optimistic.md).
   */
  censor?: Address[] | undefined
  /** Tests and demos only: a sequencer that never includes L1 deposits (they can be forced in, too). */
  withholdDeposits?: boolean | undefined
}

export type BatcherOptions = {
  /** How often the batcher looks for unposted blocks (ms). */
  intervalMs: number
  /** Post even a small batch when its oldest block is this old (ms). */
  maxBatchAgeMs: number
  /** Post once this many compressed bytes are waiting. */
  targetBatchBytes: number
  /** Up to 6 blobs per L1 transaction (EIP-4844 / viem limit). */
  maxBlobsPerTx: number
  dataMode: BatchDataMode
  /** Blob fee cap = live blob base fee × this margin. */
  blobFeeMargin: number
}

export type ProposerOptions = {
  intervalMs: number
  /** Where traces go: `auto` = a blob when the batch is a blob batch, else calldata. */
  traceMode: 'auto' | 'calldata'
  /** Tests and demos only: post one wrong proposal of this kind (docs/optimistic.md, faults). */
  fault?: { kind: FaultKind; attacker: Address } | undefined
}

export type ChallengerOptions = {
  /** Run the challenger (follows L1, checks every proposal, challenges wrong ones). */
  enabled: boolean
  intervalMs: number
  /** The challenger's own L1 account (pays challenge bonds); without it the node runs no challenger. */
  privateKey?: Hex | undefined
}

export type OptimisticNodeOptions = {
  chain: ChainConfig
  contracts: RollupContracts
  l1RpcUrl: string
  /** Key of the account that posts batches and proposes roots (the rollup's registered batcher). */
  operatorKey: Hex
  dataDir: string
  /** `fallbackToFreePort`: take a free port when `port` is busy (set when nobody chose the port). */
  rpc: { host: string; port: number; fallbackToFreePort?: boolean }
  sequencer: SequencerOptions
  batcher: BatcherOptions
  proposer: ProposerOptions
  challenger: ChallengerOptions
  /** Run an independent verifier (its own L1 client and state) beside the sequencer. */
  verifier: boolean
}

export const defaultSequencerOptions: SequencerOptions = {
  blockTimeMs: 250,
  blockGasLimit: 30_000_000n,
  maxBlockRows: 500,
  maxTxBytes: 4_096,
  depositConfirmations: 0,
  l1PollIntervalMs: 500,
}

export const defaultBatcherOptions: BatcherOptions = {
  intervalMs: 1_000,
  maxBatchAgeMs: 2_000,
  targetBatchBytes: 100_000,
  maxBlobsPerTx: 6,
  dataMode: BatchDataMode.auto,
  blobFeeMargin: 2,
}

export const defaultProposerOptions: ProposerOptions = { intervalMs: 1_000, traceMode: 'auto' }
export const defaultChallengerOptions: ChallengerOptions = { enabled: true, intervalMs: 1_000 }

/** The devnet's ERC-20 is the first token deposited, so its L2 address is bridged token 1's. */
export const DEV_TOKEN_L2_ADDRESS: Address = l2TokenAddress(1)

export const DEFAULT_L2_CHAIN_ID = 42_069n
/** The L2 JSON-RPC port `l2kit up` tries first (another free one when it is taken). */
export const DEFAULT_L2_RPC_PORT = 8547
/** The L2 RPC the commands talk to when `--l2-rpc` is not given. */
export const DEFAULT_L2_RPC = `http://127.0.0.1:${DEFAULT_L2_RPC_PORT}`
export const DEFAULT_CHALLENGE_WINDOW_SECONDS = 10n
/** Anvil accounts 1..n funded on L2 by a devnet on the embedded L1. */
export const DEFAULT_DEV_ACCOUNTS = 5
/** 0.001 gwei: a mainnet-L2-like execution price, so fees are visible but tiny. */
export const DEFAULT_L2_BASE_FEE = 1_000_000n

/** Problems of `value` as a positive finite number, named `name` (none when fine). */
function positive(problems: string[], name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    problems.push(`${name} must be a positive number, got ${String(value)}`)
}

function wholeInRange(problems: string[], name: string, value: unknown, min: number, max: number, why = '') {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    problems.push(`${name} must be a whole number from ${min} to ${max}${why}, got ${String(value)}`)
}

/** Every problem of a sequencer's options at once (`INVALID_OPTIONS`), or the options. */
export function validateSequencerOptions(o: SequencerOptions): SequencerOptions {
  const problems: string[] = []
  positive(problems, 'sequencer.blockTimeMs', o.blockTimeMs)
  positive(problems, 'sequencer.maxTxBytes', o.maxTxBytes)
  wholeInRange(
    problems,
    'sequencer.maxBlockRows',
    o.maxBlockRows,
    2,
    528,
    ' (a block must fit a 64 KiB calldata batch)',
  )
  if (typeof o.blockGasLimit !== 'bigint' || o.blockGasLimit < 100_000n)
    problems.push('sequencer.blockGasLimit must be a bigint of at least 100,000')
  positive(problems, 'sequencer.l1PollIntervalMs', o.l1PollIntervalMs)
  wholeInRange(problems, 'sequencer.depositConfirmations', o.depositConfirmations, 0, 1_000_000)
  assertValidOptions('sequencer', problems)
  return o
}

/** Every problem of a batcher's options at once (`INVALID_OPTIONS`), or the options. */
export function validateBatcherOptions(o: BatcherOptions): BatcherOptions {
  const problems: string[] = []
  positive(problems, 'batcher.intervalMs', o.intervalMs)
  positive(problems, 'batcher.maxBatchAgeMs', o.maxBatchAgeMs)
  positive(problems, 'batcher.targetBatchBytes', o.targetBatchBytes)
  positive(problems, 'batcher.blobFeeMargin', o.blobFeeMargin)
  wholeInRange(problems, 'batcher.maxBlobsPerTx', o.maxBlobsPerTx, 1, 6)
  if (!Object.values(BatchDataMode).includes(o.dataMode))
    problems.push(`batcher.dataMode must be auto, blob or calldata, got ${String(o.dataMode)}`)
  assertValidOptions('batcher', problems)
  return o
}

/** Every problem of a proposer's options at once (`INVALID_OPTIONS`), or the options. */
export function validateProposerOptions(o: ProposerOptions): ProposerOptions {
  const problems: string[] = []
  positive(problems, 'proposer.intervalMs', o.intervalMs)
  if (o.traceMode !== 'auto' && o.traceMode !== 'calldata')
    problems.push(`proposer.traceMode must be auto or calldata, got ${String(o.traceMode)}`)
  if (o.fault !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(String(o.fault.attacker)))
    problems.push('proposer.fault.attacker must be an address')
  assertValidOptions('proposer', problems)
  return o
}

/** Every problem of a challenger's options at once (`INVALID_OPTIONS`), or the options. */
export function validateChallengerOptions(o: ChallengerOptions): ChallengerOptions {
  const problems: string[] = []
  if (typeof o.enabled !== 'boolean') problems.push('challenger.enabled must be true or false')
  positive(problems, 'challenger.intervalMs', o.intervalMs)
  if (o.privateKey !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(o.privateKey))
    problems.push('challenger.privateKey must be 0x followed by 64 hex digits')
  assertValidOptions('challenger', problems)
  return o
}

/**
 * Why a batcher that may wait longer than half the Rollup's inclusion window before posting is unsafe, or
 * undefined when it is not. A transaction or deposit the sequencer included but did not post within the window
 * can be forced in by anyone first, ahead of the sequencer's own batch: it then executes earlier than the
 * sequencer ordered it (withdrawal indices shift, the sequencer's view diverges from L1's). Half the window leaves
 * room for L1 inclusion delays. (Tests and the demo post by hand with a huge age: the node warns, it does not
 * refuse.)
 */
export function batcherLagRisk(maxBatchAgeMs: number, inclusionWindowSeconds: bigint): string | undefined {
  if (BigInt(Math.ceil(maxBatchAgeMs)) * 2n < inclusionWindowSeconds * 1000n) return undefined
  return (
    `batcher.maxBatchAgeMs (${maxBatchAgeMs} ms) is not under half the Rollup's inclusion window ` +
    `(${inclusionWindowSeconds} s): a batch posted after the window lets anyone force its transactions in first, ` +
    'reordering them against the sequencer'
  )
}
