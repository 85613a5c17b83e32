/**
 * Charts of `l2kit compare`'s results (served by the dashboard server from bench/results/compare.json) with
 * vega-embed: cost per transfer in USD under the run's price scenario, transfers per second, and time until a
 * withdrawal is spendable on L1 (devnet and production settings). Read defensively: only the fields drawn are
 * required, so a newer compare.json still draws, and a missing one says how to make it.
 */
import embed, { type VisualizationSpec } from 'vega-embed'
import { h } from './dom.ts'

type Row = {
  id: string
  label: string
  status: string
  transfers?: { perSecond?: number | null }
  perTransfer?: { gas?: number | null; blobGas?: number | null }
  withdrawal?: {
    measuredSeconds?: number | null
    devnet?: { seconds?: number }
    production?: { seconds?: number }
  }
}
type Compare = {
  date?: string
  prices?: { baseFeeGwei: number; blobBaseFeeGwei: number; ethUsd: number }
  rows?: Row[]
}

export async function renderCharts(container: HTMLElement): Promise<void> {
  let res: Response
  try {
    res = await fetch('./api/compare', { cache: 'no-store' })
  } catch (err) {
    container.replaceChildren(
      h('p', { class: 'error' }, `cannot load the compare results: ${(err as Error).message}`),
    )
    return
  }
  if (res.status === 404) {
    container.replaceChildren(
      h(
        'p',
        { 'data-field': 'compare-missing', class: 'muted' },
        'No comparison measured yet: run ',
        h('code', {}, 'l2kit compare'),
        ' and reload.',
      ),
    )
    return
  }
  if (!res.ok) {
    container.replaceChildren(h('p', { class: 'error' }, `compare results: HTTP ${res.status}`))
    return
  }
  const data = (await res.json()) as Compare
  const rows = (data.rows ?? []).filter((r) => r.status === 'ok')
  const p = data.prices
  const cost = rows.flatMap((r) => {
    if (p === undefined || r.perTransfer?.gas == null) return []
    const wei =
      r.perTransfer.gas * p.baseFeeGwei * 1e9 + (r.perTransfer.blobGas ?? 0) * p.blobBaseFeeGwei * 1e9
    return [{ row: r.label, usd: (wei / 1e18) * p.ethUsd }]
  })
  const tps = rows.flatMap((r) =>
    r.transfers?.perSecond == null ? [] : [{ row: r.label, tps: r.transfers.perSecond }],
  )
  const delay = rows.flatMap((r) =>
    (
      [
        ['measured on the devnet', r.withdrawal?.measuredSeconds],
        ['production setting', r.withdrawal?.production?.seconds],
      ] as const
    ).flatMap(([setting, s]) => (s == null ? [] : [{ row: r.label, setting, seconds: Math.max(s, 0.1) }])),
  )
  // a log-scale bar has no zero to start from: it starts at half the smallest value instead
  const logBase = (values: number[]) => Math.min(...values.filter((v) => v > 0), 1) / 2
  const bar = (title: string, values: object[], x: object, extra: object = {}): VisualizationSpec =>
    ({
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title,
      width: 360,
      height: 170,
      data: { values },
      mark: { type: 'bar', tooltip: true },
      encoding: { y: { field: 'row', type: 'nominal', title: null, sort: '-x' }, x, ...extra },
    }) as VisualizationSpec
  const specs: [string, VisualizationSpec][] = [
    [
      'cost',
      bar(
        p === undefined
          ? 'L1 cost per transfer'
          : `L1 cost per transfer, USD (${p.baseFeeGwei} gwei, blob ${p.blobBaseFeeGwei} gwei, $${p.ethUsd}/ETH)`,
        cost,
        { field: 'usd', type: 'quantitative', title: 'USD (log)', scale: { type: 'log' } },
        { x2: { datum: logBase(cost.map((c) => c.usd)) } },
      ),
    ],
    [
      'throughput',
      bar('Transfers per second (this machine)', tps, {
        field: 'tps',
        type: 'quantitative',
        title: 'transfers/s',
      }),
    ],
    [
      'withdrawal',
      bar(
        'Time until a withdrawal is spendable on L1',
        delay,
        { field: 'seconds', type: 'quantitative', title: 'seconds (log)', scale: { type: 'log' } },
        {
          x2: { datum: logBase(delay.map((d) => d.seconds)) },
          yOffset: { field: 'setting' },
          color: { field: 'setting', type: 'nominal', title: null },
        },
      ),
    ],
  ]
  container.replaceChildren(
    h('p', { class: 'muted' }, `from bench/results/compare.json${data.date ? ` (${data.date})` : ''}`),
  )
  for (const [name, spec] of specs) {
    const div = h('div', { 'data-chart': name })
    container.append(div)
    await embed(div, spec, { actions: false, renderer: 'svg' }).catch((err: unknown) => {
      div.replaceChildren(h('p', { class: 'error' }, `chart ${name}: ${(err as Error).message}`))
    })
  }
}
