/**
 * Small shared types of the L1 layer. The logger type is the subset of pino that l1 components use,
 * so a pino logger (or any compatible object) can be passed in `modules.logger`.
 */

/** A pino-style log method: `log.info({ txHash }, 'sent')` or `log.info('sent')`. */
export interface LogFn {
  (obj: object, msg?: string): void
  (msg: string): void
}

/** Minimal pino-compatible logger. */
export interface Logger {
  info: LogFn
  warn: LogFn
  error: LogFn
  debug: LogFn
  child(bindings: Record<string, unknown>): Logger
}

const noop = (): void => {}

/** A logger that drops everything (default when no logger is passed). */
export const silentLogger: Logger = {
  info: noop,
  warn: noop,
  error: noop,
  debug: noop,
  child: () => silentLogger,
}
