import type { Metric } from 'prom-client'

type Labels = Record<string, string | number>

interface Sample { metricName: string, labels: Labels, value: number }

/** What a prom-client Registry reads of a metric when it renders the text format. */
export interface RenderedMetric { name: string, help: string, type: 'histogram', values: Sample[], aggregator: 'sum' }

/** One label set's counts: a bucket search and three additions per observation. */
export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  private readonly counts: Float64Array
  sum = 0
  count = 0

  constructor (private readonly bounds: readonly number[], readonly labels: Readonly<Labels>) {
    this.counts = new Float64Array(bounds.length + 1)
  }

  observe (value: number): void {
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > bounds[i]) i++
    this.counts[i]++
    this.sum += value
    this.count++
  }

  /** Cumulative bucket counts (`le` = each bound, then `+Inf`). */
  cumulative (): number[] {
    const out: number[] = []
    let acc = 0
    for (const n of this.counts) { acc += n; out.push(acc) }
    return out
  }
}

/**
 * A Prometheus histogram for the per-request duration, readable by a prom-client Registry like
 * its own Histogram (same text: `_bucket{le}`, `_sum`, `_count`). prom-client's `observe`
 * rebuilds and validates the label set on every call; here the caller keeps each label set's
 * series and an observation touches only its counts. Values are read at scrape time.
 */
export class RequestHistogram {
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  private readonly all = new Map<string, HistogramSeries>()

  constructor (readonly name: string, readonly help: string, private readonly bounds: readonly number[]) {
    if (bounds.some((b, i) => i > 0 && b <= bounds[i - 1])) throw new Error('histogram bounds must increase')
  }

  /** The series of one label set, made on first use (look it up once, keep it). */
  series (labels: Labels): HistogramSeries {
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a < b ? -1 : 1))
    let s = this.all.get(key)
    if (s === undefined) {
      s = new HistogramSeries(this.bounds, { ...labels })
      this.all.set(key, s)
    }
    return s
  }

  reset (): void {
    this.all.clear()
  }

  async get (): Promise<RenderedMetric> {
    const values: Sample[] = []
    for (const s of this.all.values()) {
      const cumulative = s.cumulative()
      this.bounds.forEach((le, i) => { values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le }, value: cumulative[i] }) })
      values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count })
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum })
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count })
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator }
  }

  /** As registered in a prom-client Registry (`registry.registerMetric(h.asMetric())`). */
  asMetric (): Metric {
    return this as unknown as Metric
  }
}
