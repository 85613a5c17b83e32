/**
 * `bench/results/compare.md`: the usual "types of L2" comparison table (type × features × best use × strengths ×
 * limits), but with this run's numbers in every cell, then the measured table, the Dencun question, the attack
 * outcomes, the withdrawal delays and where each figure came from.
 */
import { familySecurity, verdictOf } from './attacks.ts'
import { formatDuration } from './duration.ts'
import { ROW_FACTS } from './facts.ts'
import { dencun, formatUsd, usdOfWei, weiOf } from './prices.ts'
import {
  attackTable,
  formatEthWei,
  formatNumber,
  formatVsL1,
  markdownTable,
  type RowView,
  rowViews,
  summaryTable,
} from './table.ts'
import type { CompareResult, FamilyName } from './types.ts'

/** The chart files the report links (written beside it). */
export const CHART_FILES = {
  cost: 'compare-cost.svg',
  throughput: 'compare-throughput.svg',
  withdrawal: 'compare-withdrawal.svg',
} as const

function best(views: RowView[], f: (v: RowView) => number | null, lowest: boolean): RowView | undefined {
  let out: RowView | undefined
  for (const v of views) {
    const x = f(v)
    if (x === null) continue
    const cur = out ? f(out) : null
    if (cur === null || (lowest ? x < cur : x > cur)) out = v
  }
  return out
}

function features(result: CompareResult, v: RowView): string {
  const r = v.row
  const f = ROW_FACTS[r.id]
  const tokens = r.transfers.token > 0 ? 'ETH + DEV (ERC-20)' : 'ETH'
  return [
    `EVM: ${r.evm.supported ? 'yes' : 'no'}`,
    `moved: ${tokens}`,
    `user must: ${f.safety}`,
    `wallets: ${r.wallets}`,
    r.family === 'l1'
      ? ''
      : `attack demos: ${familySecurity(r.family as FamilyName, result.attacks.outcomes).measured}`,
  ]
    .filter((s) => s !== '')
    .join('; ')
}

function bestUse(v: RowView): string {
  const r = v.row
  const usd = formatUsd(v.usdPerTransfer)
  const tps = formatNumber(r.transfers.perSecond)
  switch (r.id) {
    case 'l1':
      return `rare, high-value transfers that must be final in one block (${usd} each)`
    case 'optimistic':
      return `general payments and apps whose users can wait ${formatDuration(r.withdrawal.production.seconds)} to exit (or use a liquidity bridge): ${usd} per transfer`
    case 'optimistic-calldata':
      return `none today: what the same batches cost before EIP-4844 (${usd} per transfer)`
    case 'zk':
      return `payments and exchanges that need trustless exits in hours, not days: ${usd} per transfer, ${formatDuration(r.withdrawal.measuredSeconds)} to withdraw on the devnet`
    case 'channels':
      return `many payments between the same parties: ${tps} payments/s, L1 touched only at open and close (${formatNumber(r.l1.operator.gas)} gas for ${r.transfers.done} payments)`
    case 'plasma':
      return `high-volume payments by users who watch (or run a watcher): ${usd} per transfer`
    case 'sidechain':
      return `EVM apps that accept validator trust for cheap, fast finality: ${tps} transfers/s, ${usd} per transfer`
  }
}

function strengths(result: CompareResult, v: RowView, views: RowView[]): string {
  const r = v.row
  const out: string[] = []
  const choosable = views.filter((x) => x.row.id !== 'optimistic-calldata')
  if (best(choosable, (x) => x.usdPerTransfer, true) === v)
    out.push(`cheapest per transfer: ${formatUsd(v.usdPerTransfer)} (${formatVsL1(v.vsL1)})`)
  else if (r.id !== 'l1' && v.vsL1 !== null && v.vsL1 > 1)
    out.push(`${formatUsd(v.usdPerTransfer)} per transfer, ${formatVsL1(v.vsL1)}`)
  if (best(choosable, (x) => x.row.transfers.perSecond, false) === v)
    out.push(`highest throughput: ${formatNumber(r.transfers.perSecond)} transfers/s`)
  if (best(choosable, (x) => x.row.depositLatencySeconds, true) === v && r.id !== 'l1')
    out.push(`fastest deposits: ${formatDuration(r.depositLatencySeconds)}`)
  if (r.id !== 'l1' && r.withdrawal.production.seconds <= 3 * 3600)
    out.push(
      `withdrawals in ${formatDuration(r.withdrawal.production.seconds)} in production (${formatDuration(r.withdrawal.measuredSeconds)} measured)`,
    )
  if (r.family !== 'l1') {
    const s = familySecurity(r.family as FamilyName, result.attacks.outcomes)
    if (s.measured > 0 && s.canSteal.length === 0 && s.canFreeze.length === 0)
      out.push(`${s.measured}/${s.measured} attack demos took no honest funds`)
  } else
    out.push(
      `nothing to trust but L1; ${formatNumber(r.transfers.perSecond)} transfers/s on the devnet anvil`,
    )
  if (r.evm.supported && r.id !== 'l1') out.push(`full EVM (${r.evm.evidence})`)
  return out.length > 0 ? out.join('; ') : '—'
}

