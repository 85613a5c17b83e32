import { describe, expect, it } from 'vitest'
import { OrderedAdmission } from './admission.ts'

const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms))

describe('OrderedAdmission', () => {
  it('commits in arrival order however long each preparation takes, and prepares concurrently', async () => {
    const a = new OrderedAdmission()
    const committed: number[] = []
    const started = performance.now()
    const delays = [60, 5, 30, 1, 45]
    const results = await Promise.all(
      delays.map((ms, i) =>
        a.admit(
          () => later(ms, i),
          (v) => {
            committed.push(v)
            return v * 10
          },
        ),
      ),
    )
    expect(committed).toEqual([0, 1, 2, 3, 4])
    expect(results).toEqual([0, 10, 20, 30, 40])
    expect(performance.now() - started).toBeLessThan(60 + 5 + 30 + 1 + 45) // not one after another
  })

  it('throws a failed preparation at its turn, and the line goes on after it and after a failed commit', async () => {
    const a = new OrderedAdmission()
    const order: string[] = []
    const outcomes = await Promise.allSettled([
      a.admit(
        () => later(20, 'a'),
        (v) => order.push(v),
      ),
      a.admit(
        () => Promise.reject(new Error('bad signature')),
        () => order.push('never'),
      ),
      a.admit(
        () => later(1, 'c'),
        () => {
          throw new Error('nonce too low')
        },
      ),
      a.admit(
        () => later(1, 'd'),
        (v) => order.push(v),
      ),
    ])
    expect(order).toEqual(['a', 'd'])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled'])
  })
})
