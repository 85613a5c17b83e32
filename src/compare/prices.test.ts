import { describe, expect, it } from 'vitest'
import { errorCodeOf } from '../core/testing.ts'
import {
  costPerTransferUsd,
  DEFAULT_PRICES,
  dencun,
  formatUsd,
  priceScenario,
  usdOfWei,
  weiOf,
} from './prices.ts'
import { fakeRow } from './testing.ts'

describe('price scenario and cost model', () => {
  const p = { baseFeeGwei: 2, blobBaseFeeGwei: 0.5, ethUsd: 4000, source: 'test' }

  it('prices execution gas at the base fee and blob gas at the blob base fee', () => {
    expect(weiOf(p, 21_000)).toBe(42_000 * 1e9)
    expect(weiOf(p, 1000, 131_072)).toBe((2000 + 65_536) * 1e9)
    expect(usdOfWei(p, 1e18)).toBe(4000)
  })

  it('prices a row per transfer from its amortised gas and blob gas', () => {
    const usd = costPerTransferUsd(p, fakeRow('optimistic', { gas: 1000, blobGas: 2000 }))
    expect(usd).toBeCloseTo(((1000 * 2 + 2000 * 0.5) * 1e9 * 4000) / 1e18, 12)
    expect(costPerTransferUsd(p, { perTransfer: { gas: null, blobGas: null, bytes: null } })).toBeNull()
  })

  it('answers the Dencun question from the blob and calldata rows at the same prices', () => {
    const d = dencun(
      p,
      fakeRow('optimistic', { gas: 1000, blobGas: 2000 }),
      fakeRow('optimistic-calldata', { gas: 6000 }),
    )
    expect(d?.savingPercent).toBeCloseTo((1 - 3000 / 12_000) * 100, 9)
    expect(dencun(p, fakeRow('optimistic', { status: 'failed' }), fakeRow('optimistic-calldata'))).toBeNull()
  })

  it('takes every price from flags, keeps the defaults otherwise, and refuses nonsense', () => {
    expect(priceScenario({})).toEqual(DEFAULT_PRICES)
    const s = priceScenario({ ethUsd: 2500 })
    expect(s).toMatchObject({ baseFeeGwei: 1, blobBaseFeeGwei: 0.0625, ethUsd: 2500 })
    expect(s.source).toMatch(/command line/)
    expect(errorCodeOf(() => priceScenario({ baseFeeGwei: -1 }))).toBe('INVALID_ARGUMENTS')
    expect(errorCodeOf(() => priceScenario({ ethUsd: 0 }))).toBe('INVALID_ARGUMENTS')
    expect(errorCodeOf(() => priceScenario({ blobBaseFeeGwei: Number.NaN }))).toBe('INVALID_ARGUMENTS')
  })

  it('formats tiny and large costs with enough digits to compare', () => {
    expect(formatUsd(0.000_004_123)).toBe('$0.0000041')
    expect(formatUsd(0.083)).toBe('$0.083')
    expect(formatUsd(12.345)).toBe('$12.35')
    expect(formatUsd(null)).toBe('n/a')
  })
})
