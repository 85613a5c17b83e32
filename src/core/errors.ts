/**
 * Every error l2kit raises on purpose is an L2kitError: a stable `code`, a message a person
 * understands, structured `details`, and a `kind` that tells a pipeline what to do next.
 */

/** What a caller should do about an error. */
export const ErrorKind = {
  /** The input was wrong; nothing changed; do not retry the same input. */
  invalidInput: 'invalidInput',
  /** A passing fault (network, L1 busy); retrying later may succeed. */
  temporary: 'temporary',
  /** The view of L1 is stale (reorg); reset from the canonical chain and continue. */
  reset: 'reset',
  /** A broken invariant; stop and let an operator look. */
  critical: 'critical',
} as const
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind]

/**
 * Every error code l2kit raises, as one typed union assembled per domain: core's are registered here; every other
 * domain (l1, node, sdk, cli, each family) declares its own `as const` table in its `errors.ts` and adds it by
 * module augmentation (`declare module '…/core/errors.ts' { interface ErrorCodeRegistry extends Record<…, true> {} }`).
 * An unregistered code does not compile.
 */
export interface ErrorCodeRegistry extends Record<CoreErrorCode | RowLimitCode, true> {}
export type ErrorCode = keyof ErrorCodeRegistry & string

export class L2kitError extends Error {
  readonly code: ErrorCode
  readonly kind: ErrorKind
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    code: ErrorCode,
    message: string,
    options: { kind?: ErrorKind; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'L2kitError'
    this.code = code
    this.kind = options.kind ?? ErrorKind.invalidInput
    this.details = options.details ?? {}
  }

  toJSON(): {
    code: ErrorCode
    message: string
    kind: ErrorKind
    details: Readonly<Record<string, unknown>>
  } {
    return { code: this.code, message: this.message, kind: this.kind, details: this.details }
  }
}

export function isL2kitError(value: unknown, code?: ErrorCode): value is L2kitError {
  return value instanceof L2kitError && (code === undefined || value.code === code)
}

/**
 * Codes of transactions the sequencer refuses because one row of batch format v3 could not hold them
 * (docs/optimistic.md, "Batch data v3"): every accepted transaction must be re-executable on L1 from its row.
 * Thrown by `decodeRawTransaction` (via `checkRowLimits` in src/core/l2tx.ts) with a message that says the limit
 * and how to stay within it. (`AMOUNT_NOT_PACKABLE`, the fourth row limit, predates them: src/core/amount.ts.)
 */
export const RowLimitCode = {
  /** nonce >= 2^40: the row's nonce field is 5 bytes. */
  nonceTooLarge: 'NONCE_TOO_LARGE',
  /** gasLimit >= 2^32: the row's gas limit field is 4 bytes. */
  gasLimitTooLarge: 'GAS_LIMIT_TOO_LARGE',
  /** gasPrice / maxFeePerGas / maxPriorityFeePerGas not of the packed form m * 10^e, m < 2^64 (any fee < 2^64 is). */
  feeNotPackable: 'FEE_NOT_PACKABLE',
} as const
export type RowLimitCode = (typeof RowLimitCode)[keyof typeof RowLimitCode]

/** Codes raised by core (pure logic): bad input of every kind, the state machine's refusals and limits; plus the two every layer uses (`INVALID_OPTIONS`, `TIMEOUT`). */
export const CoreErrorCode = {
  accessListUnsupported: 'ACCESS_LIST_UNSUPPORTED',
  accountsFull: 'ACCOUNTS_FULL',
  amountNotPackable: 'AMOUNT_NOT_PACKABLE',
  contractCreationUnsupported: 'CONTRACT_CREATION_UNSUPPORTED',
  feeCapTooLow: 'FEE_CAP_TOO_LOW',
  insufficientBalance: 'INSUFFICIENT_BALANCE',
  invalidAccountIndex: 'INVALID_ACCOUNT_INDEX',
  invalidAddress: 'INVALID_ADDRESS',
  invalidAmount: 'INVALID_AMOUNT',
  invalidFee: 'INVALID_FEE',
  invalidHex: 'INVALID_HEX',
  invalidOptions: 'INVALID_OPTIONS',
  invalidPrivateKey: 'INVALID_PRIVATE_KEY',
  invalidProof: 'INVALID_PROOF',
  invalidPublicKey: 'INVALID_PUBLIC_KEY',
  invalidSignature: 'INVALID_SIGNATURE',
  invalidStateHeader: 'INVALID_STATE_HEADER',
  invalidTokenIndex: 'INVALID_TOKEN_INDEX',
  invalidVarint: 'INVALID_VARINT',
  malformedTransaction: 'MALFORMED_TRANSACTION',
  nonceOverflow: 'NONCE_OVERFLOW',
  nonceTooLow: 'NONCE_TOO_LOW',
  signatureBackendUnavailable: 'SIGNATURE_BACKEND_UNAVAILABLE',
  timeout: 'TIMEOUT',
  txTooLarge: 'TX_TOO_LARGE',
  unprotectedTx: 'UNPROTECTED_TX',
  unsupportedCall: 'UNSUPPORTED_CALL',
  unsupportedTxType: 'UNSUPPORTED_TX_TYPE',
  valueOutOfRange: 'VALUE_OUT_OF_RANGE',
  withdrawalsFull: 'WITHDRAWALS_FULL',
  wrongChainId: 'WRONG_CHAIN_ID',
  balanceOverflow: 'BALANCE_OVERFLOW',
  depositOutOfOrder: 'DEPOSIT_OUT_OF_ORDER',
  gasLimitTooLow: 'GAS_LIMIT_TOO_LOW',
  insufficientTokenBalance: 'INSUFFICIENT_TOKEN_BALANCE',
  invalidDeposit: 'INVALID_DEPOSIT',
  invalidSnapshot: 'INVALID_SNAPSHOT',
  invalidToken: 'INVALID_TOKEN',
  malformedData: 'MALFORMED_DATA',
  nonceTooHigh: 'NONCE_TOO_HIGH',
  unknownAccount: 'UNKNOWN_ACCOUNT',
  unknownWithdrawal: 'UNKNOWN_WITHDRAWAL',
  unsupportedOperation: 'UNSUPPORTED_OPERATION',
} as const
export type CoreErrorCode = (typeof CoreErrorCode)[keyof typeof CoreErrorCode]
