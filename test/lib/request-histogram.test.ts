import { test } from 'tap'
import fc from 'fast-check'
import { Histogram, Registry } from 'prom-client'
import { RequestHistogram } from '../../src/lib/request-histogram.js'

const BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** The samples of a rendering as `name{sorted labels} value` lines, sorted: label order aside. */
function normalised (text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((line) => {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (m === null) throw new Error(`unexpected line ${line}`)
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((p) => `${p[1]}="${p[2]}"`).sort()
    return `${m[1]}{${labels.join(',')}} ${Number(m[3])}`
  }).sort()
}

test('renders exactly what prom-client\'s Histogram renders for the same observations', async (t) => {
  const labelSet = fc.record({
    method: fc.constantFrom('GET', 'POST'),
    route: fc.constantFrom('/api/products', '/api/products/:id', '__not_found__'),
    status_code: fc.constantFrom(200, 304, 404, 429)
  })
  const value = fc.oneof(fc.double({ min: 0, max: 20, noNaN: true }), fc.constantFrom(...BOUNDS))
  await fc.assert(fc.asyncProperty(fc.array(fc.tuple(labelSet, value), { maxLength: 60 }), async (observations) => {
    const theirs = new Registry()
    const reference = new Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['method', 'route', 'status_code'], buckets: BOUNDS, registers: [theirs] })
    const ours = new Registry()
    const histogram = new RequestHistogram('h_seconds', 'help text', BOUNDS)
    ours.registerMetric(histogram.asMetric())
    for (const [labels, v] of observations) {
      reference.observe(labels, v)
      histogram.series(labels).observe(v)
    }
    const [a, b] = [await theirs.metrics(), await ours.metrics()]
    t.same(normalised(b), normalised(a))
    t.match(b, /^# HELP h_seconds help text\n# TYPE h_seconds histogram/)
  }), { numRuns: 50 })
})

test('one series per label set, whatever the order the labels are given in', async (t) => {
  const h = new RequestHistogram('x', 'y', [1, 2])
  const a = h.series({ method: 'GET', route: '/a', status_code: 200 })
  t.equal(h.series({ status_code: 200, route: '/a', method: 'GET' }), a)
  t.not(h.series({ method: 'GET', route: '/a', status_code: 404 }), a)
  a.observe(1)
  a.observe(1.5)
  a.observe(7)
  t.same(a.cumulative(), [1, 2, 3], 'a value equal to a bound falls in that bucket; above the last, only +Inf')
  t.equal(a.sum, 9.5)
  h.reset()
  t.same((await h.get()).values, [], 'reset forgets every series')
  t.throws(() => new RequestHistogram('x', 'y', [2, 1]), /bounds must increase/)
})
