import { ErrorKind, isL2kitError, L2kitError } from '../core/errors.ts'
import type { Logger } from './logger.ts'
import type { Metrics } from './metrics.ts'
import { assertValidOptions, isIntegerInRange, withDefaults } from './options.ts'

/**
 * A long-running part of a node. `stop()` must be safe to call when not started, and more than once.
 * `start()` may resolve to something useful (the RPC server resolves to its URL); groups ignore it.
 */
export interface Service {
  readonly name: string
  start(): Promise<unknown>
  stop(): Promise<void>
}

/** Resolves after `ms` milliseconds; rejects with `signal.reason` as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Runs `promise` but gives up after `ms`, rejecting with a temporary TIMEOUT error naming `what`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new L2kitError('TIMEOUT', `${what} did not finish within ${ms} ms`, { kind: 'temporary' })),
      ms,
    )
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

export interface ServiceGroupOptions {
  /** Name used in logs. */
  name: string
  /** How long each service may take to stop before the group gives up on it and moves on. */
  stopTimeoutMs: number
}

export const defaultServiceGroupOptions: ServiceGroupOptions = { name: 'node', stopTimeoutMs: 10_000 }

/**
 * Starts services in order and stops them in reverse order. If one fails to start, the ones already
 * started are stopped and the error is rethrown. Stopping never throws: each stop is time-limited and its
 * errors are logged, so one stuck part cannot keep the others running.
 */
export class ServiceGroup implements Service {
  readonly name: string
  readonly options: ServiceGroupOptions
  private readonly logger: Logger
  private readonly members: Service[] = []
  private started: Service[] = []
  private state: 'idle' | 'starting' | 'running' | 'stopping' = 'idle'
  private stopping: Promise<void> | undefined

  constructor(
    options: Partial<ServiceGroupOptions>,
    modules: { logger: Logger; services?: readonly Service[] },
  ) {
    const o = withDefaults(defaultServiceGroupOptions, options)
    const problems: string[] = []
    if (typeof o.name !== 'string' || o.name === '') problems.push('name must be a non-empty string')
    if (!isIntegerInRange(o.stopTimeoutMs, 1, 3_600_000))
      problems.push('stopTimeoutMs must be an integer in [1, 3600000]')
    assertValidOptions('service group', problems)
    this.options = o
    this.name = o.name
    this.logger = modules.logger
    for (const service of modules.services ?? []) this.add(service)
  }

  /** Adds a service; it starts after the ones added before it. Only before `start()`. */
  add(service: Service): this {
    if (this.state !== 'idle') {
      throw new L2kitError(
        'SERVICE_GROUP_RUNNING',
        `cannot add ${service.name} to ${this.name} while it runs`,
      )
    }
    this.members.push(service)
    return this
  }

  get services(): readonly Service[] {
    return this.members
  }

  get isRunning(): boolean {
    return this.state === 'running'
  }

  async start(): Promise<void> {
    if (this.state !== 'idle') {
      throw new L2kitError('SERVICE_GROUP_RUNNING', `${this.name} is already ${this.state}`)
    }
    this.state = 'starting'
    for (const service of this.members) {
      const began = performance.now()
      try {
        await service.start()
      } catch (error) {
        this.logger.error(
          { err: error, service: service.name },
          'service failed to start; stopping the others',
        )
        await this.stopStarted()
        this.state = 'idle'
        throw error
      }
      this.started.push(service)
      this.logger.debug(
        { service: service.name, ms: Math.round(performance.now() - began) },
        'service started',
      )
    }
    this.state = 'running'
    this.logger.info({ services: this.members.map((s) => s.name) }, `${this.name} started`)
  }

  /** Stops every started service in reverse order. Never throws; concurrent calls share one stop. */
  stop(): Promise<void> {
    if (this.stopping !== undefined) return this.stopping
    if (this.state === 'idle') return Promise.resolve()
    this.state = 'stopping'
    this.stopping = this.stopStarted().finally(() => {
      this.state = 'idle'
      this.stopping = undefined
      this.logger.info(`${this.name} stopped`)
    })
    return this.stopping
  }

  private async stopStarted(): Promise<void> {
    const toStop = this.started.reverse()
    this.started = []
    for (const service of toStop) {
      try {
        await withTimeout(service.stop(), this.options.stopTimeoutMs, `stopping ${service.name}`)
        this.logger.debug({ service: service.name }, 'service stopped')
      } catch (error) {
        this.logger.error({ err: error, service: service.name }, 'service did not stop cleanly')
      }
    }
  }
}