function limits(result: CompareResult, v: RowView): string {
  const r = v.row
  const f = ROW_FACTS[r.id]
  const out: string[] = []
  if (r.id === 'l1')
    out.push(`${formatUsd(v.usdPerTransfer)} per transfer (${formatNumber(r.perTransfer.gas)} gas)`)
  if (r.withdrawal.production.seconds >= 86_400)
    out.push(
      `withdrawals wait ${formatDuration(r.withdrawal.production.seconds)} in production (${r.withdrawal.production.setting}; ${formatDuration(r.withdrawal.measuredSeconds)} on the devnet)`,
    )
  if (f.safety !== 'nothing') out.push(`user must ${f.safety}: ${f.safetyDetail}`)
  if (r.family !== 'l1') {
    const s = familySecurity(r.family as FamilyName, result.attacks.outcomes)
    const stolen = result.attacks.outcomes.filter(
      (o) => o.family === r.family && o.status === 'ok' && BigInt(o.honestFundsLostWei ?? '0') > 0n,
    )
    for (const o of stolen) out.push(`measured: ${o.attacker} — ${verdictOf(o)}`)
    if (s.measured === 0) out.push('no attack demo measured in this run')
  }
  if (!r.evm.supported) out.push(`no EVM (${r.evm.evidence})`)
  if (r.proven) {
    out.push(
      `proving is the bottleneck here: ${formatNumber(r.proven.perSecond)} transfers/s proven (${r.proven.verifiedBlocks} of ${r.proven.sealedBlocks} blocks verified within the run)`,
    )
    const verify = r.l1.operator.byFunction.verifyBlocks
    if (verify && r.proven.verifiedBlocks > 0)
      out.push(
        `each block's proof costs ${formatNumber(verify.gas / r.proven.verifiedBlocks)} L1 gas to verify here and the devnet's blocks are small, so its L1 cost per transfer is high; larger blocks and batched verification divide it (docs/zk.md)`,
      )
  }
  if (r.capitalLockedWei !== null && BigInt(r.capitalLockedWei) > 0n)
    out.push(
      `${formatEthWei(r.capitalLockedWei)} locked in the channel to carry ${r.transfers.done} payments`,
    )
  if (r.id === 'optimistic-calldata') out.push(`${formatVsL1(v.vsL1)}; superseded by blobs`)
  return out.length > 0 ? out.join('; ') : '—'
}

function typesTable(result: CompareResult, views: RowView[]): string[][] {
  const out = [['type', 'features', 'best use', 'strengths (measured)', 'limits (measured)']]
  for (const v of views) {
    if (v.row.status !== 'ok') {
      out.push([
        ROW_FACTS[v.row.id].type,
        `${v.row.status.toUpperCase()} in this run`,
        '—',
        '—',
        `not measured: ${v.row.failure ? `${v.row.failure.code} in ${v.row.failure.stage}: ${v.row.failure.message}` : v.row.status}`,
      ])
      continue
    }
    out.push([
      ROW_FACTS[v.row.id].type,
      features(result, v),
      bestUse(v),
      strengths(result, v, views),
      limits(result, v),
    ])
  }
  return out
}

