import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isL2kitError } from '../core/errors.ts'
import { createLogger, formatPrettyLine, type Logger, REDACTED, silentLogger } from './logger.ts'

const dir = mkdtempSync(join(tmpdir(), 'l2kit-logger-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function readLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

describe('createLogger', () => {
  it('writes structured JSON lines with name, component and fields', () => {
    const file = join(dir, 'json', 'node.log')
    const log = createLogger({ level: 'debug', name: 'seq-1', destination: file })
    log.child({ component: 'batcher' }).info({ txHash: '0xab', frames: 3 }, 'batch posted')
    log.trace('not written')
    const [line] = readLines(file)
    expect(line).toMatchObject({
      level: 30,
      name: 'seq-1',
      component: 'batcher',
      txHash: '0xab',
      frames: 3,
      msg: 'batch posted',
    })
    expect(typeof line?.time).toBe('string')
    expect(readLines(file)).toHaveLength(1)
  })

  it('never writes privateKey, secret or mnemonic values, even nested or in child bindings', () => {
    const file = join(dir, 'redact.log')
    const log = createLogger({ level: 'info', name: 'x', destination: file })
    log.info({ privateKey: '0xdeadbeef', account: { secret: 's3cret', mnemonic: 'test test' } }, 'keys')
    log.child({ signer: { privateKey: '0xfeed' } }).info({ deep: { inner: { mnemonic: 'm' } } }, 'child')
    const text = readFileSync(file, 'utf8')
    for (const leaked of ['deadbeef', 's3cret', 'test test', 'feed', '"m"'])
      expect(text).not.toContain(leaked)
    const [first, second] = readLines(file)
    expect(first?.privateKey).toBe(REDACTED)
    expect(first?.account).toEqual({ secret: REDACTED, mnemonic: REDACTED })
    expect(second?.signer).toEqual({ privateKey: REDACTED })
  })

  it('writes one human line per record in pretty mode', () => {
    const file = join(dir, 'pretty.log')
    const log = createLogger({ level: 'info', name: 'node', destination: file, pretty: true, colors: false })
    log.child({ component: 'proposer' }).warn({ batch: 7, note: 'two words' }, 'proposal late')
    const err = new Error('boom')
    log.error({ err }, 'step failed')
    const text = readFileSync(file, 'utf8')
    const lines = text.split('\n')
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d warn {2}proposer proposal late batch=7 note="two words"$/)
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d error node step failed err=boom$/)
    expect(lines[2]).toMatch(/^ {4}Error: boom$/)
    expect(text).toContain('logger.test.ts')
  })

  it('rejects invalid options with INVALID_OPTIONS', () => {
    const bad = [{ level: 'loud' }, { name: '' }, { destination: '' }, { pretty: 'yes' }] as const
    for (const options of bad) {
      let error: unknown
      try {
        createLogger(options as never)
      } catch (e) {
        error = e
      }
      expect(isL2kitError(error, 'INVALID_OPTIONS'), JSON.stringify(options)).toBe(true)
    }
  })

  it('ignores options set to undefined and uses the defaults', () => {
    const log = createLogger({ level: undefined, destination: join(dir, 'defaults.log') } as never)
    expect(log.level).toBe('info')
  })

  it('gives a pino logger that satisfies the Logger interface, and a silent logger', () => {
    const log: Logger = createLogger({ level: 'warn', name: 'x', destination: join(dir, 'iface.log') })
    expect(log.isLevelEnabled('warn')).toBe(true)
    expect(log.isLevelEnabled('info')).toBe(false)
    expect(silentLogger.isLevelEnabled('fatal')).toBe(false)
    silentLogger.child({ component: 'x' }).error({ err: new Error('quiet') }, 'nothing')
  })
})

describe('formatPrettyLine', () => {
  it('passes non-JSON through and colours levels when asked', () => {
    expect(formatPrettyLine('plain text\n')).toBe('plain text\n')
    const line = JSON.stringify({ level: 50, time: Date.now(), name: 'n', msg: 'm', n: 1 })
    expect(formatPrettyLine(line, { colors: true })).toContain('\x1b[31merror')
    expect(formatPrettyLine(line)).toMatch(/^\d\d:\d\d:\d\d error n m n=1\n$/)
  })
})
