import { describe, expect, it } from 'vitest'
import { L2kitError } from '../core/errors.ts'
import { runPhase } from './runner.ts'

describe('runPhase', () => {
  it('returns the value and the stages passed, and runs the cleanups', async () => {
    const cleaned: string[] = []
    const r = await runPhase('x', 5_000, async (ctx) => {
      ctx.onCleanup(async () => {
        cleaned.push('first')
      })
      ctx.onCleanup(async () => {
        cleaned.push('second')
      })
      await ctx.stage('deposits')
      await ctx.stage('transfers')
      return 42
    })
    expect(r).toMatchObject({ ok: true, value: 42, stages: ['deposits', 'transfers'] })
    expect(cleaned).toEqual(['second', 'first'])
  })

  it('turns a failure into a report: the stage it happened in, its code and message', async () => {
    let cleaned = false
    const r = await runPhase('plasma', 5_000, async (ctx) => {
      ctx.onCleanup(async () => {
        cleaned = true
      })
      await ctx.stage('deposits')
      await ctx.stage('transfers')
      throw new L2kitError('TIMEOUT', 'the operator did not answer\nmore detail')
    })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.failure).toEqual({ stage: 'transfers', code: 'TIMEOUT', message: 'the operator did not answer' })
    expect(r.stages).toEqual(['deposits'])
    expect(cleaned).toBe(true)
  })

  it('stops a phase that hangs past its budget: cleanups run, the signal aborts, the timeout is reported', async () => {
    let cleaned = false
    let aborted = false
    const r = await runPhase('zk', 200, async (ctx) => {
      ctx.onCleanup(async () => {
        cleaned = true
      })
      ctx.signal.addEventListener('abort', () => {
        aborted = true
      })
      await ctx.stage('proving')
      await new Promise(() => undefined)
    })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.failure.code).toBe('COMPARE_PHASE_TIMEOUT')
    expect(r.failure.stage).toBe('proving')
    expect(cleaned).toBe(true)
    expect(aborted).toBe(true)
  })

  it('lets a hook break a phase as a stage starts (how the tests fail a family mid-run)', async () => {
    const r = await runPhase(
      'plasma',
      5_000,
      async (ctx) => {
        await ctx.stage('deposits')
        await ctx.stage('transfers')
      },
      {
        hooks: {
          onStage: (_phase, stage) => {
            if (stage === 'transfers') throw new Error('injected')
          },
        },
      },
    )
    expect(r).toMatchObject({ ok: false, failure: { stage: 'transfers', message: 'injected' } })
  })

  it('keeps a node error code (ECONNREFUSED) as the failure code', async () => {
    const err = Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } })
    const r = await runPhase('x', 5_000, async () => {
      throw err
    })
    expect(r).toMatchObject({ ok: false, failure: { code: 'ECONNREFUSED' } })
  })
})
