/**
 * Error codes of the sidechain family (consensus core, and later the validator nodes, L1 bindings and SDK),
 * registered in core's union. Kept in protocol/ so every layer of the family can raise them. Every hostile peer
 * message maps to one of these and changes nothing in the consensus state.
 */
export const SidechainErrorCode = {
  /** A consensus message that does not decode or is not well formed: wrong length, unknown type, bad field. */
  malformedMessage: 'SIDECHAIN_MALFORMED_MESSAGE',
  /** A signature that is malformed, non-canonical, or does not recover to the claimed validator. */
  badSignature: 'SIDECHAIN_BAD_SIGNATURE',
  /** A message signed (or claimed to be signed) by an address outside the height's validator set. */
  notValidator: 'SIDECHAIN_NOT_VALIDATOR',
  /** A proposal from a validator that is not the proposer of its (height, round). */
  wrongProposer: 'SIDECHAIN_WRONG_PROPOSER',
  /** A message for a height too far ahead to buffer, or an event for a height the machine is not at. */
  wrongHeight: 'SIDECHAIN_WRONG_HEIGHT',
  /** A message for a round too far ahead of the current one (bounds the memory a peer can make us spend). */
  wrongRound: 'SIDECHAIN_WRONG_ROUND',
  /** A message already received (or a third conflicting one after the evidence was taken). */
  duplicateMessage: 'SIDECHAIN_DUPLICATE_MESSAGE',
  /** A validator already caught double signing sent more conflicting votes at this height than are kept. */
  equivocationLimit: 'SIDECHAIN_EQUIVOCATION_LIMIT',
  /** The bounded buffer of next-height messages from this validator is full. */
  bufferFull: 'SIDECHAIN_BUFFER_FULL',
  /** A validator set that is empty, unsorted, has duplicates or a power ≤ 0. */
  invalidValidatorSet: 'SIDECHAIN_INVALID_VALIDATOR_SET',
  /** Consensus options out of range (the message lists every problem). */
  invalidOptions: 'SIDECHAIN_INVALID_OPTIONS',
  /** An API call that does not fit the machine's state (not started, restore after start, bad restore data). */
  invalidState: 'SIDECHAIN_INVALID_STATE',
  /** This validator was asked to sign a second, different message for a (height, round, type) it signed. */
  doubleSignRefused: 'SIDECHAIN_DOUBLE_SIGN_REFUSED',
  /** A commit certificate that is not > ⅔ of the power's precommits for one block in one round. */
  invalidCommit: 'SIDECHAIN_INVALID_COMMIT',
  /** Double-sign evidence that does not hold: different signers, different slots, or the same content. */
  invalidEvidence: 'SIDECHAIN_INVALID_EVIDENCE',
  // ---- validator nodes ----
  /** A transaction with the nonce of a pending one and not at least 10% more fee. */
  replacementUnderpriced: 'SIDECHAIN_REPLACEMENT_UNDERPRICED',
  /** The mempool (or this sender's share of it) is full; try after the next block. */
  mempoolFull: 'SIDECHAIN_MEMPOOL_FULL',
  /** A block that does not decode, or whose parts do not join into the announced block. */
  malformedBlock: 'SIDECHAIN_MALFORMED_BLOCK',
  /** A deposit in a proposed block that this validator has not seen on L1 with enough confirmations. */
  unknownDeposit: 'SIDECHAIN_UNKNOWN_DEPOSIT',
  unknownValidatorSet: 'SIDECHAIN_UNKNOWN_VALIDATOR_SET',
  /** A validator node asked to do something its state does not allow (stopped, not a validator…). */
  nodeState: 'SIDECHAIN_NODE_STATE',
  /** A withdrawal that is not (yet) covered by a checkpoint accepted on L1, or unknown. */
  withdrawalNotReady: 'SIDECHAIN_WITHDRAWAL_NOT_READY',
  // ---- execution layer (blocks, EVM) ----
  /** A block that decodes but is not the valid next block: body roots, header fields, a deposit or a transaction. */
  invalidBlock: 'SIDECHAIN_INVALID_BLOCK',
  /** A transaction the EVM rules refuse and no core code names (a sender with code, a gas limit above the block's). */
  invalidTx: 'SIDECHAIN_INVALID_TX',
} as const
export type SidechainErrorCode = (typeof SidechainErrorCode)[keyof typeof SidechainErrorCode]

declare module '../../core/errors.ts' {
  interface ErrorCodeRegistry extends Record<SidechainErrorCode, true> {}
}
