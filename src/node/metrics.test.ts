import { describe, expect, it } from 'vitest'
import { isL2kitError } from '../core/errors.ts'
import { checkMetricName, createMetrics } from './metrics.ts'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (e) {
    return isL2kitError(e) ? e.code : 'not an L2kitError'
  }
  return undefined
}

describe('Metrics', () => {
  it('exposes counters, gauges and histograms in the Prometheus text format', async () => {
    const metrics = createMetrics({ defaultLabels: { node: 'sequencer' } })
    metrics.counter('txs_accepted_total', 'Transactions accepted', ['kind']).inc({ kind: 'transfer' }, 3)
    metrics.gauge('txpool_pending_transactions', 'Transactions waiting').set(7)
    metrics.histogram('batch_size_bytes', 'Size of posted batches').observe(5000)
    metrics.histogram('step_duration_seconds', 'Step time').observe(0.003)
    const text = await metrics.metricsText()
    expect(text).toContain('# TYPE l2kit_txs_accepted_total counter')
    expect(text).toContain('l2kit_txs_accepted_total{kind="transfer",node="sequencer"} 3')
    expect(text).toContain('l2kit_txpool_pending_transactions{node="sequencer"} 7')
    expect(text).toContain('l2kit_batch_size_bytes_bucket{le="16384",node="sequencer"} 1')
    expect(text).toContain('l2kit_step_duration_seconds_bucket{le="0.005",node="sequencer"} 1')
    expect(metrics.contentType).toMatch(/^text\/plain/)
  })

  it('keeps two nodes in one process apart and returns the same metric when asked twice', async () => {
    const a = createMetrics()
    const b = createMetrics()
    const counter = a.counter('blocks_total', 'Blocks')
    expect(a.counter('blocks_total', 'Blocks')).toBe(counter)
    counter.inc()
    b.counter('blocks_total', 'Blocks').inc(5)
    expect(await a.metricsText()).toContain('l2kit_blocks_total 1')
    expect(await b.metricsText()).toContain('l2kit_blocks_total 5')
    expect(codeOf(() => a.gauge('blocks_total', 'Blocks'))).toBe('INVALID_METRIC')
    expect(codeOf(() => a.counter('blocks_total', 'Blocks', ['kind']))).toBe('INVALID_METRIC')
  })

  it('rejects names that do not end in a unit', () => {
    expect(codeOf(() => checkMetricName('counter', 'txs'))).toBe('INVALID_METRIC')
    expect(codeOf(() => checkMetricName('gauge', 'pending'))).toBe('INVALID_METRIC')
    expect(codeOf(() => checkMetricName('gauge', 'blocks_total'))).toBe('INVALID_METRIC')
    expect(codeOf(() => checkMetricName('histogram', 'latency_ms'))).toBe('INVALID_METRIC')
    expect(codeOf(() => checkMetricName('gauge', 'bad-name_bytes'))).toBe('INVALID_METRIC')
    expect(codeOf(() => checkMetricName('histogram', 'rpc_duration_seconds'))).toBeUndefined()
    expect(codeOf(() => createMetrics().counter('x_total', 'x', ['__reserved']))).toBe('INVALID_METRIC')
    expect(codeOf(() => createMetrics({ extraUnits: ['frames'] }).gauge('queue_frames', 'q'))).toBeUndefined()
  })

  it('rejects invalid options with INVALID_OPTIONS', () => {
    expect(codeOf(() => createMetrics({ prefix: 'bad-prefix' }))).toBe('INVALID_OPTIONS')
    expect(codeOf(() => createMetrics({ defaultLabels: { 'bad-label': 'x' } }))).toBe('INVALID_OPTIONS')
    expect(codeOf(() => createMetrics({ extraUnits: ['Bad Unit'] }))).toBe('INVALID_OPTIONS')
  })

  it('can include Node.js process metrics', async () => {
    const text = await createMetrics({ collectProcessMetrics: true }).metricsText()
    expect(text).toContain('l2kit_process_cpu_user_seconds_total')
  })
})
