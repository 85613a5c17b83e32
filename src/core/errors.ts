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
