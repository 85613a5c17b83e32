/** Error codes of the state channels family (protocol, node, watchtower, SDK), registered in core's union. Kept in
 * protocol/ so the SDK can raise them too. Every hostile peer message maps to one of these and changes nothing. */
export const ChannelErrorCode = {
  /** A signature that does not recover to the expected party, is malformed, or has a high s. */
  badSignature: 'CHANNEL_BAD_SIGNATURE',
  /** A state whose sequence number is not the next one (replayed, skipped or old). */
  wrongSequence: 'CHANNEL_WRONG_SEQUENCE',
  /** The channel id is not one this node knows (or not open). */
  unknownChannel: 'CHANNEL_UNKNOWN',
  /** A state whose balances and HTLCs do not add up to the channel total, or an amount ≤ 0. */
  invalidState: 'CHANNEL_INVALID_STATE',
  /** An HTLC or payment larger than the sender's spendable balance, or past the HTLC count limit. */
  overCapacity: 'CHANNEL_OVER_CAPACITY',
  /** An HTLC whose expiry is in the past or too soon for the safety delta. */
  badExpiry: 'CHANNEL_BAD_EXPIRY',
  /** A fulfil whose preimage does not hash to the HTLC's payment hash, or an unknown HTLC id. */
  badPreimage: 'CHANNEL_BAD_PREIMAGE',
  /** A peer frame or message that does not decode: wrong length, unknown type, oversized, bad field. */
  malformedMessage: 'CHANNEL_MALFORMED_MESSAGE',
  /** A message that is valid but not allowed in the channel's current step (e.g. a revocation nobody awaits). */
  unexpectedMessage: 'CHANNEL_UNEXPECTED_MESSAGE',
  /** An onion packet that fails its authentication tag, does not decode, or was seen before. */
  badOnion: 'CHANNEL_BAD_ONION',
  /** An invoice string that does not decode, has a bad payee signature, or has expired. */
  badInvoice: 'CHANNEL_BAD_INVOICE',
  /** No route with enough capacity from the payer to the payee. */
  noRoute: 'CHANNEL_NO_ROUTE',
  /** A payment that failed downstream (the HTLC was failed back); nothing was paid. */
  paymentFailed: 'CHANNEL_PAYMENT_FAILED',
  /** The opener's L1 balance (ETH, or the channel's ERC-20) is below the amount it would lock. */
  insufficientFunds: 'CHANNEL_INSUFFICIENT_FUNDS',
  /** A channel token that does not answer as an ERC-20 (no contract there, or balanceOf/allowance revert). */
  badToken: 'CHANNEL_BAD_TOKEN',
} as const
export type ChannelErrorCode = (typeof ChannelErrorCode)[keyof typeof ChannelErrorCode]

declare module '../../core/errors.ts' {
  interface ErrorCodeRegistry extends Record<ChannelErrorCode, true> {}
}
