/**
 * The report's SVG charts — cost per transfer, throughput, withdrawal delay — as Vega-Lite specs rendered to SVG
 * in Node (no browser, no canvas). Log scales: the rows differ by orders of magnitude.
 */
import { parse, View } from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import { rowViews } from './table.ts'
import type { CompareResult } from './types.ts'

export type ChartName = 'cost' | 'throughput' | 'withdrawal'

const WIDTH = 560

function barSpec(o: {
  title: string
  subtitle: string
  values: Record<string, unknown>[]
  x: string
  xTitle: string
  color?: string
}): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: o.title, subtitle: o.subtitle, anchor: 'start' },
    width: WIDTH,
    background: 'white',
    data: { values: o.values },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: { field: 'row', type: 'nominal', sort: null, title: null, axis: { labelLimit: 260 } },
      // log(0) is undefined: the bars start at (and the domain from) the power of ten below the smallest value.
      x: {
        field: o.x,
        type: 'quantitative',
        scale: { type: 'log', domainMin: logFloor(o.values, o.x) },
        title: o.xTitle,
      },
      x2: { datum: logFloor(o.values, o.x) },
      ...(o.color
        ? { color: { field: o.color, type: 'nominal', title: null, legend: { orient: 'bottom' } } }
        : {}),
      ...(o.color ? { yOffset: { field: o.color, type: 'nominal' } } : {}),
    },
  } as TopLevelSpec
}

/** A power of ten below half the smallest positive value of `field`, so every bar shows (1 when there is none). */
function logFloor(values: readonly Record<string, unknown>[], field: string): number {
  const positive = values.map((v) => Number(v[field])).filter((n) => Number.isFinite(n) && n > 0)
  if (positive.length === 0) return 1
  return 10 ** Math.floor(Math.log10(Math.min(...positive) / 2))
}

/** The Vega-Lite specs of the three charts (exported for tests and for the dashboard to reuse). */
export function chartSpecs(result: CompareResult): Record<ChartName, TopLevelSpec> {
  const views = rowViews(result).filter((v) => v.row.status === 'ok')
  const p = result.prices
  const when = `measured ${result.date.slice(0, 10)} on ${result.machine.cores} cores; ${result.workload.transfers} transfers among ${result.workload.accounts} accounts`
  return {
    cost: barSpec({
      title: 'L1 cost per transfer (USD, log scale)',
      subtitle: `${when}; at ${p.baseFeeGwei} gwei, ${p.blobBaseFeeGwei} gwei blob, $${p.ethUsd}/ETH`,
      values: views
        .filter((v) => v.usdPerTransfer !== null && v.usdPerTransfer > 0)
        .map((v) => ({ row: v.row.label, usd: Number((v.usdPerTransfer as number).toPrecision(4)) })),
      x: 'usd',
      xTitle: 'USD per transfer',
    }),
    throughput: barSpec({
      title: 'Transfers per second (log scale)',
      subtitle: `${when}; each row confirms as its own protocol does (see compare.md)`,
      values: views.flatMap((v) => {
        const out: Record<string, unknown>[] = []
        if (v.row.transfers.perSecond !== null && v.row.transfers.perSecond > 0)
          out.push({ row: v.row.label, tps: v.row.transfers.perSecond, kind: 'confirmed' })
        if (v.row.proven?.perSecond)
          out.push({ row: v.row.label, tps: v.row.proven.perSecond, kind: 'proven on L1' })
        return out
      }),
      x: 'tps',
      xTitle: 'transfers per second',
      color: 'kind',
    }),
    withdrawal: barSpec({
      title: 'Time until a withdrawal is spendable on L1 (seconds, log scale)',
      subtitle: `${when}; devnet measured vs production setting`,
      values: views
        .filter((v) => v.row.id !== 'l1')
        .flatMap((v) => [
          ...(v.withdrawalMeasured !== null && v.withdrawalMeasured > 0
            ? [{ row: v.row.label, seconds: v.withdrawalMeasured, kind: 'devnet (measured)' }]
            : []),
          { row: v.row.label, seconds: v.withdrawalProduction, kind: 'production setting' },
        ]),
      x: 'seconds',
      xTitle: 'seconds',
      color: 'kind',
    }),
  }
}

/** Renders a Vega-Lite spec to a standalone SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

export async function renderCharts(result: CompareResult): Promise<Record<ChartName, string>> {
  const specs = chartSpecs(result)
  return {
    cost: await renderSvg(specs.cost),
    throughput: await renderSvg(specs.throughput),
    withdrawal: await renderSvg(specs.withdrawal),
  }
}