function dencunSection(result: CompareResult): string[] {
  const blob = result.rows.find((r) => r.id === 'optimistic')
  const calldata = result.rows.find((r) => r.id === 'optimistic-calldata')
  const d = dencun(result.prices, blob, calldata)
  const lines = ['## The Dencun question: blobs against calldata', '']
  if (!d || !blob || !calldata) {
    lines.push(
      'Not answered in this run: both optimistic rollups (blob and calldata batches) must complete. ' +
        `Blob: ${blob?.status ?? 'not run'}; calldata: ${calldata?.status ?? 'not run'}.`,
    )
    return lines
  }
  lines.push(
    `The same workload on two optimistic rollups on the same L1, one posting its batches as EIP-4844 blobs, one as calldata (as before Dencun), priced at the same scenario (${result.prices.baseFeeGwei} gwei execution, ${result.prices.blobBaseFeeGwei} gwei blob):`,
    '',
    markdownTable([
      ['batches as', 'L1 gas/transfer', 'blob gas/transfer', 'L1 bytes/transfer', 'USD/transfer'],
      [
        'calldata (pre-Dencun)',
        formatNumber(calldata.perTransfer.gas),
        formatNumber(calldata.perTransfer.blobGas),
        formatNumber(calldata.perTransfer.bytes),
        formatUsd(d.calldataUsd),
      ],
      [
        'blobs (EIP-4844)',
        formatNumber(blob.perTransfer.gas),
        formatNumber(blob.perTransfer.blobGas),
        formatNumber(blob.perTransfer.bytes),
        formatUsd(d.blobUsd),
      ],
    ]),
    '',
    `**Measured: blobs are ${formatNumber(d.savingPercent)} % ${d.savingPercent >= 0 ? 'cheaper' : 'dearer'}** than calldata per transfer (the usual claim: 80–90 % cheaper). ` +
      'Both include every L1 transaction of the rollup during the phase (batches and state-root proposals with their traces). ' +
      `A blob is paid whole (131,072 blob gas) however full: at this run's ${result.workload.transfers} transfers the blobs are ` +
      'far from full, so the saving grows with load (bench/results/optimistic.json measures full blobs).',
  )
  return lines
}

function withdrawalSection(views: RowView[]): string[] {
  const rows = [
    ['row', 'what was timed', 'devnet setting', 'measured on the devnet', 'production setting', 'source'],
  ]
  for (const v of views) {
    const r = v.row
    if (r.id === 'l1') continue
    rows.push([
      r.label,
      r.withdrawal.what,
      r.withdrawal.devnet.setting,
      r.status === 'ok' ? formatDuration(r.withdrawal.measuredSeconds) : `— (${r.status})`,
      `${r.withdrawal.production.setting} (${formatDuration(r.withdrawal.production.seconds)})`,
      r.withdrawal.production.source,
    ])
  }
  return ['## Withdrawals: devnet settings and production settings side by side', '', markdownTable(rows)]
}

function detailsSection(result: CompareResult, views: RowView[]): string[] {
  const lines = ['## Per row: what was measured and how', '']
  for (const v of views) {
    const r = v.row
    lines.push(`### ${r.label}`, '')
    if (r.status !== 'ok' && r.failure) {
      lines.push(
        `**${r.status.toUpperCase()}** in stage \`${r.failure.stage}\` after ${r.phaseSeconds} s: \`${r.failure.code}\` ${r.failure.message}`,
        '',
      )
    }
    lines.push(
      `- stages completed: ${r.stages.length > 0 ? r.stages.join(' → ') : 'none'} (${r.phaseSeconds} s)`,
      `- transfers: ${r.transfers.done} (${r.transfers.eth} ETH, ${r.transfers.token} DEV) in ${r.transfers.seconds} s = ${formatNumber(r.transfers.perSecond)}/s; confirmed = ${r.transfers.confirmedBy}`,
    )
    if (r.proven)
      lines.push(
        `- proven: ${r.proven.transfers} transfers in ${r.proven.verifiedBlocks} verified blocks of ${r.proven.sealedBlocks} sealed, ${formatNumber(r.proven.perSecond)}/s`,
      )
    lines.push(
      `- deposit latency (median): ${formatDuration(r.depositLatencySeconds)} (${r.depositConfirmedBy})`,
      `- withdrawal: ${formatDuration(r.withdrawal.measuredSeconds)} measured (${r.withdrawal.what}; devnet: ${r.withdrawal.devnet.setting})`,
      `- L1, amortised over the transfers: ${r.l1.operator.txs} transactions, ${formatNumber(r.l1.operator.gas)} gas, ${formatNumber(r.l1.operator.blobGas)} blob gas (${r.l1.operator.blobs} blobs), ${formatNumber(r.l1.operator.calldataBytes)} calldata bytes` +
        ` = ${formatUsd(usdOfWei(result.prices, weiOf(result.prices, r.l1.operator.gas, r.l1.operator.blobGas)))}`,
    )
    const fns = Object.entries(r.l1.operator.byFunction)
    if (fns.length > 0)
      lines.push(
        `  - by function: ${fns.map(([f, g]) => `${f} ×${g.txs} (${formatNumber(g.gas)} gas${g.blobGas ? `, ${formatNumber(g.blobGas)} blob gas` : ''})`).join(', ')}`,
      )
    lines.push(
      `- a user's own L1 gas: deposit ${formatNumber(r.l1.depositGas)}, withdrawal ${formatNumber(r.l1.withdrawalGas)}`,
      `- EVM: ${r.evm.supported ? 'yes' : 'no'} — ${r.evm.evidence}`,
    )
    for (const n of r.notes) lines.push(`- ${n}`)
    lines.push('')
  }
  return lines
}

