/**
 * Runs the attack demos for compare: each as `l2kit <family> demo --attack KIND --json` in its own process (its own
 * fresh anvil), reading the documented result line (the last JSON line: `family`, `attack`, `caught`,
 * `honestFundsLost`, …). A process, not a function call, because a demo that hangs must be stoppable with
 * everything it started (its process group gets SIGTERM, then SIGKILL), and one that crashes must not take compare
 * with it.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type AttackSpec, attackSpec } from '../../compare/attacks.ts'
import { messageOf } from '../../compare/runner.ts'
import type { AttackOutcome, FamilyName } from '../../compare/types.ts'

/** The repository's `bin/l2kit.js`, found upwards from this module (also from the CLI's bundle in node_modules). */
export function l2kitBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const bin = join(dir, 'bin', 'l2kit.js')
    if (existsSync(bin)) return bin
    const up = dirname(dir)
    if (up === dir) throw new Error('cannot find bin/l2kit.js above this module')
    dir = up
  }
}

/** The last line of `text` that parses as a JSON object, or undefined. */
export function lastJsonLine(text: string): Record<string, unknown> | undefined {
  const lines = text.split('\n').reverse()
  for (const l of lines) {
    const t = l.trim()
    if (!t.startsWith('{')) continue
    try {
      const v = JSON.parse(t) as unknown
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>
    } catch {
      // a log line that merely starts with a brace: keep looking
    }
  }
  return undefined
}

/** An outcome from a demo's result line (or the failure when there is none). */
export function outcomeOf(
  spec: Pick<AttackSpec, 'family' | 'attack' | 'attacker' | 'goal'>,
  result: Record<string, unknown> | undefined,
  seconds: number,
  failure: string | undefined,
): AttackOutcome {
  const base = {
    family: spec.family,
    attack: spec.attack,
    attacker: spec.attacker,
    goal: spec.goal,
    seconds,
    source: 'this run',
  }
  if (result === undefined || failure !== undefined) {
    return {
      ...base,
      status: 'failed',
      error: failure ?? 'the demo printed no result line',
      caught: null,
      honestFundsLostWei: null,
    }
  }
  const lost = result.honestFundsLost
  return {
    ...base,
    status: 'ok',
    caught: typeof result.caught === 'boolean' ? result.caught : null,
    honestFundsLostWei:
      typeof lost === 'string' || typeof lost === 'number' || typeof lost === 'bigint' ? String(lost) : null,
    raw: result,
  }
}

/** Runs one attack demo with a time limit; never throws (a failure is an outcome). */
export async function runAttackDemo(
  spec: AttackSpec,
  o: { step: (message: string) => void; timeoutSeconds?: number; signal?: AbortSignal },
): Promise<AttackOutcome> {
  const t0 = performance.now()
  const seconds = () => Math.round((performance.now() - t0) / 100) / 10
  const limit = (o.timeoutSeconds ?? spec.timeoutSeconds) * 1000
  let child: ReturnType<typeof spawn>
  try {
    child = spawn(
      process.execPath,
      [l2kitBin(), spec.family, 'demo', '--attack', spec.attack, '--json', '--log-level', 'warn'],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env } },
    )
  } catch (err) {
    return outcomeOf(spec, undefined, seconds(), messageOf(err))
  }
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  const killGroup = (sig: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, sig)
    } catch {
      // already gone
    }
  }
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    killGroup('SIGTERM')
    setTimeout(() => killGroup('SIGKILL'), 5_000).unref()
  }, limit)
  const onAbort = () => {
    timedOut = true
    killGroup('SIGTERM')
  }
  o.signal?.addEventListener('abort', onAbort)
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(-1))
    child.on('close', (c) => resolve(c))
  })
  clearTimeout(timer)
  o.signal?.removeEventListener('abort', onAbort)
  const result = lastJsonLine(stdout)
  const lastErr = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('l2kit:') || l.includes('Error'))
    .pop()
  const failure = timedOut
    ? `did not finish within ${Math.round(limit / 1000)} s (stopped)`
    : result === undefined
      ? `exited with code ${code} without a result line${lastErr ? `: ${lastErr.slice(0, 300)}` : ''}`
      : undefined
  const outcome = outcomeOf(spec, result, seconds(), failure)
  o.step(
    `attack ${spec.family}/${spec.attack}: ${outcome.status === 'ok' ? `caught=${outcome.caught}, honest funds lost=${outcome.honestFundsLostWei} wei` : `FAILED (${outcome.error})`} in ${outcome.seconds} s`,
  )
  return outcome
}

/** Attacks of the chosen families, in catalogue order. */
export function attacksFor(families: readonly FamilyName[], catalogue: readonly AttackSpec[]): AttackSpec[] {
  return catalogue.filter((a) => families.includes(a.family) && attackSpec(a.family, a.attack) !== undefined)
}
