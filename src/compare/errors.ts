/** Error codes of `l2kit compare` and `l2kit choose`, registered in core's union. */
export const CompareErrorCode = {
  /** `l2kit choose` found no compare.json: `l2kit compare` has to run first. */
  resultsMissing: 'COMPARE_RESULTS_MISSING',
  /** compare.json exists but is not a compare result this version can read. */
  resultsInvalid: 'COMPARE_RESULTS_INVALID',
  /** A family's phase went past its time budget (the family is reported as failed, the others go on). */
  phaseTimeout: 'COMPARE_PHASE_TIMEOUT',
  /** A family's phase failed (the reason is kept; the others go on). */
  phaseFailed: 'COMPARE_PHASE_FAILED',
  /** An attack demo did not print its JSON result line. */
  attackNoResult: 'COMPARE_ATTACK_NO_RESULT',
} as const
export type CompareErrorCode = (typeof CompareErrorCode)[keyof typeof CompareErrorCode]

declare module '../core/errors.ts' {
  interface ErrorCodeRegistry extends Record<CompareErrorCode, true> {}
}
