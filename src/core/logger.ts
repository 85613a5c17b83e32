/**
 * The logger every l2kit component takes in `modules.logger`: the part of a pino logger l2kit relies on, so tests
 * and embedders can pass their own. Log errors under the `err` key (`log.error({ err }, 'step failed')`) so their
 * stack is kept. Only types and a do-nothing logger here (pure); `node/logger.ts` makes real ones.
 */

/** A log method: `log.info('started')` or `log.info({ txHash, frames }, 'batch posted')`. */
export interface LogFn {
  (msg: string): void
  (obj: object, msg?: string): void
}

export interface Logger {
  level: string
  trace: LogFn
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
  fatal: LogFn
  child(bindings: Record<string, unknown>): Logger
  isLevelEnabled(level: string): boolean
}

const noop = (): void => {}

/** A logger that drops everything (the default where a logger is optional, and for tests). */
export const silentLogger: Logger = {
  level: 'silent',
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
  child: () => silentLogger,
  isLevelEnabled: () => false,
}

/** One line a `recordingLogger` kept. */
export type LogRecord = { level: string; msg: string; fields: Record<string, unknown> }

/** A logger that keeps every line (tests assert what a part reported, and why); its children share the list. */
export function recordingLogger(records: LogRecord[] = []): Logger & { records: LogRecord[] } {
  const at =
    (level: string) =>
    (a: object | string, b?: string): void => {
      records.push(
        typeof a === 'string'
          ? { level, msg: a, fields: {} }
          : { level, msg: b ?? '', fields: a as Record<string, unknown> },
      )
    }
  const logger: Logger & { records: LogRecord[] } = {
    records,
    level: 'trace',
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: () => logger,
    isLevelEnabled: () => true,
  }
  return logger
}