export interface ShutdownSignalOptions {
  signals?: readonly NodeJS.Signals[]
  logger?: Logger
  /** Called for a forced exit (second signal) or when `fn` fails. Defaults to `process.exit`. */
  exit?: (code: number) => void
  /** Also exit with code 0 once `fn` finished, instead of letting the event loop drain. */
  exitWhenDone?: boolean
  /** Where signals come from; `process` unless testing. */
  emitter?: Pick<NodeJS.Process, 'on' | 'off'>
}

const signalNumbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }

/**
 * On the first SIGINT/SIGTERM/SIGHUP runs `fn` once (a clean shutdown); a second signal exits at once with
 * 128+signal. If `fn` fails, the error is logged and the process exits with 1. Returns an unsubscribe.
 */
export function onShutdownSignals(
  fn: (signal: NodeJS.Signals) => void | Promise<void>,
  options: ShutdownSignalOptions = {},
): () => void {
  // SIGHUP too: a closed terminal or a service manager's reload must not leave the node without a clean stop.
  const signals = options.signals ?? ['SIGINT', 'SIGTERM', 'SIGHUP']
  const emitter = options.emitter ?? process
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const logger = options.logger
  let received: NodeJS.Signals | undefined
  const handler = (signal: NodeJS.Signals) => {
    if (received !== undefined) {
      logger?.warn({ signal }, 'second signal: exiting now without a clean shutdown')
      exit(128 + (signalNumbers[signal] ?? 0))
      return
    }
    received = signal
    logger?.info({ signal }, 'shutting down (send the signal again to force)')
    Promise.resolve()
      .then(() => fn(signal))
      .then(
        () => {
          logger?.info('shutdown complete')
          if (options.exitWhenDone === true) exit(0)
        },
        (error: unknown) => {
          logger?.error({ err: error }, 'shutdown failed')
          exit(1)
        },
      )
  }
  for (const signal of signals) emitter.on(signal, handler)
  return () => {
    for (const signal of signals) emitter.off(signal, handler)
  }
}

export interface PollerOptions {
  /** Name in logs and metrics. */
  name: string
  /** Pause after a successful step before the next one. */
  intervalMs: number
  /** Pause after the first failure; doubles with each consecutive failure. */
  initialBackoffMs: number
  /** Upper bound of the pause after failures. */
  maxBackoffMs: number
  /** Run the first step at once on `start()` (otherwise after one interval). */
  runImmediately: boolean
}

export const defaultPollerOptions: Omit<PollerOptions, 'name'> = {
  intervalMs: 1000,
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
  runImmediately: true,
}

/**
 * One run of a loop. Gets a signal that aborts when the loop stops. Return `true` when more work is
 * already waiting (the next step runs at once instead of after the interval); any other result (or a
 * promise of it) means wait for the interval.
 */
export type PollerStep = (signal: AbortSignal) => unknown

export interface PollerModules {
  logger: Logger
  step: PollerStep
  /** Called once if the loop stops on a critical error. Without it the error is logged as fatal. */
  onCritical?: (error: unknown) => void
  /**
   * Which errors stop the loop. Default: an L2kitError of kind `critical` stops it; anything else
   * (temporary faults, reorg resets, network errors) is retried with backoff.
   */
  classifyError?: (error: unknown) => 'retry' | 'critical'
  metrics?: Metrics
}

/** The default error policy of `Poller`: only critical L2kitErrors stop a loop. */
export function classifyLoopError(error: unknown): 'retry' | 'critical' {
  return isL2kitError(error) && error.kind === ErrorKind.critical ? 'critical' : 'retry'
}

/**
 * Runs an async step every interval until stopped, never two at once. Failed steps are logged and retried
 * with exponential backoff; a critical error stops the loop and is reported through `onCritical`.
 * `trigger()` runs the next step now (e.g. when new work arrives).
 */
export class Poller implements Service {
  readonly name: string
  readonly options: PollerOptions
  private readonly modules: PollerModules
  private readonly logger: Logger
  private controller: AbortController | undefined
  private wake: (() => void) | undefined
  private triggered = false
  private loop: Promise<void> | undefined
  private failures = 0
  private lastFailure: unknown
  private readonly stepSeconds
  private readonly errorsTotal

