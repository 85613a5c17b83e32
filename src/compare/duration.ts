/** Durations as people write them (`90s`, `30m`, `1h`, `7d`) and as the report prints them. */
import { L2kitError } from '../core/errors.ts'

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }

/** `1h` → 3600; a bare number is seconds. Throws INVALID_ARGUMENTS naming the flag. */
export function parseDuration(text: string, flag: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([smhdw]?)\s*$/i.exec(text)
  if (!m) {
    throw new L2kitError(
      'INVALID_ARGUMENTS',
      `--${flag} must be a duration like 90s, 30m, 1h, 7d or a number of seconds, got "${text}"`,
    )
  }
  return Number(m[1]) * (UNITS[(m[2] || 's').toLowerCase()] ?? 1)
}

/** 0.42 → "0.42 s", 95 → "1.6 min", 7200 → "2 h", 604800 → "7 d". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'n/a'
  if (seconds < 10) return `${Number(seconds.toPrecision(2))} s`
  if (seconds < 120) return `${Math.round(seconds)} s`
  if (seconds < 7200) return `${Number((seconds / 60).toPrecision(2))} min`
  if (seconds < 2 * 86_400) return `${Number((seconds / 3600).toPrecision(2))} h`
  return `${Number((seconds / 86_400).toPrecision(2))} d`
}
