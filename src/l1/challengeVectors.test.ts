import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CHALLENGE_VECTORS_PATH, renderChallengeVectors } from '../../scripts/genChallengeVectors.ts'

const repoRoot = resolve(import.meta.dirname, '..', '..')

describe('ChallengeVectors.sol', () => {
  it('is up to date with the blob encoding and StepVectors (regenerate: npx tsx scripts/genChallengeVectors.ts)', () => {
    const committed = readFileSync(resolve(repoRoot, CHALLENGE_VECTORS_PATH), 'utf8')
    expect(committed).toBe(renderChallengeVectors())
  })
})
