/**
 * The optimistic rollup's own JSON-RPC methods (`l2kit_*`), as they travel: one schema the node's methods are
 * typed by and the SDK and CLI read with (`requestL2kit`), in viem's `RpcSchema` form. Amounts and indices are
 * decimal strings (JSON has no bigint); `l2kit_getWithdrawalProof` takes a hex quantity.
 */
import type { Address, Hex, TokenInfo } from '../../core/types.ts'

/** `l2kit_family`: which L2 family a node runs (every l2kit node answers it). */
export type FamilyInfo = { family: string; chainId: Hex }

/** `l2kit_contracts`: what a tool needs to reach the rollup's L1 side with only the L2 URL. */
export type RollupContractsInfo = {
  l1Rpc: string
  l1ChainId: number
  portal: Address
  rollup: Address
  devToken: Address | null
  deployBlock: string
  l2ChainId: string
  genesisTimestamp: number
  baseFee: string
}

/** `l2kit_getWithdrawalProof`: what `Portal.finalizeWithdrawal` takes, against the newest proposal covering it. */
export type WithdrawalProof = {
  withdrawal: { index: string; sender: Address; recipient: Address; l1Token: Address; amount: string }
  withdrawalHash: Hex
  proposalIndex: string
  stateRoot: Hex
  accountsRoot: Hex
  siblings: Hex[]
  /** L1 time (s) the proposal finalizes at. */
  finalizesAt: number
  secondsToFinality: number
  finalized: boolean
}

export type BatchStatus = {
  batchIndex: string
  l1TxHash: Hex
  l1BlockNumber: string
  isBlob: boolean
  blobHashes: Hex[]
  firstBlock: string
  blockCount: number
  /** null for a forced batch (the Rollup built it). */
  dataBytes: number | null
  txCount: number
  l1FeeWei: string | null
  forced: boolean
}

/** `l2kit_status`: heads, the last batch, proposals, the verifier's agreement, pending withdrawals. */
export type RollupStatusInfo = {
  chainId: string
  l1BlockNumber: string
  l2Head: string
  depositsIncluded: string
  depositsQueuedOnL1: string
  safeHead: string
  /** Whether the node's derivation resumed from its saved checkpoint at start, or derived from the deployment. */
  derivationStart: Record<string, string | number>
  finalizedHead: string
  challengeWindowSeconds: number
  lastBatch: BatchStatus | null
  proposals: {
    proposalIndex: string
    batchIndex: string
    l2BlockNumber: string
    stateRoot: Hex
    deleted: boolean
    finalized: boolean
    secondsToFinality: number
  }[]
  verifier: {
    safeHead: string
    safeHeadHash: Hex
    sequencerHashAtSafeHead: Hex | null
    sequencerAgreesWithL1: boolean
    proposalsChecked: number
    agreesWithAllProposals: boolean
    disagreements: string[]
    invalidBatches: { batchIndex: string; reason: string | undefined }[]
  } | null
  pendingWithdrawals: {
    index: string
    sender: Address
    recipient: Address
    l1Token: Address
    amount: string
  }[]
}

export type OptimisticRpcSchema = [
  { Method: 'l2kit_family'; Parameters: []; ReturnType: FamilyInfo },
  { Method: 'l2kit_status'; Parameters: []; ReturnType: RollupStatusInfo },
  { Method: 'l2kit_getWithdrawalProof'; Parameters: [withdrawalIndex: Hex]; ReturnType: WithdrawalProof },
  { Method: 'l2kit_contracts'; Parameters: []; ReturnType: RollupContractsInfo },
  { Method: 'l2kit_tokens'; Parameters: []; ReturnType: TokenInfo[] },
  { Method: 'l2kit_batches'; Parameters: []; ReturnType: unknown[] },
]

export type L2kitMethod = OptimisticRpcSchema[number]['Method']
export type L2kitParams<M extends L2kitMethod> = Extract<
  OptimisticRpcSchema[number],
  { Method: M }
>['Parameters']
export type L2kitResult<M extends L2kitMethod> = Extract<
  OptimisticRpcSchema[number],
  { Method: M }
>['ReturnType']
