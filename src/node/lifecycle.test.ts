import { spawn } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { isL2kitError, L2kitError } from '../core/errors.ts'
import { type LogRecord, recordingLogger } from '../core/logger.ts'
import { onShutdownSignals, Poller, runLoop, type Service, ServiceGroup, sleep } from './lifecycle.ts'
import { createMetrics } from './metrics.ts'

/** The recorded lines as `level msg`. */
const lines = (logger: { records: LogRecord[] }) => logger.records.map((r) => `${r.level} ${r.msg}`)

function fakeService(
  name: string,
  events: string[],
  behaviour: { failStart?: boolean; stop?: () => Promise<void> } = {},
) {
  return {
    name,
    async start() {
      events.push(`start ${name}`)
      if (behaviour.failStart === true) throw new Error(`${name} cannot start`)
    },
    async stop() {
      events.push(`stop ${name}`)
      await behaviour.stop?.()
    },
  } satisfies Service
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(2)
  }
}

describe('sleep', () => {
  it('waits, and rejects early with the abort reason', async () => {
    const began = performance.now()
    await sleep(20)
    expect(performance.now() - began).toBeGreaterThanOrEqual(15)
    const controller = new AbortController()
    const pending = sleep(10_000, controller.signal)
    controller.abort(new Error('stop'))
    await expect(pending).rejects.toThrow('stop')
    await expect(sleep(1, AbortSignal.abort(new Error('already')))).rejects.toThrow('already')
  })
})

describe('ServiceGroup', () => {
  it('starts in order and stops in reverse order', async () => {
    const events: string[] = []
    const group = new ServiceGroup({ name: 'test' }, { logger: recordingLogger() })
    group
      .add(fakeService('store', events))
      .add(fakeService('sequencer', events))
      .add(fakeService('rpc', events))
    await group.start()
    expect(group.isRunning).toBe(true)
    await group.stop()
    await group.stop()
    expect(events).toEqual([
      'start store',
      'start sequencer',
      'start rpc',
      'stop rpc',
      'stop sequencer',
      'stop store',
    ])
  })

  it('stops what already started when a service fails to start, and rethrows', async () => {
    const events: string[] = []
    const services = [
      fakeService('a', events),
      fakeService('b', events, { failStart: true }),
      fakeService('c', events),
    ]
    const group = new ServiceGroup({}, { logger: recordingLogger(), services })
    await expect(group.start()).rejects.toThrow('b cannot start')
    expect(events).toEqual(['start a', 'start b', 'stop a'])
  })

  it('logs stop errors and time-outs instead of throwing, and still stops the rest', async () => {
    const events: string[] = []
    const logger = recordingLogger()
    const group = new ServiceGroup(
      { stopTimeoutMs: 50 },
      {
        logger,
        services: [
          fakeService('first', events),
          fakeService('stuck', events, { stop: () => new Promise(() => {}) }),
          fakeService('broken', events, { stop: () => Promise.reject(new Error('broken stop')) }),
        ],
      },
    )
    await group.start()
    await group.stop()
    expect(events.slice(3)).toEqual(['stop broken', 'stop stuck', 'stop first'])
    expect(lines(logger).filter((l) => l.startsWith('error'))).toHaveLength(2)
  })

  it('rejects invalid options with INVALID_OPTIONS', () => {
    expect(() => new ServiceGroup({ stopTimeoutMs: -1 }, { logger: recordingLogger() })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
  })
})

describe('onShutdownSignals', () => {
  it('runs the shutdown once, forces exit on a second signal, and unsubscribes', async () => {
    const emitter = new EventEmitter()
    const exits: number[] = []
    let runs = 0
    let finish: () => void = () => {}
    const unsubscribe = onShutdownSignals(
      () => {
        runs++
        return new Promise<void>((resolve) => {
          finish = resolve
        })
      },
      { emitter: emitter as never, exit: (code) => exits.push(code), logger: recordingLogger() },
    )
    emitter.emit('SIGTERM', 'SIGTERM')
    await sleep(1)
    expect(runs).toBe(1)
    emitter.emit('SIGINT', 'SIGINT')
    expect(exits).toEqual([130])
    finish()
    unsubscribe()
    expect(emitter.listenerCount('SIGINT') + emitter.listenerCount('SIGTERM')).toBe(0)
  })

  it('exits with 1 when the shutdown fails', async () => {
    const emitter = new EventEmitter()
    const exits: number[] = []
    onShutdownSignals(
      async () => {
        throw new Error('cannot stop')
      },
      { emitter: emitter as never, exit: (code) => exits.push(code) },
    )
    emitter.emit('SIGTERM', 'SIGTERM')
    await until(() => exits.length > 0)
    expect(exits).toEqual([1])
  })

  it('handles real signals in a child process', async () => {
    const script = fileURLToPath(new URL('./testing/signalChild.ts', import.meta.url))
    const run = (signals: number) =>
      new Promise<{ code: number | null; out: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script], {
          stdio: ['ignore', 'pipe', 'inherit'],
        })
        let out = ''
        child.stdout.setEncoding('utf8')
        child.stdout.on('data', (chunk: string) => {
          out += chunk
          if (chunk.includes('ready')) {
            child.kill('SIGTERM')
            if (signals === 2) setTimeout(() => child.kill('SIGINT'), 100)
          }
        })
        child.on('error', reject)
        child.on('exit', (code) => resolve({ code, out }))
      })
    const clean = await run(1)
    expect(clean.code).toBe(0)
    expect(clean.out).toContain('stopped cleanly after SIGTERM')
    const forced = await run(2)
    expect(forced.code).toBe(130)
    expect(forced.out).not.toContain('stopped cleanly')
  })
})

