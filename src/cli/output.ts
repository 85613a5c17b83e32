/** Terminal output: progress lines to stderr (so --json stdout stays one clean line), results to stdout. */
import { jsonSafe } from '../core/json.ts'

export function progress(message: string): void {
  process.stderr.write(`» ${message}\n`)
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(jsonSafe(value, 'decimal'))}\n`)
}

export function table(rows: [string, string][]): string {
  const w = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n')
}

/**
 * How the rollup's cost compares with doing the same on L1, worded right both ways: "12.5× cheaper on the
 * rollup" or "1.25× dearer on the rollup" (never "0.8× cheaper", which reads as a saving).
 */
export function costComparison(directWei: bigint, rollupWei: bigint): string {
  if (rollupWei === 0n) return 'free on the rollup here'
  if (directWei === rollupWei) return 'the same cost on the rollup here'
  if (rollupWei < directWei)
    return `${(Number(directWei) / Number(rollupWei)).toFixed(1)}× cheaper on the rollup here`
  return `${(Number(rollupWei) / Number(directWei)).toFixed(2)}× dearer on the rollup here`
}

/**
 * What a demo prints with: `say` (results, stdout; silent with --json), `step` (progress, stderr; silent with
 * --json) and `show` (an attack's result: a table, and with --json its one JSON line, the last on stdout).
 */
export function demoOutput(json: boolean): {
  say: (s: string) => void
  step: (s: string) => void
  show: (result: Record<string, unknown>) => void
} {
  const say = (s: string) => {
    if (!json) process.stdout.write(`${s}\n`)
  }
  return {
    say,
    step: json ? () => undefined : progress,
    show: (result) => {
      say(
        table(
          Object.entries(result).map(([k, v]) => [
            k,
            typeof v === 'object' && v !== null
              ? JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))
              : String(v),
          ]),
        ),
      )
      if (json) printJson(result)
    },
  }
}
