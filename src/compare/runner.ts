/**
 * Runs one phase of a comparison (a family's workload, an attack) under a time budget, so that a family that is
 * down, slow or failing mid-run becomes a reported failure — with the stage it reached and the reason — instead of
 * stopping the comparison. What the phase started is stopped through the cleanups it registered.
 */
import { isL2kitError } from '../core/errors.ts'
import type { Failure } from './types.ts'
import './errors.ts'

export type PhaseContext = {
  /** progress for people watching (stderr) */
  step(message: string): void
  /** marks the start of a stage; a failure names the stage it happened in */
  stage(name: string): Promise<void>
  /** the stages finished so far, in order */
  readonly stages: readonly string[]
  /** registers what stops the phase's processes and nodes (run newest first, on success, failure or timeout) */
  onCleanup(fn: () => Promise<void>): void
  /** aborted when the phase's time is up: long waits should give up */
  readonly signal: AbortSignal
}

export type PhaseHooks = {
  /**
   * Called as each stage starts; may throw to fail the phase, or stop the phase's nodes (what its cleanups stop)
   * to see the family fail mid-run as it would if they crashed (the tests do).
   */
  onStage?: (phase: string, stage: string, control: { stopNodes(): Promise<void> }) => void | Promise<void>
}

export type PhaseOutcome<T> =
  | { ok: true; value: T; seconds: number; stages: string[] }
  | { ok: false; failure: Failure; seconds: number; stages: string[] }

/** How long a timed-out phase's own code gets to notice (after its cleanups ran) before it is left behind. */
const GRACE_MS = 5_000

export async function runPhase<T>(
  name: string,
  budgetMs: number,
  fn: (ctx: PhaseContext) => Promise<T>,
  o: { step?: (message: string) => void; hooks?: PhaseHooks } = {},
): Promise<PhaseOutcome<T>> {
  const t0 = performance.now()
  const cleanups: (() => Promise<void>)[] = []
  const finished: string[] = []
  // before the phase names its first stage
  let current = 'setup'
  const controller = new AbortController()
  const step = o.step ?? (() => undefined)
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) {
      await c().catch((err: unknown) => step(`${name}: cleanup failed: ${messageOf(err)}`))
    }
  }
  const ctx: PhaseContext = {
    step: (m) => step(`${name}: ${m}`),
    stage: async (s) => {
      if (current !== 'setup') finished.push(current)
      current = s
      if (controller.signal.aborted) throw controller.signal.reason
      await o.hooks?.onStage?.(name, s, { stopNodes: cleanup })
    },
    get stages() {
      return finished
    },
    onCleanup: (c) => {
      cleanups.push(c)
    },
    signal: controller.signal,
  }
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), budgetMs)
  })
  const run = fn(ctx)
  // a phase left behind after a timeout may still reject: never as an unhandled rejection
  run.catch(() => undefined)
  try {
    const r = await Promise.race([run, timedOut])
    if (r === 'timeout') {
      const failure: Failure = {
        stage: current,
        code: 'COMPARE_PHASE_TIMEOUT',
        message: `${name} did not finish within ${Math.round(budgetMs / 1000)} s (stopped in stage "${current}")`,
      }
      controller.abort(new Error(failure.message))
      await cleanup()
      await Promise.race([run.catch(() => undefined), sleep(GRACE_MS)])
      return { ok: false, failure, seconds: secondsSince(t0), stages: ctx.stages.slice() }
    }
    if (current !== 'setup') finished.push(current)
    await cleanup()
    return { ok: true, value: r as T, seconds: secondsSince(t0), stages: ctx.stages.slice() }
  } catch (err) {
    await cleanup()
    return {
      ok: false,
      failure: { stage: current, code: codeOf(err), message: messageOf(err) },
      seconds: secondsSince(t0),
      stages: ctx.stages.slice(),
    }
  } finally {
    clearTimeout(timer)
  }
}

function secondsSince(t0: number): number {
  return Math.round((performance.now() - t0) / 100) / 10
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref())
}

/** The error's stable code when it has one (an L2kitError, or a node error like ECONNREFUSED). */
export function codeOf(err: unknown): string {
  if (isL2kitError(err)) return err.code
  const code = (err as { code?: unknown; cause?: { code?: unknown } } | undefined)?.code
  if (typeof code === 'string') return code
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code
  if (typeof cause === 'string') return cause
  return 'COMPARE_PHASE_FAILED'
}

/** The first line of an error's message (viem's are long: the first line says what failed). */
export function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return (text.split('\n').find((l) => l.trim() !== '') ?? text).trim().slice(0, 400)
}
