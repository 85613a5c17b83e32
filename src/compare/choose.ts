/**
 * `l2kit choose`: "which L2 should I choose?" answered from the measured comparison. The user's needs filter the
 * rows (EVM, withdrawal delay in production, the trust the measured attacks show a family needs, the throughput
 * the payments need); what is left is ranked by what the user would pay per day on L1 at the measured gas.
 */
import { familySecurity, TRUST_LEVELS, type TrustLevel } from './attacks.ts'
import { formatDuration } from './duration.ts'
import { ROW_FACTS } from './facts.ts'
import { costPerTransferUsd, entryExitUsd, formatUsd, usdOfWei, weiOf } from './prices.ts'
import { formatNumber } from './table.ts'
import type { CompareResult, FamilyName, RowId, RowResult } from './types.ts'

export type ChooseNeeds = {
  needEvm: boolean
  /** seconds; undefined = any */
  maxWithdrawalDelaySeconds?: number | undefined
  /** the most the user will trust (default: operator = anything) */
  trust: TrustLevel
  paymentsPerDay: number
}

/** Days over which a user's deposit + withdrawal (and a channel's open + close) are spread. */
export const PERIOD_DAYS = 30

export type Choice = {
  rank: number
  id: RowId
  label: string
  usdPerDay: number
  usdPerTransfer: number | null
  withdrawalProductionSeconds: number
  withdrawalMeasuredSeconds: number | null
  trustNeeded: TrustLevel
  reasons: string[]
}

export type ChooseAnswer = {
  needs: ChooseNeeds
  assumptions: string[]
  ranked: Choice[]
  excluded: { id: RowId; label: string; why: string[] }[]
  measuredAt: string
}

/** Rows one can choose today: every measured row but the pre-Dencun calldata rollup (kept for the Dencun question). */
function candidates(result: CompareResult): RowResult[] {
  return result.rows.filter((r) => r.id !== 'optimistic-calldata')
}

function trustOf(result: CompareResult, row: RowResult): { level: TrustLevel; why: string } {
  if (row.family === 'l1') return { level: 'rollup', why: 'L1 itself' }
  const s = familySecurity(row.family as FamilyName, result.attacks.outcomes)
  if (s.measured === 0)
    return { level: 'operator', why: 'no attack measured: assumed to need trust in its operator' }
  if (s.canSteal.length > 0 || s.canFreeze.length > 0)
    return {
      level: s.trustNeeded,
      why: `measured: ${[...s.canSteal, ...s.canFreeze].join('; ')} took honest funds`,
    }
  return {
    level: 'rollup',
    why: `measured: ${s.measured} attack demo(s) (${[...s.cannotSteal, ...s.cannotFreeze].join('; ')}) took nothing`,
  }
}

/** L1 USD per day for `paymentsPerDay` on this row, with entry/exit (and channel open/close) spread over 30 days. */
function dailyCost(result: CompareResult, row: RowResult, paymentsPerDay: number): number | null {
  const p = result.prices
  if (row.id === 'channels') {
    // a channel's L1 cost is its open (the deposit) + close (the withdrawal), whatever the number of payments
    return usdOfWei(p, weiOf(p, row.l1.operator.gas, row.l1.operator.blobGas)) / PERIOD_DAYS
  }
  const entryExit = (entryExitUsd(p, row) ?? 0) / PERIOD_DAYS
  const each = costPerTransferUsd(p, row)
  if (each === null) return null
  return each * paymentsPerDay + entryExit
}

/** The transfers per second a row can sustain as measured: the lower of confirmed and (ZK) proven. */
function capacity(row: RowResult): number | null {
  const soft = row.transfers.perSecond
  const proven = row.proven?.perSecond ?? null
  if (soft === null) return proven
  return proven === null ? soft : Math.min(soft, proven)
}

