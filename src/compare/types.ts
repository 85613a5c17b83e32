/**
 * The shape of `bench/results/compare.json`: what `l2kit compare` measured, per row (the L1 baseline, each family,
 * and the optimistic rollup once more in calldata mode for the Dencun question), the attack outcomes and the price
 * scenario. Plain JSON (numbers and strings): the report, the charts and `l2kit choose` read only this.
 */

/** The five L2 families l2kit has. */
export const FAMILY_NAMES = ['optimistic', 'zk', 'channels', 'plasma', 'sidechain'] as const
export type FamilyName = (typeof FAMILY_NAMES)[number]

/** One row of the comparison: the L1 baseline, a family, or the optimistic rollup with calldata batches. */
export const ROW_IDS = [
  'l1',
  'optimistic',
  'optimistic-calldata',
  'zk',
  'channels',
  'plasma',
  'sidechain',
] as const
export type RowId = (typeof ROW_IDS)[number]

/** The workload every row runs (scaled only where a family cannot take it: said in the row's notes). */
export type Workload = {
  /** accounts funded on L1 that deposit, pay each other and withdraw */
  accounts: number
  /** transfers among them (every other one in the dev ERC-20 where the family carries it) */
  transfers: number
  /** withdrawals back to L1 (each timed until spendable on L1) */
  withdrawals: number
  /** wei per ETH transfer, and base units per token transfer */
  ethAmountWei: string
  tokenAmount: string
}

/** What one kind of L1 transaction (by its function) cost during a phase. */
export type L1TxGroup = { txs: number; gas: number; blobGas: number; calldataBytes: number; blobs: number }

export type L1Costs = {
  /**
   * The family's own L1 transactions during its phase — batches, proposals, proofs, commitments, checkpoints,
   * block roots, channel open/close — amortised over the transfers. Measured from the L1 blocks of the phase.
   */
  operator: L1TxGroup & { byFunction: Record<string, L1TxGroup> }
  /** what a user pays on L1 for one deposit (median receipt gas), and to get one withdrawal out (all its L1 txs) */
  depositGas: number | null
  withdrawalGas: number | null
}

export type Failure = { stage: string; code: string; message: string }

export type RowResult = {
  id: RowId
  family: FamilyName | 'l1'
  /** "Optimistic rollup (blobs)" */
  label: string
  status: 'ok' | 'failed' | 'skipped'
  failure?: Failure
  /** the stages that completed, in order (deposits, withdrawals started, transfers, withdrawals spendable, …) */
  stages: string[]
  phaseSeconds: number
  transfers: {
    done: number
    eth: number
    token: number
    seconds: number
    /** transfers confirmed per second, as `confirmedBy` says, from the first send to the last confirmation */
    perSecond: number | null
    confirmedBy: string
  }
  /** the ZK rollup: how many transfers were proven and verified on L1 within the phase's proof budget */
  proven?: {
    transfers: number
    verifiedBlocks: number
    sealedBlocks: number
    seconds: number
    perSecond: number | null
  }
  /** median seconds from sending a deposit on L1 to the funds being usable on the L2 */
  depositLatencySeconds: number | null
  depositConfirmedBy: string
  withdrawal: {
    /** measured: seconds from starting the withdrawal to the funds being paid on L1 (median) */
    measuredSeconds: number | null
    what: string
    devnet: { setting: string; seconds: number }
    production: { setting: string; seconds: number; source: string }
  }
  l1: L1Costs
  /** L1 cost per transfer, amortised (operator costs / transfers done) */
  perTransfer: { gas: number | null; blobGas: number | null; bytes: number | null }
  /** wei that must stay locked for these payments to flow (channels: the channel's deposit) */
  capitalLockedWei: string | null
  evm: { supported: boolean; evidence: string }
  wallets: string
  notes: string[]
}

/** One attack demo's measured outcome (the last JSON line of `l2kit <family> demo --attack KIND --json`). */
export type AttackOutcome = {
  family: FamilyName
  attack: string
  /** who attacks, and what it tries (from the attack catalogue: src/compare/attacks.ts) */
  attacker: string
  goal: 'steal' | 'freeze'
  status: 'ok' | 'failed'
  error?: string
  caught: boolean | null
  /** wei, decimal; null when the demo could not tell */
  honestFundsLostWei: string | null
  seconds: number
  /** `this run`, or `previous run (<date>)` when reused with --no-attacks */
  source: string
  /** the demo's whole result line, for whoever wants the details */
  raw?: Record<string, unknown>
}

export type PriceScenario = {
  /** L1 execution base fee, gwei */
  baseFeeGwei: number
  /** L1 blob base fee, gwei */
  blobBaseFeeGwei: number
  /** USD per ETH */
  ethUsd: number
  source: string
}

export type Machine = {
  cpu: string
  cores: number
  memoryGiB: number
  node: string
  loadAverageAtStart?: number[]
}

export type CompareResult = {
  version: 1
  date: string
  machine: Machine
  seconds: number
  workload: Workload
  prices: PriceScenario
  rows: RowResult[]
  attacks: { ran: boolean; source: string; outcomes: AttackOutcome[] }
  /** files of this run under bench/results (the report names the figures it takes from them) */
  files: string[]
}
