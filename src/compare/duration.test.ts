import { describe, expect, it } from 'vitest'
import { errorCodeOf } from '../core/testing.ts'
import { formatDuration, parseDuration } from './duration.ts'

describe('durations', () => {
  it('reads seconds, minutes, hours, days and weeks, and bare numbers as seconds', () => {
    expect(parseDuration('90s', 'x')).toBe(90)
    expect(parseDuration('30m', 'x')).toBe(1800)
    expect(parseDuration('1h', 'x')).toBe(3600)
    expect(parseDuration('1.5h', 'x')).toBe(5400)
    expect(parseDuration('7d', 'x')).toBe(604_800)
    expect(parseDuration('2w', 'x')).toBe(1_209_600)
    expect(parseDuration('45', 'x')).toBe(45)
  })

  it('refuses what is not a duration, naming the flag', () => {
    expect(errorCodeOf(() => parseDuration('soon', 'max-withdrawal-delay'))).toBe('INVALID_ARGUMENTS')
    expect(() => parseDuration('-1h', 'max-withdrawal-delay')).toThrow(/--max-withdrawal-delay/)
  })

  it('prints each in the unit a person reads', () => {
    expect(formatDuration(0.42)).toBe('0.42 s')
    expect(formatDuration(95)).toBe('95 s')
    expect(formatDuration(1800)).toBe('30 min')
    expect(formatDuration(10_800)).toBe('3 h')
    expect(formatDuration(604_800)).toBe('7 d')
    expect(formatDuration(null)).toBe('n/a')
  })
})
