/** Terminal output: progress lines to stderr (so --json stdout stays one clean line), results to stdout. */
import { stringifyWithBigints } from '../optimistic/serde.ts'

export function progress(message: string): void {
  process.stderr.write(`» ${message}\n`)
}

export function printJson(value: unknown): void {
  process.stdout.write(
    `${JSON.stringify(JSON.parse(stringifyWithBigints(value), (_k, v: unknown) => (typeof v === 'string' && v.startsWith('$n:') ? v.slice(3) : v)))}\n`,
  )
}

export function table(rows: [string, string][]): string {
  const w = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n')
}
