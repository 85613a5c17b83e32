/** Error codes raised by the L1 layer (stable strings; see L2kitError in core). */
export const L1ErrorCode = {
  /** Options failed validation. */
  invalidOptions: 'INVALID_OPTIONS',
  /** Anvil did not start or did not answer `eth_chainId` in time. */
  startFailed: 'L1_START_FAILED',
  /** A JSON-RPC call kept failing after retries. */
  rpcError: 'L1_RPC_ERROR',
  /** A transaction reverted (in estimation or on chain); details carry the decoded reason if any. */
  txReverted: 'L1_TX_REVERTED',
  /** A transaction could not be sent (rejected by the node for a non-temporary reason). */
  txFailed: 'L1_TX_FAILED',
  /** A transaction was not mined (or not confirmed) within the configured time. */
  txTimeout: 'L1_TX_TIMEOUT',
  /** The sender cannot pay for the transaction. */
  insufficientFunds: 'L1_INSUFFICIENT_FUNDS',
  /** Another transaction (not sent by this manager) used our nonce. */
  nonceConflict: 'L1_NONCE_CONFLICT',
  /** Fees would exceed the configured cap. */
  feeCapExceeded: 'L1_FEE_CAP_EXCEEDED',
  /** Contract deployment failed (reverted or no address). */
  deployFailed: 'L1_DEPLOY_FAILED',
  /** The data does not fit in the maximum number of blobs of one transaction. */
  batchTooLarge: 'BATCH_TOO_LARGE',
  /** Blob bytes do not follow l2kit's blob encoding. */
  invalidBlobData: 'INVALID_BLOB_DATA',
  /** A blob could not be fetched from L1 / the beacon node. */
  blobNotFound: 'BLOB_NOT_FOUND',
  /** The KZG library or its trusted setup could not be loaded. */
  kzgSetupFailed: 'KZG_SETUP_FAILED',
  /** A reorg went deeper than the block hashes the log follower remembers. */
  reorgTooDeep: 'L1_REORG_TOO_DEEP',
  /** Openings asked for bytes beyond the blobs. */
  blobRangeOutOfBounds: 'BLOB_RANGE_OUT_OF_BOUNDS',
  /** Committed calldata differs from its recorded hash (a lying RPC). */
  committedDataMismatch: 'COMMITTED_DATA_MISMATCH',
  /** The transaction's top-level call is not the one that committed the data (made through a contract). */
  committedDataUnavailable: 'COMMITTED_DATA_UNAVAILABLE',
  /** A data dir is being resumed on an L1 that is not the one it was built on. */
  l1Mismatch: 'L1_MISMATCH',
} as const
export type L1ErrorCode = (typeof L1ErrorCode)[keyof typeof L1ErrorCode]

declare module '../core/errors.ts' {
  interface ErrorCodeRegistry extends Record<Exclude<L1ErrorCode, 'INVALID_OPTIONS'>, true> {}
}
