/** Error codes raised by the optimistic rollup (its roles, protocol and devnet), registered in core's union. */
/** Codes of the optimistic rollup. */
export const OptimisticErrorCode = {
  batchDataMismatch: 'BATCH_DATA_MISMATCH',
  batchTooLargeForCalldata: 'BATCH_TOO_LARGE_FOR_CALLDATA',
  challengeWouldLose: 'CHALLENGE_WOULD_LOSE',
  invalidArgument: 'INVALID_ARGUMENT',
  invalidBatch: 'INVALID_BATCH',
  invalidTrace: 'INVALID_TRACE',
  l1EventMissing: 'L1_EVENT_MISSING',
  missingDeposit: 'MISSING_DEPOSIT',
  proofMaterialMissing: 'PROOF_MATERIAL_MISSING',
  sequencerStopped: 'SEQUENCER_STOPPED',
  storeCorrupt: 'STORE_CORRUPT',
  txCensored: 'TX_CENSORED',
  unknownToken: 'UNKNOWN_TOKEN',
  withdrawalNotFound: 'WITHDRAWAL_NOT_FOUND',
  withdrawalNotProposed: 'WITHDRAWAL_NOT_PROPOSED',
  witnessIncomplete: 'WITNESS_INCOMPLETE',
  witnessMismatch: 'WITNESS_MISMATCH',
  invalidTransaction: 'INVALID_TRANSACTION',
} as const
export type OptimisticErrorCode = (typeof OptimisticErrorCode)[keyof typeof OptimisticErrorCode]

declare module '../core/errors.ts' {
  interface ErrorCodeRegistry extends Record<OptimisticErrorCode, true> {}
}
