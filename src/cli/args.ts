/**
 * Flags, environment (L2KIT_*) and the config file (l2kit.config.json) merged into one options object.
 * Precedence: flag > env var > config file > default. Only the CLI reads these sources.
 */
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { parseUnits } from 'viem'
import { L2kitError } from '../core/errors.ts'

export type FlagSpec = Record<
  string,
  { type: 'string' | 'boolean'; short?: string; description: string; default?: string }
>

export const commonFlags: FlagSpec = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  json: { type: 'boolean', description: 'machine-readable JSON output' },
  config: { type: 'string', description: 'config file (default: ./l2kit.config.json if present)' },
  'log-level': { type: 'string', description: 'trace|debug|info|warn|error|silent', default: 'info' },
  verbose: { type: 'boolean', description: 'show stack traces of errors (also: DEBUG=1)' },
}

export type ParsedArgs = {
  values: Record<string, string | boolean | undefined>
  positionals: string[]
  /** Flags whose value is their default (nobody set them: not on the command line, env or config file). */
  defaulted?: ReadonlySet<string>
}

export function parseCommandArgs(argv: string[], spec: FlagSpec): ParsedArgs {
  const all = { ...commonFlags, ...spec }
  const options: ParseArgsConfig['options'] = {}
  for (const [name, s] of Object.entries(all))
    options[name] = { type: s.type, ...(s.short ? { short: s.short } : {}) }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new L2kitError('INVALID_ARGUMENTS', err instanceof Error ? err.message : String(err))
  }
  const values: Record<string, string | boolean | undefined> = {
    ...(parsed.values as Record<string, string | boolean>),
  }
  const file = loadConfigFile(typeof values.config === 'string' ? values.config : undefined)
  const defaulted = new Set<string>()
  for (const [name, s] of Object.entries(all)) {
    if (values[name] !== undefined) continue
    const envName = `L2KIT_${name.toUpperCase().replace(/-/g, '_')}`
    const env = process.env[envName]
    if (env !== undefined && env !== '') {
      values[name] = s.type === 'boolean' ? env === '1' || env === 'true' : env
      continue
    }
    const camel = name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())
    const fromFile = file[name] ?? file[camel]
    if (fromFile !== undefined) {
      values[name] = s.type === 'boolean' ? Boolean(fromFile) : String(fromFile)
      continue
    }
    if (s.default !== undefined) {
      values[name] = s.default
      defaulted.add(name)
    }
  }
  return { values, positionals: parsed.positionals, defaulted }
}

function loadConfigFile(path: string | undefined): Record<string, unknown> {
  const p = resolve(path ?? 'l2kit.config.json')
  if (!existsSync(p)) {
    if (path) throw new L2kitError('CONFIG_NOT_FOUND', `config file ${p} does not exist`)
    return {}
  }
  try {
    const parsed: unknown = JSON.parse(readFileSync(p, 'utf8'))
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not a JSON object')
    return parsed as Record<string, unknown>
  } catch (err) {
    throw new L2kitError(
      'INVALID_CONFIG',
      `config file ${p} is not valid: ${err instanceof Error ? err.message : String(err)}`,
    )
  }
}

export function helpText(command: string, summary: string, spec: FlagSpec, examples: string[] = []): string {
  const all = { ...spec, ...commonFlags }
  const width = Math.max(...Object.keys(all).map((k) => k.length)) + 4
  const lines = [`l2kit ${command} — ${summary}`, '', 'Options:']
  for (const [name, s] of Object.entries(all)) {
    const flag = `--${name}${s.type === 'string' ? ' <v>' : ''}`
    lines.push(
      `  ${flag.padEnd(width + 6)}${s.description}${s.default !== undefined ? ` (default: ${s.default})` : ''}`,
    )
  }
  lines.push(
    '',
    'Every option can also come from an env var (L2KIT_<NAME>, e.g. L2KIT_L1_RPC) or l2kit.config.json.',
  )
  if (examples.length) lines.push('', 'Examples:', ...examples.map((e) => `  ${e}`))
  return lines.join('\n')
}

export function str(v: string | boolean | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined
}

export function num(v: string | boolean | undefined, name: string): number | undefined {
  if (typeof v !== 'string') return undefined
  const n = Number(v)
  if (!Number.isFinite(n)) throw new L2kitError('INVALID_ARGUMENTS', `--${name} must be a number, got "${v}"`)
  return n
}

/** `--private-key` (or L2KIT_PRIVATE_KEY), checked: 0x and 64 hex digits. */
export function requireKey(args: ParsedArgs): `0x${string}` {
  const key = str(args.values['private-key'])
  if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
    throw new L2kitError(
      'INVALID_ARGUMENTS',
      '--private-key (or L2KIT_PRIVATE_KEY) must be 0x followed by 64 hex digits',
    )
  }
  return key as `0x${string}`
}

/** `--<flag> 1.5`: a positive amount in whole units (ETH, or a token with `decimals`), as base units. */
export function tokenAmount(text: string | undefined, flag: string, decimals = 18): bigint {
  if (text === undefined)
    throw new L2kitError('INVALID_ARGUMENTS', `--${flag} is required, e.g. --${flag} 0.01`)
  let v: bigint
  try {
    if (!/^[0-9]+(\.[0-9]+)?$/.test(text)) throw new Error('not a number')
    v = parseUnits(text, decimals)
  } catch {
    throw new L2kitError('INVALID_ARGUMENTS', `--${flag} ${text} is not an amount (e.g. 0.01)`)
  }
  if (v <= 0n) throw new L2kitError('INVALID_ARGUMENTS', `--${flag} must be more than 0`)
  return v
}

/** `--attack KIND`: one of the family's attack kinds, or undefined when not given. */
export function attackArg<K extends string>(args: ParsedArgs, kinds: readonly K[]): K | undefined {
  const attack = str(args.values.attack)
  if (attack !== undefined && !(kinds as readonly string[]).includes(attack)) {
    throw new L2kitError('INVALID_ARGUMENTS', `--attack must be one of ${kinds.join(', ')}, got '${attack}'`)
  }
  return attack as K | undefined
}