export function markdownReport(result: CompareResult): string {
  const views = rowViews(result)
  const p = result.prices
  const m = result.machine
  const w = result.workload
  const attacks = result.attacks
  return [
    '# Which L2? Measured side by side',
    '',
    `Generated by \`l2kit compare\` on ${result.date} in ${formatDuration(result.seconds)} on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}${m.loadAverageAtStart ? ` (load average at start ${m.loadAverageAtStart.join(', ')})` : ''}. ` +
      'Every row ran the same workload on one embedded anvil, one family after another (so none slows another): ' +
      `${w.accounts} accounts funded on L1 deposit, start ${w.withdrawals} withdrawal(s) back to L1, make ${w.transfers} transfers among themselves ` +
      '(every other one in the dev ERC-20 where the family carries it), then the withdrawals are completed on L1. ' +
      'Every figure below comes from this run (`bench/results/compare.json`) except the production settings, which name their source.',
    '',
    `Price scenario: **${p.baseFeeGwei} gwei** execution base fee, **${p.blobBaseFeeGwei} gwei** blob base fee, **$${p.ethUsd}** per ETH — ${p.source}.`,
    '',
    '## L2 types compared',
    '',
    markdownTable(typesTable(result, views)),
    '',
    '## Measured',
    '',
    markdownTable(summaryTable(result)),
    '',
    'L1 gas, blob gas and bytes per transfer amortise every L1 transaction the family itself sent during its phase (batches, proposals, proofs, commitments, checkpoints, block roots, channel open and close) over the transfers; deposits and withdrawals are a user’s own and are listed per row below. L1 bytes count calldata plus 131,072 bytes per blob.',
    '',
    `![cost per transfer](${CHART_FILES.cost}) ![throughput](${CHART_FILES.throughput}) ![withdrawal delay](${CHART_FILES.withdrawal})`,
    '',
    ...dencunSection(result),
    '',
    '## Who can steal or freeze funds (measured by the attack demos)',
    '',
    attacks.ran
      ? `Each attack ran as \`l2kit <family> demo --attack KIND --json\` on its own fresh anvil during this run; the verdict is its measured \`caught\` and \`honestFundsLost\`.`
      : attacks.outcomes.length > 0
        ? `Attacks were not run this time (--no-attacks): the outcomes below are ${attacks.source}.`
        : 'Attacks were not run this time, and no earlier compare.json had outcomes to reuse: who can steal or freeze is not measured in this report.',
    '',
    attacks.outcomes.length > 0 ? markdownTable(attackTable(result)) : 'No attack outcomes available.',
    '',
    ...withdrawalSection(views),
    '',
    ...detailsSection(result, views),
    '## Where the numbers come from',
    '',
    `- this run: \`bench/results/compare.json\` (every measured figure above, with the L1 transactions counted per function)${result.files.length > 0 ? `; files written: ${result.files.map((f) => `\`${f}\``).join(', ')}` : ''}`,
    '- production settings: the `source` column of the withdrawal table (typed in src/compare/facts.ts, not measured)',
    '- price scenario: above (flags `--base-fee-gwei`, `--blob-fee-gwei`, `--eth-usd`)',
    '',
  ].join('\n')
}