  constructor(options: Partial<PollerOptions> & { name: string }, modules: PollerModules) {
    const o = withDefaults<PollerOptions>({ ...defaultPollerOptions, name: '' }, options)
    const problems: string[] = []
    if (typeof o.name !== 'string' || o.name === '') problems.push('name must be a non-empty string')
    for (const key of ['intervalMs', 'initialBackoffMs', 'maxBackoffMs'] as const) {
      if (!isIntegerInRange(o[key], 0, 86_400_000))
        problems.push(`${key} must be an integer in [0, 86400000]`)
    }
    if (o.maxBackoffMs < o.initialBackoffMs) problems.push('maxBackoffMs must be >= initialBackoffMs')
    if (typeof o.runImmediately !== 'boolean') problems.push('runImmediately must be a boolean')
    if (typeof modules.step !== 'function') problems.push('modules.step must be a function')
    assertValidOptions(`poller ${String(o.name)}`, problems)
    this.options = o
    this.name = o.name
    this.modules = modules
    this.logger = modules.logger.child({ loop: o.name })
    this.stepSeconds = modules.metrics?.histogram('loop_step_duration_seconds', 'Duration of one loop step', {
      labelNames: ['loop'],
    })
    this.errorsTotal = modules.metrics?.counter('loop_errors_total', 'Failed loop steps', ['loop', 'action'])
  }

  get isRunning(): boolean {
    return this.loop !== undefined
  }

  /** Consecutive failed steps (0 after a success). */
  get consecutiveFailures(): number {
    return this.failures
  }

  get lastError(): unknown {
    return this.lastFailure
  }

  /** Starts the loop in the background; resolves at once. */
  async start(): Promise<void> {
    if (this.loop !== undefined) return
    const controller = new AbortController()
    this.controller = controller
    this.triggered = this.options.runImmediately
    this.loop = this.run(controller.signal).finally(() => {
      if (this.controller === controller) {
        this.controller = undefined
        this.loop = undefined
      }
    })
  }

  /** Runs the next step as soon as the current one (if any) finished, skipping the wait. */
  trigger(): void {
    this.triggered = true
    this.wake?.()
  }

  /** Aborts the step's signal, cancels the wait and resolves once the running step returned. */
  async stop(): Promise<void> {
    const loop = this.loop
    if (loop === undefined) return
    this.controller?.abort(new L2kitError('STOPPED', `${this.name} stopped`, { kind: 'temporary' }))
    this.wake?.()
    await loop
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!this.triggered) {
        const delay = this.failures === 0 ? this.options.intervalMs : this.backoffMs()
        await this.pause(delay, signal)
        if (signal.aborted) return
      }
      this.triggered = false
      const began = performance.now()
      let moreWork = false
      try {
        moreWork = (await this.modules.step(signal)) === true
        if (this.failures > 0) this.logger.info({ failures: this.failures }, 'loop recovered')
        this.failures = 0
        this.lastFailure = undefined
      } catch (error) {
        if (signal.aborted) return
        const action = (this.modules.classifyError ?? classifyLoopError)(error)
        this.errorsTotal?.inc({ loop: this.name, action })
        this.lastFailure = error
        if (action === 'critical') {
          this.logger.error({ err: error }, 'critical error: loop stopped')
          this.reportCritical(error)
          return
        }
        this.failures++
        this.logger.warn(
          { err: error, failures: this.failures, retryInMs: this.backoffMs() },
          'loop step failed; retrying',
        )
      } finally {
        this.stepSeconds?.observe({ loop: this.name }, (performance.now() - began) / 1000)
      }
      if (moreWork) {
        this.triggered = true
        // Yield to I/O between back-to-back steps.
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
  }

  private backoffMs(): number {
    const exponent = Math.min(Math.max(this.failures - 1, 0), 30)
    return Math.min(this.options.maxBackoffMs, this.options.initialBackoffMs * 2 ** exponent)
  }

  private pause(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        this.wake = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal.addEventListener('abort', done, { once: true })
      this.wake = done
      if (this.triggered) done()
    })
  }

  private reportCritical(error: unknown): void {
    if (this.modules.onCritical === undefined) {
      this.logger.fatal({ err: error }, 'no onCritical handler for a critical loop error')
      return
    }
    try {
      this.modules.onCritical(error)
    } catch (callbackError) {
      this.logger.error({ err: callbackError }, 'onCritical handler threw')
    }
  }
}

/** Creates and starts a `Poller`; stop it with `await poller.stop()`. */
export function runLoop(options: Partial<PollerOptions> & { name: string }, modules: PollerModules): Poller {
  const poller = new Poller(options, modules)
  void poller.start()
  return poller
}

/** A role and the service that runs it. */
export type RoleService<R> = Service & { readonly role: R }

/** Wraps a role (anything with start/stop) as a Service; `afterStop` runs once after the role stopped (e.g. closing its store). */
export function roleService<R extends { start(): Promise<unknown>; stop(): Promise<void> }>(
  name: string,
  role: R,
  afterStop?: () => Promise<void>,
): RoleService<R> {
  let stopped = false
  return {
    name,
    role,
    start: () => role.start(),
    stop: async () => {
      try {
        await role.stop()
      } finally {
        if (!stopped && afterStop) {
          stopped = true
          await afterStop()
        }
      }
    },
  }
}
