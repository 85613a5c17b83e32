import { describe, expect, it } from 'vitest'
import { isL2kitError } from '../core/errors.ts'
import {
  defaultBatcherOptions,
  defaultChallengerOptions,
  defaultProposerOptions,
  defaultSequencerOptions,
  validateBatcherOptions,
  validateChallengerOptions,
  validateProposerOptions,
  validateSequencerOptions,
} from './config.ts'

function problemsOf(fn: () => unknown): string[] {
  try {
    fn()
  } catch (err) {
    if (isL2kitError(err, 'INVALID_OPTIONS')) return err.details.problems as string[]
    throw err
  }
  return []
}

describe('role options', () => {
  it('accepts every default', () => {
    expect(problemsOf(() => validateSequencerOptions(defaultSequencerOptions))).toEqual([])
    expect(problemsOf(() => validateBatcherOptions(defaultBatcherOptions))).toEqual([])
    expect(problemsOf(() => validateProposerOptions(defaultProposerOptions))).toEqual([])
    expect(problemsOf(() => validateChallengerOptions(defaultChallengerOptions))).toEqual([])
  })

  it('lists every problem at once, each naming its option', () => {
    const sequencer = problemsOf(() =>
      validateSequencerOptions({
        ...defaultSequencerOptions,
        blockTimeMs: 0,
        maxBlockRows: 600,
        blockGasLimit: 5n,
      }),
    )
    expect(sequencer).toHaveLength(3)
    expect(sequencer.join('\n')).toMatch(
      /blockTimeMs.*\n.*maxBlockRows must be a whole number from 2 to 528.*\n.*blockGasLimit/,
    )
    const batcher = problemsOf(() =>
      validateBatcherOptions({ ...defaultBatcherOptions, maxBlobsPerTx: 7, dataMode: 'both' as 'auto' }),
    )
    expect(batcher).toEqual([
      'batcher.maxBlobsPerTx must be a whole number from 1 to 6, got 7',
      'batcher.dataMode must be auto, blob or calldata, got both',
    ])
    expect(
      problemsOf(() =>
        validateProposerOptions({ ...defaultProposerOptions, intervalMs: -1, traceMode: 'blob' as 'auto' }),
      ),
    ).toHaveLength(2)
    expect(
      problemsOf(() => validateChallengerOptions({ ...defaultChallengerOptions, privateKey: '0x12' })),
    ).toEqual(['challenger.privateKey must be 0x followed by 64 hex digits'])
  })
})
