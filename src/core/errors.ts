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

export class L2kitError extends Error {
  readonly code: string
  readonly kind: ErrorKind
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    code: string,
    message: string,
    options: { kind?: ErrorKind; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'L2kitError'
    this.code = code
    this.kind = options.kind ?? ErrorKind.invalidInput
    this.details = options.details ?? {}
  }

  toJSON(): { code: string; message: string; kind: ErrorKind; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, kind: this.kind, details: this.details }
  }
}

export function isL2kitError(value: unknown, code?: string): value is L2kitError {
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
