/**
 * The price scenario every cost is computed under, and the cost model: L1 gas and blob gas per transfer to wei
 * and USD. Gas is measured; prices are a scenario (printed beside every cost), so the same run can be priced again.
 */
import { L2kitError } from '../core/errors.ts'
import type { PriceScenario, RowResult } from './types.ts'

/**
 * Mainnet as of late 2025 (after Fusaka): execution base fee around 1 gwei, the blob base fee at EIP-7918's floor of
 * base fee / 16, ETH around 3,000 USD. Typed in, not fetched (this machine has no internet): override with the flags.
 */
export const DEFAULT_PRICES: PriceScenario = {
  baseFeeGwei: 1,
  blobBaseFeeGwei: 0.0625,
  ethUsd: 3000,
  source:
    'mainnet-like snapshot (late 2025: base fee ~1 gwei, blob base fee at the EIP-7918 floor of base fee / 16, ETH ~$3,000); typed in, override with --base-fee-gwei, --blob-fee-gwei, --eth-usd',
}

/** A scenario from flags (undefined = default); every value must be a finite number ≥ 0 (ETH price > 0). */
export function priceScenario(o: {
  baseFeeGwei?: number | undefined
  blobBaseFeeGwei?: number | undefined
  ethUsd?: number | undefined
}): PriceScenario {
  const problems: string[] = []
  const check = (name: string, v: number | undefined, min: number) => {
    if (v !== undefined && (!Number.isFinite(v) || v < min))
      problems.push(`--${name} must be a number ≥ ${min}`)
  }
  check('base-fee-gwei', o.baseFeeGwei, 0)
  check('blob-fee-gwei', o.blobBaseFeeGwei, 0)
  check('eth-usd', o.ethUsd, Number.MIN_VALUE)
  if (problems.length > 0) throw new L2kitError('INVALID_ARGUMENTS', problems.join('; '))
  const custom = o.baseFeeGwei !== undefined || o.blobBaseFeeGwei !== undefined || o.ethUsd !== undefined
  return {
    baseFeeGwei: o.baseFeeGwei ?? DEFAULT_PRICES.baseFeeGwei,
    blobBaseFeeGwei: o.blobBaseFeeGwei ?? DEFAULT_PRICES.blobBaseFeeGwei,
    ethUsd: o.ethUsd ?? DEFAULT_PRICES.ethUsd,
    source: custom ? 'given on the command line (the rest: defaults)' : DEFAULT_PRICES.source,
  }
}

/** Wei for `gas` execution gas and `blobGas` blob gas under the scenario (a float: these are estimates to print). */
export function weiOf(p: PriceScenario, gas: number, blobGas = 0): number {
  return (gas * p.baseFeeGwei + blobGas * p.blobBaseFeeGwei) * 1e9
}

export function usdOfWei(p: PriceScenario, wei: number): number {
  return (wei / 1e18) * p.ethUsd
}

/** USD per transfer of a row: its amortised L1 gas and blob gas per transfer priced; null when not measured. */
export function costPerTransferUsd(p: PriceScenario, row: Pick<RowResult, 'perTransfer'>): number | null {
  const { gas, blobGas } = row.perTransfer
  if (gas === null) return null
  return usdOfWei(p, weiOf(p, gas, blobGas ?? 0))
}

/** USD a user pays on L1 to get in and out once (a deposit plus a withdrawal's own L1 transactions). */
export function entryExitUsd(p: PriceScenario, row: Pick<RowResult, 'l1'>): number | null {
  if (row.l1.depositGas === null && row.l1.withdrawalGas === null) return null
  return usdOfWei(p, weiOf(p, (row.l1.depositGas ?? 0) + (row.l1.withdrawalGas ?? 0)))
}

/**
 * The Dencun question: the optimistic rollup's L1 cost per transfer with blob batches and with calldata batches
 * (the same workload, two rollups on the same L1), at the same prices. `savingPercent` = how much cheaper blobs are.
 */
export function dencun(
  p: PriceScenario,
  blob: Pick<RowResult, 'perTransfer' | 'status'> | undefined,
  calldata: Pick<RowResult, 'perTransfer' | 'status'> | undefined,
): { blobUsd: number; calldataUsd: number; savingPercent: number } | null {
  if (blob?.status !== 'ok' || calldata?.status !== 'ok') return null
  const blobUsd = costPerTransferUsd(p, blob)
  const calldataUsd = costPerTransferUsd(p, calldata)
  if (blobUsd === null || calldataUsd === null || calldataUsd <= 0) return null
  return { blobUsd, calldataUsd, savingPercent: (1 - blobUsd / calldataUsd) * 100 }
}

/** "$0.0123", "$1.23", "$0.00000041": enough significant digits to compare tiny costs. */
export function formatUsd(usd: number | null): string {
  if (usd === null || !Number.isFinite(usd)) return 'n/a'
  if (usd === 0) return '$0'
  if (usd >= 100) return `$${usd.toFixed(0)}`
  if (usd >= 1) return `$${usd.toFixed(2)}`
  return `$${usd.toPrecision(2)}`
}
