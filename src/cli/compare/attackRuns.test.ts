import { describe, expect, it } from 'vitest'
import { attackSpec } from '../../compare/attacks.ts'
import { l2kitBin, lastJsonLine, outcomeOf } from './attackRuns.ts'

const spec = attackSpec('sidechain', 'majority-theft') as NonNullable<ReturnType<typeof attackSpec>>

describe('attack demo results', () => {
  it('takes the last JSON line of the demo, past log lines and tables', () => {
    const out = [
      '{"level":30,"msg":"a log line"}',
      '  caught   false',
      '{"family":"sidechain","attack":"majority-theft","caught":false,"honestFundsLost":"10000000000000000000"}',
      '',
    ].join('\n')
    expect(lastJsonLine(out)).toMatchObject({ family: 'sidechain', caught: false })
    expect(lastJsonLine('no json here\n{broken')).toBeUndefined()
  })

  it('turns the result line into an outcome, and a missing one into a failure', () => {
    const ok = outcomeOf(spec, { caught: false, honestFundsLost: '10000000000000000000' }, 3, undefined)
    expect(ok).toMatchObject({
      status: 'ok',
      caught: false,
      honestFundsLostWei: '10000000000000000000',
      source: 'this run',
    })
    const failed = outcomeOf(spec, undefined, 120, 'did not finish within 120 s (stopped)')
    expect(failed).toMatchObject({ status: 'failed', caught: null, honestFundsLostWei: null })
    expect(failed.error).toMatch(/120 s/)
  })

  it('finds bin/l2kit.js', () => {
    expect(l2kitBin()).toMatch(/bin\/l2kit\.js$/)
  })
})
