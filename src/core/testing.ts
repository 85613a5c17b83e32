/**
 * Small pure helpers the tests of every layer share (kept in core so protocol tests, which may import only core, can
 * use them): a seeded xorshift32 generator for reproducible fuzzing, and the code of the L2kitError a call throws.
 */
import { isL2kitError } from './errors.ts'

/** Marsaglia's xorshift32: the same sequence of uint32s for the same seed (0 is replaced, as it would stay 0). */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s
  }
}

/** The code of the L2kitError `f` throws, undefined if it returns; any other error is rethrown. */
export function errorCodeOf(f: () => unknown): string | undefined {
  try {
    f()
  } catch (e) {
    if (isL2kitError(e)) return e.code
    throw e
  }
  return undefined
}
