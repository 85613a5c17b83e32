import { describe, expect, it } from 'vitest'
import { isL2kitError } from '../core/errors.ts'
import type { TowerEntry } from './node.ts'
import { amountParam, towerEntryFromJson, towerEntryToJson } from './rpc.ts'

const entry: TowerEntry = {
  params: {
    partyA: '0x1111111111111111111111111111111111111111',
    partyB: '0x2222222222222222222222222222222222222222',
    token: '0x0000000000000000000000000000000000000000',
    total: 10n ** 18n,
    disputeWindow: 3600n,
    nonce: 0n,
  },
  channelId: `0x${'ab'.repeat(32)}`,
  cheater: '0x2222222222222222222222222222222222222222',
  revokedSeq: 7n,
  revocation: `0x${'11'.repeat(65)}`,
}

const code = (f: () => unknown) => {
  try {
    f()
  } catch (err) {
    return isL2kitError(err) ? err.code : 'not typed'
  }
  return 'no error'
}

describe('tower entries over JSON-RPC', () => {
  it('round-trip exactly (bigints as decimal strings)', () => {
    const json = JSON.parse(JSON.stringify(towerEntryToJson(entry)))
    expect(json.params.total).toBe('1000000000000000000')
    expect(towerEntryFromJson(json)).toEqual(entry)
  })

  it('refuse every malformed field with INVALID_PARAMS, never a crash', () => {
    const good = towerEntryToJson(entry)
    const bad: unknown[] = [
      null,
      'x',
      [],
      { ...good, params: null },
      { ...good, params: { ...good.params, partyA: '0x12' } },
      { ...good, params: { ...good.params, total: '-1' } },
      { ...good, params: { ...good.params, total: '0' } },
      { ...good, params: { ...good.params, total: `1${'0'.repeat(80)}` } },
      { ...good, params: { ...good.params, nonce: 1.5 } },
      { ...good, channelId: '0x1234' },
      { ...good, cheater: 42 },
      { ...good, revokedSeq: '01' },
      { ...good, revocation: '0x11' },
      { ...good, revocation: `0x${'zz'.repeat(65)}` },
    ]
    for (const b of bad)
      expect(
        code(() => towerEntryFromJson(b)),
        JSON.stringify(b),
      ).toBe('INVALID_PARAMS')
  })
})

describe('amounts', () => {
  it('take decimal strings, 0x quantities and safe integers', () => {
    expect(amountParam('1000', 'x')).toBe(1000n)
    expect(amountParam('0x10', 'x')).toBe(16n)
    expect(amountParam(5, 'x')).toBe(5n)
    expect(amountParam('0', 'x', { positive: false })).toBe(0n)
  })
  it('refuse the rest', () => {
    for (const v of [
      '0',
      '-5',
      '1.5',
      '1e18',
      '0x',
      '0x00',
      ' 1',
      1.5,
      2 ** 60,
      null,
      {},
      `0x1${'0'.repeat(64)}`,
    ]) {
      expect(
        code(() => amountParam(v, 'x')),
        String(v),
      ).toBe('INVALID_PARAMS')
    }
  })
})
