import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { L2kitError } from '../core/errors.ts'
import { assertValidOptions, withDefaults } from './options.ts'

/**
 * Units a gauge or histogram name may end in (`_<unit>`); counters always end in `_total`.
 * Counted things (`_blocks`, `_transactions`…) count as units, as Prometheus naming advises.
 */
export const defaultMetricUnits = [
  'seconds',
  'bytes',
  'ratio',
  'wei',
  'gas',
  'info',
  'blocks',
  'batches',
  'transactions',
  'deposits',
  'withdrawals',
  'proposals',
  'accounts',
  'requests',
  'connections',
  'items',
] as const

export interface MetricsOptions {
  /** Prepended to every metric name, e.g. `l2kit_`. */
  prefix: string
  /** Labels added to every series of this registry, e.g. `{ node: 'sequencer' }`. */
  defaultLabels: Record<string, string>
  /** Also export Node.js process metrics (CPU, memory, event loop lag, GC). */
  collectProcessMetrics: boolean
  /** Extra units accepted at the end of gauge and histogram names. */
  extraUnits: readonly string[]
}

export const defaultMetricsOptions: MetricsOptions = {
  prefix: 'l2kit_',
  defaultLabels: {},
  collectProcessMetrics: false,
  extraUnits: [],
}

const namePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const labelPattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** Buckets (seconds) for request and step latencies: 0.5 ms to 30 s. */
export const latencyBucketsSeconds = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
]

/** Buckets (bytes) for payload sizes: 256 B to 16 MiB. */
export const sizeBucketsBytes = [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216]

type MetricKind = 'counter' | 'gauge' | 'histogram'

/**
 * One node's metrics: its own prom-client registry (so several nodes in one process never collide) and
 * helpers that check names end in a unit. Asking twice for the same metric returns the same instance.
 */
export class Metrics {
  readonly registry: Registry
  readonly options: MetricsOptions
  private readonly units: Set<string>
  private readonly created = new Map<string, { kind: MetricKind; metric: unknown; labelNames: string }>()

  constructor(options: Partial<MetricsOptions> = {}) {
    const o = withDefaults(defaultMetricsOptions, options)
    const problems: string[] = []
    if (typeof o.prefix !== 'string' || (o.prefix !== '' && !namePattern.test(o.prefix))) {
      problems.push('prefix must be empty or a valid metric name prefix')
    }
    if (typeof o.defaultLabels !== 'object' || o.defaultLabels === null) {
      problems.push('defaultLabels must be an object')
    } else {
      for (const [name, value] of Object.entries(o.defaultLabels)) {
        if (!labelPattern.test(name) || typeof value !== 'string') problems.push(`bad default label ${name}`)
      }
    }
    if (typeof o.collectProcessMetrics !== 'boolean') problems.push('collectProcessMetrics must be a boolean')
    if (
      !Array.isArray(o.extraUnits) ||
      !o.extraUnits.every((u) => typeof u === 'string' && /^[a-z]+$/.test(u))
    ) {
      problems.push('extraUnits must be lower-case words')
    }
    assertValidOptions('metrics', problems)
    this.options = o
    this.units = new Set([...defaultMetricUnits, ...o.extraUnits])
    this.registry = new Registry()
    this.registry.setDefaultLabels(o.defaultLabels)
    if (o.collectProcessMetrics) collectDefaultMetrics({ register: this.registry, prefix: o.prefix })
  }

  /** A monotonically increasing counter; `name` (without prefix) must end in `_total`. */
  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.getOrCreate('counter', name, labelNames, (fullName) => {
      return new Counter<L>({ name: fullName, help, labelNames, registers: [this.registry] })
    })
  }

  /** A value that goes up and down; `name` must end in a unit such as `_bytes` or `_blocks`. */
  gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return this.getOrCreate('gauge', name, labelNames, (fullName) => {
      return new Gauge<L>({ name: fullName, help, labelNames, registers: [this.registry] })
    })
  }

  /** A distribution; `name` must end in a unit, usually `_seconds` or `_bytes`. */
  histogram<L extends string = never>(
    name: string,
    help: string,
    options: { labelNames?: readonly L[]; buckets?: readonly number[] } = {},
  ): Histogram<L> {
    const labelNames = options.labelNames ?? []
    const buckets = [
      ...(options.buckets ?? (name.endsWith('_bytes') ? sizeBucketsBytes : latencyBucketsSeconds)),
    ]
    return this.getOrCreate('histogram', name, labelNames, (fullName) => {
      return new Histogram<L>({ name: fullName, help, labelNames, buckets, registers: [this.registry] })
    })
  }

  /** The registry in the Prometheus text exposition format. */
  metricsText(): Promise<string> {
    return this.registry.metrics()
  }

  /** The HTTP Content-Type of `metricsText()`. */
  get contentType(): string {
    return this.registry.contentType
  }

  private getOrCreate<M>(
    kind: MetricKind,
    name: string,
    labelNames: readonly string[],
    make: (n: string) => M,
  ): M {
    checkMetricName(kind, name, this.units)
    for (const label of labelNames) {
      if (!labelPattern.test(label) || label.startsWith('__')) {
        throw new L2kitError(
          'INVALID_METRIC',
          `metric ${name}: invalid label name ${JSON.stringify(label)}`,
          {
            details: { name, label },
          },
        )
      }
    }
    const fullName = this.options.prefix + name
    const labels = [...labelNames].sort().join(',')
    const existing = this.created.get(fullName)
    if (existing !== undefined) {
      if (existing.kind !== kind || existing.labelNames !== labels) {
        throw new L2kitError(
          'INVALID_METRIC',
          `metric ${fullName} already exists as a ${existing.kind} with labels [${existing.labelNames}]`,
          { details: { name: fullName, kind, existingKind: existing.kind } },
        )
      }
      return existing.metric as M
    }
    const metric = make(fullName)
    this.created.set(fullName, { kind, metric, labelNames: labels })
    return metric
  }
}

/** Creates one node's metrics registry. */
export function createMetrics(options: Partial<MetricsOptions> = {}): Metrics {
  return new Metrics(options)
}

/** Throws INVALID_METRIC unless `name` is a valid Prometheus name ending in an accepted unit for its kind. */
export function checkMetricName(
  kind: MetricKind,
  name: string,
  units: ReadonlySet<string> = new Set(defaultMetricUnits),
): void {
  const fail = (why: string): never => {
    throw new L2kitError('INVALID_METRIC', `metric name ${JSON.stringify(name)} ${why}`, {
      details: { name, kind },
    })
  }
  if (typeof name !== 'string' || !namePattern.test(name)) fail('is not a valid Prometheus name')
  if (kind === 'counter') {
    if (!name.endsWith('_total')) fail('must end in _total (it is a counter)')
    return
  }
  if (name.endsWith('_total')) fail(`ends in _total but is a ${kind}; only counters end in _total`)
  const unit = name.slice(name.lastIndexOf('_') + 1)
  if (!name.includes('_') || !units.has(unit)) {
    fail(`must end in a unit (${[...units].map((u) => `_${u}`).join(', ')})`)
  }
}