describe('Poller', () => {
  it('runs the step every interval without overlapping runs', async () => {
    let running = 0
    let maxRunning = 0
    let runs = 0
    const poller = new Poller(
      { name: 'p', intervalMs: 5 },
      {
        logger: recordingLogger(),
        step: async () => {
          running++
          maxRunning = Math.max(maxRunning, running)
          await sleep(10)
          runs++
          running--
        },
      },
    )
    await poller.start()
    poller.trigger()
    poller.trigger()
    await until(() => runs >= 5)
    await poller.stop()
    const after = runs
    await sleep(30)
    expect(runs).toBe(after)
    expect(maxRunning).toBe(1)
    expect(poller.isRunning).toBe(false)
  })

  it('retries temporary errors with exponential backoff and recovers', async () => {
    const times: number[] = []
    const logger = recordingLogger()
    const poller = runLoop(
      { name: 'flaky', intervalMs: 1000, initialBackoffMs: 20, maxBackoffMs: 40 },
      {
        logger,
        step: () => {
          times.push(performance.now())
          if (times.length <= 4) throw new L2kitError('L1_UNAVAILABLE', 'L1 busy', { kind: 'temporary' })
        },
      },
    )
    await until(() => times.length >= 5)
    expect(poller.consecutiveFailures).toBe(0)
    await poller.stop()
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0))
    // 20, 40, 40 (capped), 40 ms between attempts, with timer slack.
    expect(gaps[0]).toBeGreaterThanOrEqual(15)
    expect(gaps[1]).toBeGreaterThanOrEqual(35)
    expect(gaps[2]).toBeGreaterThanOrEqual(35)
    expect(lines(logger).filter((l) => l.startsWith('warn'))).toHaveLength(4)
    expect(lines(logger)).toContain('info loop recovered')
  })

  it('stops on a critical error and reports it once', async () => {
    const reported: unknown[] = []
    const metrics = createMetrics()
    let runs = 0
    const poller = runLoop(
      { name: 'deriver', intervalMs: 1 },
      {
        logger: recordingLogger(),
        metrics,
        step: () => {
          runs++
          throw new L2kitError('STATE_ROOT_MISMATCH', 'broken invariant', { kind: 'critical' })
        },
        onCritical: (error) => reported.push(error),
      },
    )
    await until(() => reported.length > 0)
    await sleep(20)
    expect(runs).toBe(1)
    expect(poller.isRunning).toBe(false)
    expect(isL2kitError(reported[0], 'STATE_ROOT_MISMATCH')).toBe(true)
    expect(await metrics.metricsText()).toContain(
      'l2kit_loop_errors_total{loop="deriver",action="critical"} 1',
    )
  })

  it('runs again at once when the step reports more work, and aborts a long step on stop', async () => {
    let runs = 0
    let aborted = false
    const poller = runLoop(
      { name: 'catch-up', intervalMs: 60_000, runImmediately: true },
      {
        logger: recordingLogger(),
        step: async (signal) => {
          runs++
          if (runs < 10) return true
          await sleep(60_000, signal).catch(() => {
            aborted = true
          })
          return false
        },
      },
    )
    await until(() => runs === 10)
    await poller.stop()
    expect(aborted).toBe(true)
  })

  it('rejects invalid options with INVALID_OPTIONS', () => {
    const make = (options: object) => () =>
      new Poller({ name: 'x', ...options }, { logger: recordingLogger(), step: () => {} })
    expect(make({ intervalMs: -5 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))
    expect(make({ initialBackoffMs: 100, maxBackoffMs: 10 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
    expect(make({ name: '' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))
  })
})