export function choose(result: CompareResult, needs: ChooseNeeds): ChooseAnswer {
  const ranked: Omit<Choice, 'rank'>[] = []
  const excluded: ChooseAnswer['excluded'] = []
  const needRate = needs.paymentsPerDay / 86_400
  for (const row of candidates(result)) {
    const why: string[] = []
    if (row.status !== 'ok') {
      excluded.push({
        id: row.id,
        label: row.label,
        why: [
          `not measured in this run (${row.failure ? `${row.failure.code}: ${row.failure.message}` : row.status})`,
        ],
      })
      continue
    }
    const facts = ROW_FACTS[row.id]
    const trust = trustOf(result, row)
    const cap = capacity(row)
    if (needs.needEvm && !row.evm.supported) why.push(`no EVM (${row.evm.evidence})`)
    if (
      needs.maxWithdrawalDelaySeconds !== undefined &&
      row.withdrawal.production.seconds > needs.maxWithdrawalDelaySeconds
    ) {
      why.push(
        `withdrawals take ${formatDuration(row.withdrawal.production.seconds)} in production (${row.withdrawal.production.setting}) > ${formatDuration(needs.maxWithdrawalDelaySeconds)}`,
      )
    }
    if (TRUST_LEVELS.indexOf(trust.level) > TRUST_LEVELS.indexOf(needs.trust))
      why.push(`needs trust in ${trust.level} (${trust.why}); you trust only ${needs.trust}`)
    if (cap !== null && cap < needRate)
      why.push(
        `measured ${formatNumber(cap)} transfers/s < the ${formatNumber(needRate)}/s your payments need`,
      )
    const usdPerDay = dailyCost(result, row, needs.paymentsPerDay)
    if (usdPerDay === null) why.push('its L1 cost was not measured')
    if (why.length > 0 || usdPerDay === null) {
      excluded.push({ id: row.id, label: row.label, why })
      continue
    }
    const each = costPerTransferUsd(result.prices, row)
    const reasons = [
      row.id === 'channels'
        ? `${formatUsd(usdPerDay)}/day: a channel's open + close (${formatNumber(row.l1.operator.gas)} L1 gas measured) spread over ${PERIOD_DAYS} days, whatever the number of payments; ${formatNumber(capacity(row))} payments/s measured`
        : `${formatUsd(usdPerDay)}/day for ${formatNumber(needs.paymentsPerDay)} payments: ${formatUsd(each)} each (${formatNumber(row.perTransfer.gas)} L1 gas${row.perTransfer.blobGas ? ` + ${formatNumber(row.perTransfer.blobGas)} blob gas` : ''} per transfer measured), plus a deposit and a withdrawal every ${PERIOD_DAYS} days`,
      `withdrawal: ${formatDuration(row.withdrawal.production.seconds)} in production (${row.withdrawal.production.setting}); ${formatDuration(row.withdrawal.measuredSeconds)} measured on the devnet`,
      `safety: ${facts.safetyDetail}; ${trust.why}`,
      `throughput: ${formatNumber(cap)} transfers/s measured (${row.transfers.confirmedBy})`,
      `EVM: ${row.evm.supported ? 'yes' : 'no'} (${row.evm.evidence}); wallets: ${row.wallets}`,
    ]
    ranked.push({
      id: row.id,
      label: row.label,
      usdPerDay,
      usdPerTransfer: each,
      withdrawalProductionSeconds: row.withdrawal.production.seconds,
      withdrawalMeasuredSeconds: row.withdrawal.measuredSeconds,
      trustNeeded: trust.level,
      reasons,
    })
  }
  ranked.sort(
    (a, b) =>
      a.usdPerDay - b.usdPerDay ||
      a.withdrawalProductionSeconds - b.withdrawalProductionSeconds ||
      a.id.localeCompare(b.id),
  )
  return {
    needs,
    assumptions: [
      `L1 prices: ${result.prices.baseFeeGwei} gwei execution, ${result.prices.blobBaseFeeGwei} gwei blob, $${result.prices.ethUsd}/ETH (${result.prices.source})`,
      `a user deposits and withdraws once every ${PERIOD_DAYS} days; a channel lives ${PERIOD_DAYS} days`,
      'L1 gas per transfer as measured at this run’s load (a busier L2 fills its batches better and costs less per transfer)',
      'withdrawal delays compared at their production settings; the devnet figures are the measured ones',
    ],
    ranked: ranked.map((c, i) => ({ ...c, rank: i + 1 })),
    excluded,
    measuredAt: result.date,
  }
}

/** The answer as text for the terminal. */
export function chooseText(a: ChooseAnswer): string {
  const lines = [
    `Which L2 should you choose? (measured ${a.measuredAt}; ${a.needs.paymentsPerDay} payments/day${a.needs.needEvm ? ', EVM needed' : ''}${a.needs.maxWithdrawalDelaySeconds !== undefined ? `, withdrawals within ${formatDuration(a.needs.maxWithdrawalDelaySeconds)}` : ''}, trusting at most: ${a.needs.trust})`,
    '',
  ]
  if (a.ranked.length === 0) lines.push('Nothing measured meets every need:')
  for (const c of a.ranked) {
    lines.push(`${c.rank}. ${c.label} — ${formatUsd(c.usdPerDay)}/day`)
    for (const r of c.reasons) lines.push(`     ${r}`)
  }
  if (a.excluded.length > 0) {
    lines.push('', 'Left out:')
    for (const x of a.excluded) lines.push(`  - ${x.label}: ${x.why.join('; ')}`)
  }
  lines.push('', 'Assumptions:', ...a.assumptions.map((s) => `  - ${s}`))
  return lines.join('\n')
}
