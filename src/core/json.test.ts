import { describe, expect, it } from 'vitest'
import { fromTaggedJson, jsonSafe, toTaggedJson } from './json.ts'

describe('tagged JSON', () => {
  it('round-trips bigints of any size and bytes exactly', () => {
    const value = {
      amount: 2n ** 256n - 1n,
      negative: -5n,
      data: new Uint8Array([0, 1, 255]),
      list: [1n, 'x'],
    }
    expect(fromTaggedJson(toTaggedJson(value))).toEqual(value)
  })
  it('reads the "$n:" bigints of deployment files written before it, and leaves other strings alone', () => {
    expect(fromTaggedJson('{"deployBlock":"$n:12","name":"$n:x","plain":"12"}')).toEqual({
      deployBlock: 12n,
      name: '$n:x',
      plain: '12',
    })
  })
})

describe('jsonSafe', () => {
  it('writes bigints as hex quantities or decimal strings and bytes as hex, and drops cycles', () => {
    const cyclic: Record<string, unknown> = { n: 255n, b: new Uint8Array([171]) }
    cyclic.self = cyclic
    expect(jsonSafe(cyclic, 'hex')).toEqual({ n: '0xff', b: '0xab', self: '[circular]' })
    expect(jsonSafe({ n: 255n }, 'decimal')).toEqual({ n: '255' })
  })
})
