import { L2kitError } from '../core/errors.ts'

/**
 * Merges options over their defaults, ignoring keys whose value is `undefined` (config files and flags
 * often produce those), so a missing value always means "use the default".
 */
export function withDefaults<T extends object>(defaults: T, options: Partial<T> | undefined): T {
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) }
  for (const [key, value] of Object.entries(options ?? {})) {
    if (value !== undefined) merged[key] = value
  }
  return merged as T
}

/** Throws the INVALID_OPTIONS error for `component` when `problems` is not empty. */
export function assertValidOptions(component: string, problems: readonly string[]): void {
  if (problems.length === 0) return
  throw new L2kitError('INVALID_OPTIONS', `invalid ${component} options: ${problems.join('; ')}`, {
    details: { component, problems: [...problems] },
  })
}

/** True for an integer number in [min, max]. */
export function isIntegerInRange(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
}
