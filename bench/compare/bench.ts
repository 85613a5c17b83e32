/**
 * `npm run bench` ends with the comparison: `l2kit bench` runs each family's bench, then this, which is
 * `l2kit compare` with its defaults (every family on one L1, the attack demos included) → bench/results/compare.*.
 */
import type { ParsedArgs } from '../../src/cli/args.ts'
import { compareFlags, runCompare } from '../../src/cli/compare.ts'
import type { Logger } from '../../src/node/logger.ts'

export const benchFlags = compareFlags

export async function runBench(
  args: ParsedArgs,
  logger: Logger,
  _onShutdown: (fn: () => Promise<void>) => void,
): Promise<void> {
  // every process and node compare starts is stopped by compare itself, row by row
  await runCompare(args, logger)
}
