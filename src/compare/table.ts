/**
 * The comparison table: one line per row (L1 baseline, each family, the calldata rollup) with the measured
 * figures, priced under the scenario. The terminal and the Markdown report both print it from `summaryTable`.
 */
import { familySecurity, verdictOf } from './attacks.ts'
import { formatDuration } from './duration.ts'
import { ROW_FACTS } from './facts.ts'
import { costPerTransferUsd, formatUsd } from './prices.ts'
import type { CompareResult, FamilyName, RowResult } from './types.ts'

/** Derived, priced figures of one row (null where the row did not measure it). */
export type RowView = {
  row: RowResult
  usdPerTransfer: number | null
  /** how many times cheaper than the same transfer on L1 (>1 cheaper, <1 dearer) */
  vsL1: number | null
  withdrawalMeasured: number | null
  withdrawalProduction: number
}

export function rowViews(result: CompareResult): RowView[] {
  const l1 = result.rows.find((r) => r.id === 'l1' && r.status === 'ok')
  const l1Usd = l1 ? costPerTransferUsd(result.prices, l1) : null
  return result.rows.map((row) => {
    const usd =
      row.status === 'ok' || row.perTransfer.gas !== null ? costPerTransferUsd(result.prices, row) : null
    return {
      row,
      usdPerTransfer: usd,
      vsL1: usd !== null && l1Usd !== null && usd > 0 && l1Usd > 0 ? l1Usd / usd : null,
      withdrawalMeasured: row.withdrawal.measuredSeconds,
      withdrawalProduction: row.withdrawal.production.seconds,
    }
  })
}

export function formatNumber(x: number | null, digits = 3): string {
  if (x === null || !Number.isFinite(x)) return 'n/a'
  if (x === 0) return '0'
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US')
  return String(Number(x.toPrecision(digits)))
}

/** "152× cheaper" / "1.3× dearer" / "same". */
export function formatVsL1(v: number | null): string {
  if (v === null) return 'n/a'
  if (Math.abs(v - 1) < 0.005) return 'same as L1'
  return v > 1 ? `${formatNumber(v)}× cheaper` : `${formatNumber(1 / v)}× dearer`
}

export function formatEthWei(wei: string | null): string {
  if (wei === null) return '0 ETH'
  const v = BigInt(wei)
  const whole = v / 10n ** 18n
  const frac = (v % 10n ** 18n).toString().padStart(18, '0').slice(0, 4).replace(/0+$/, '')
  return `${frac ? `${whole}.${frac}` : whole} ETH`
}

/** Who could steal, as measured by this run's (or the reused) attack demos. */
export function securityCell(result: CompareResult, row: RowResult): string {
  if (row.family === 'l1') return 'L1 consensus only'
  const s = familySecurity(row.family as FamilyName, result.attacks.outcomes)
  if (s.measured === 0) return 'no attack measured'
  const parts: string[] = []
  if (s.canSteal.length > 0) parts.push(`can steal: ${s.canSteal.join('; ')}`)
  if (s.cannotSteal.length > 0) parts.push(`cannot steal: ${s.cannotSteal.join('; ')}`)
  if (s.canFreeze.length > 0) parts.push(`can freeze: ${s.canFreeze.join('; ')}`)
  if (s.cannotFreeze.length > 0) parts.push(`cannot freeze: ${s.cannotFreeze.join('; ')}`)
  return parts.join(' · ')
}

export const SUMMARY_HEADER = [
  'row',
  'status',
  'transfers/s',
  'L1 gas/transfer',
  'L1 bytes/transfer',
  'USD/transfer',
  'vs L1',
  'deposit latency',
  'withdrawal: devnet (measured) / production',
  'capital locked',
  'user must',
  'EVM',
] as const

/** The summary as rows of cells (the first row is the header). */
export function summaryTable(result: CompareResult): string[][] {
  const out: string[][] = [[...SUMMARY_HEADER]]
  for (const v of rowViews(result)) {
    const r = v.row
    const facts = ROW_FACTS[r.id]
    if (r.status !== 'ok') {
      out.push([
        r.label,
        `${r.status.toUpperCase()}${r.failure ? ` in ${r.failure.stage}: ${r.failure.code}` : ''}`,
        ...SUMMARY_HEADER.slice(2).map(() => '—'),
      ])
      continue
    }
    const tps =
      r.transfers.perSecond === null
        ? 'n/a'
        : `${formatNumber(r.transfers.perSecond)}${r.proven ? ` (proven ${formatNumber(r.proven.perSecond)})` : ''}`
    out.push([
      r.label,
      'ok',
      tps,
      r.perTransfer.gas === null
        ? 'n/a'
        : `${formatNumber(r.perTransfer.gas)}${r.perTransfer.blobGas ? ` + ${formatNumber(r.perTransfer.blobGas)} blob` : ''}`,
      formatNumber(r.perTransfer.bytes),
      formatUsd(v.usdPerTransfer),
      r.id === 'l1' ? 'baseline' : formatVsL1(v.vsL1),
      formatDuration(r.depositLatencySeconds),
      `${formatDuration(r.withdrawal.measuredSeconds)} / ${formatDuration(r.withdrawal.production.seconds)}`,
      r.capitalLockedWei === null ? '0 ETH' : formatEthWei(r.capitalLockedWei),
      facts.safety,
      r.evm.supported ? 'yes' : 'no',
    ])
  }
  return out
}

/** Fixed-width text for the terminal. */
export function textTable(cells: string[][]): string {
  const widths = (cells[0] ?? []).map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  const [head, ...rest] = cells
  return [line(head ?? []), widths.map((w) => '─'.repeat(w)).join('  '), ...rest.map(line)].join('\n')
}

/** A Markdown pipe table (pipes in cells escaped). */
export function markdownTable(cells: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ')
  const [head, ...rest] = cells
  if (!head) return ''
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rest.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n')
}

/** Attack outcomes as table cells (family, attack, attacker, verdict, gas, seconds, source). */
export function attackTable(result: CompareResult): string[][] {
  const out = [['family', 'attack', 'attacker and what it tries', 'measured outcome', 'seconds', 'source']]
  for (const o of result.attacks.outcomes) {
    out.push([o.family, o.attack, `${o.attacker} (${o.goal})`, verdictOf(o), String(o.seconds), o.source])
  }
  return out
}
