/** Error codes raised by the `l2kit` command line, registered in core's union. */
/** Codes of the CLI. */
export const CliErrorCode = {
  attackSetup: 'ATTACK_SETUP',
  configNotFound: 'CONFIG_NOT_FOUND',
  invalidArguments: 'INVALID_ARGUMENTS',
  invalidConfig: 'INVALID_CONFIG',
  l2Unreachable: 'L2_UNREACHABLE',
  noChallenger: 'NO_CHALLENGER',
} as const
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode]

declare module '../core/errors.ts' {
  interface ErrorCodeRegistry extends Record<CliErrorCode, true> {}
}
