import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { DestinationStream, Logger as PinoLogger } from 'pino'
import { pino } from 'pino'
import type { Logger } from '../core/logger.ts'
import { assertValidOptions, withDefaults } from './options.ts'

export { type LogFn, type Logger, silentLogger } from '../core/logger.ts'

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const
export type LogLevel = (typeof logLevels)[number]

export interface LoggerOptions {
  /** Lowest level written. */
  level: LogLevel
  /** Name of the process or node, written as `name` on every line. */
  name: string
  /** Where lines go: `'stderr'`, `'stdout'` or a file path (appended, directories created). */
  destination?: 'stderr' | 'stdout' | (string & {})
  /** Human one-line format for terminals instead of JSON lines. */
  pretty?: boolean
  /** ANSI colours in pretty mode; defaults to whether the destination is a terminal. */
  colors?: boolean
  /** Write each line synchronously so nothing is lost when the process dies. */
  sync?: boolean
}

export const defaultLoggerOptions = {
  level: 'info',
  name: 'l2kit',
  destination: 'stderr',
  pretty: false,
  sync: true,
} as const satisfies LoggerOptions

/** Logger options with every default filled in. */
export type ResolvedLoggerOptions = Required<Omit<LoggerOptions, 'colors'>> & Pick<LoggerOptions, 'colors'>

/** Field names whose values never reach a log line, at the top level or nested up to two objects deep. */
export const redactedLogFields = ['privateKey', 'secret', 'mnemonic'] as const

/** What replaces a redacted value. */
export const REDACTED = '[redacted]'

const redactPaths = redactedLogFields.flatMap((field) => [field, `*.${field}`, `*.*.${field}`])

/** Checks logger options and fills defaults; throws INVALID_OPTIONS. */
export function validateLoggerOptions(options: Partial<LoggerOptions>): ResolvedLoggerOptions {
  const merged: ResolvedLoggerOptions = withDefaults<ResolvedLoggerOptions>(defaultLoggerOptions, options)
  const problems: string[] = []
  if (!logLevels.includes(merged.level)) problems.push(`level must be one of ${logLevels.join(', ')}`)
  if (typeof merged.name !== 'string' || merged.name === '') problems.push('name must be a non-empty string')
  if (typeof merged.destination !== 'string' || merged.destination === '') {
    problems.push("destination must be 'stderr', 'stdout' or a file path")
  }
  if (typeof merged.pretty !== 'boolean') problems.push('pretty must be a boolean')
  if (merged.colors !== undefined && typeof merged.colors !== 'boolean')
    problems.push('colors must be a boolean')
  if (typeof merged.sync !== 'boolean') problems.push('sync must be a boolean')
  assertValidOptions('logger', problems)
  return merged
}

/**
 * Creates the process logger: JSON lines (pino) or, with `pretty`, one human line per record
 * (`HH:MM:SS level component msg key=value…`). Components take `logger.child({ component: 'batcher' })`.
 */
export function createLogger(options: Partial<LoggerOptions> = {}): PinoLogger {
  const o = validateLoggerOptions(options)
  const target = openDestination(o.destination, o.sync)
  const stream: DestinationStream = o.pretty
    ? prettyStream(target, { colors: o.colors ?? isTerminal(o.destination) })
    : target
  return pino(
    {
      level: o.level,
      base: { pid: process.pid, name: o.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: REDACTED },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    stream,
  )
}

/** A logger that drops everything; the default for tests and optional modules. */
function openDestination(destination: string, sync: boolean): DestinationStream {
  if (destination === 'stderr') return pino.destination({ dest: 2, sync })
  if (destination === 'stdout') return pino.destination({ dest: 1, sync })
  mkdirSync(dirname(destination), { recursive: true })
  return pino.destination({ dest: destination, sync, append: true, mkdir: true })
}

function isTerminal(destination: string): boolean {
  if (destination === 'stderr') return process.stderr.isTTY === true
  if (destination === 'stdout') return process.stdout.isTTY === true
  return false
}

/** Wraps a destination so that each JSON line pino writes is rewritten in the pretty format. */
function prettyStream(target: DestinationStream, options: { colors: boolean }): DestinationStream {
  return {
    write(line: string) {
      target.write(formatPrettyLine(line, options))
    },
  }
}

const levelNames: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
}
const levelColors: Record<string, string> = {
  trace: '\x1b[90m',
  debug: '\x1b[36m',
  info: '\x1b[32m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
  fatal: '\x1b[35m',
}
const dim = '\x1b[2m'
const reset = '\x1b[0m'
// Fields the pretty line shows in fixed places (or not at all).
const positionalFields = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'name', 'component'])

/**
 * Formats one pino JSON line as `HH:MM:SS level component msg key=value…` (+ indented stack for errors).
 * Lines that are not JSON pass through unchanged.
 */
export function formatPrettyLine(jsonLine: string, options: { colors?: boolean } = {}): string {
  let record: Record<string, unknown>
  try {
    const parsed: unknown = JSON.parse(jsonLine)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return jsonLine
    record = parsed as Record<string, unknown>
  } catch {
    return jsonLine
  }
  const colors = options.colors === true
  const time = formatClock(record.time)
  const level = typeof record.level === 'number' ? (levelNames[record.level] ?? `L${record.level}`) : 'info'
  const component = typeof record.component === 'string' ? record.component : stringField(record.name)
  const msg = typeof record.msg === 'string' ? record.msg : ''
  const parts: string[] = []
  const stacks: string[] = []
  for (const [key, value] of Object.entries(record)) {
    if (positionalFields.has(key)) continue
    if (isSerializedError(value)) {
      parts.push(`${key}=${formatValue(value.message)}`)
      if (typeof value.stack === 'string') stacks.push(value.stack)
      continue
    }
    parts.push(`${key}=${formatValue(value)}`)
  }
  const levelText = level.padEnd(5)
  const head = colors
    ? `${dim}${time}${reset} ${levelColors[level] ?? ''}${levelText}${reset} ${component}`
    : `${time} ${levelText} ${component}`
  let out = [head, msg, ...parts].filter((part) => part !== '').join(' ')
  for (const stack of stacks) out += `\n${stack.replace(/^/gm, '    ')}`
  return `${out}\n`
}

function formatClock(time: unknown): string {
  const date = typeof time === 'string' || typeof time === 'number' ? new Date(time) : new Date()
  const valid = Number.isNaN(date.getTime()) ? new Date() : date
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(valid.getHours())}:${two(valid.getMinutes())}:${two(valid.getSeconds())}`
}

function stringField(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

function isSerializedError(value: unknown): value is { message: unknown; stack?: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'message' in value &&
    'stack' in value &&
    typeof (value as { stack: unknown }).stack === 'string'
  )
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)
  if (value === undefined) return 'undefined'
  return JSON.stringify(value) ?? String(value)
}
