/** Error codes of the ZK rollup (protocol, roles, SDK), registered in core's union. Kept in protocol/ so the SDK can raise them too. */
export const ZkErrorCode = {
  /** circomlibjs's Poseidon/EdDSA were used before `loadZkCrypto()` resolved. */
  cryptoNotLoaded: 'ZK_CRYPTO_NOT_LOADED',
  /** The sender's account has no L2 key registered (deposit with a key or change-pubkey first). */
  noL2Key: 'ZK_NO_L2_KEY',
  /** The account index is taken by another owner (deposit) or not empty (transfer to a new account). */
  accountTaken: 'ZK_ACCOUNT_TAKEN',
  /** Pubdata that does not decode: wrong length, unknown type, non-zero padding, truncated continuation. */
  malformedPubdata: 'ZK_MALFORMED_PUBDATA',
  /** The operation does not fit in the block's remaining chunks. */
  blockFull: 'ZK_BLOCK_FULL',
  /** A priority operation that does not match the next request in the L1 queue. */
  priorityMismatch: 'ZK_PRIORITY_MISMATCH',
  /** The witness does not satisfy the circuit (a bug or a tampered input; nothing was proven). */
  witnessFailed: 'ZK_WITNESS_FAILED',
  /** circom2 failed to compile the block circuit. */
  circuitBuildFailed: 'ZK_CIRCUIT_BUILD_FAILED',
  /** The prover failed or produced a proof that does not verify. */
  proofFailed: 'ZK_PROOF_FAILED',
} as const
export type ZkErrorCode = (typeof ZkErrorCode)[keyof typeof ZkErrorCode]

declare module '../../core/errors.ts' {
  interface ErrorCodeRegistry extends Record<ZkErrorCode, true> {}
}
