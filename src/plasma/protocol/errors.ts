/** Error codes of the Plasma family (protocol, operator, watcher, SDK), registered in core's union. Kept in
 * protocol/ so the SDK raises the same codes. Every refused transaction maps to one of these and changes nothing. */
export const PlasmaErrorCode = {
  /** Transaction bytes or JSON that do not decode, are not canonical, or break the structural rules. */
  malformedTx: 'PLASMA_MALFORMED_TX',
  /** A signature that is malformed, high-s, or does not recover to the owner of the input it spends. */
  badSignature: 'PLASMA_BAD_SIGNATURE',
  /** An input that names no existing output (block, transaction or output index unknown). */
  unknownInput: 'PLASMA_UNKNOWN_INPUT',
  /** An input already spent by another transaction (a double spend or a replay). */
  spentInput: 'PLASMA_SPENT_INPUT',
  /** Per token, the outputs do not add up to the inputs. */
  unbalanced: 'PLASMA_UNBALANCED',
  /** The sender's outputs of that token do not cover the amount (SDK: nothing was sent). */
  insufficientFunds: 'PLASMA_INSUFFICIENT_FUNDS',
  /** An inclusion proof that does not lead to the committed root. */
  badProof: 'PLASMA_BAD_PROOF',
  /** A block the operator does not serve (withheld, or not yet built). */
  blockUnavailable: 'PLASMA_BLOCK_UNAVAILABLE',
  /** A block whose data does not hash to the root committed on L1. */
  blockMismatch: 'PLASMA_BLOCK_MISMATCH',
  /** The operator's pool is full or the block it would join is full; retry later. */
  busy: 'PLASMA_BUSY',
  /** An exit or challenge the contract would refuse (wrong owner, already exiting or paid, nothing to challenge). */
  badExit: 'PLASMA_BAD_EXIT',
  /** Options that fail validation. */
  invalidOptions: 'PLASMA_INVALID_OPTIONS',
} as const
export type PlasmaErrorCode = (typeof PlasmaErrorCode)[keyof typeof PlasmaErrorCode]

declare module '../../core/errors.ts' {
  interface ErrorCodeRegistry extends Record<PlasmaErrorCode, true> {}
}
