import { test } from 'tap'
import Fastify from 'fastify'
import metrics, { NOT_FOUND_ROUTE } from '../../plugins/metrics.js'
import { sharedResult } from '../../src/lib/shared-result.js'
import errors from '../../plugins/errors.js'
import { scrapeQueue } from '../../src/lib/scrape-queue.js'
import { build } from '../helper.js'

/** `name{labels} value` lines of one metric family from Prometheus text. */
function samples (text: string, name: string): Array<{ labels: Record<string, string>, value: number }> {
  const out: Array<{ labels: Record<string, string>, value: number }> = []
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (m === null || m[1] !== name) continue
    const labels: Record<string, string> = {}
    for (const pair of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2]
    out.push({ labels, value: Number(m[3]) })
  }
  return out
}

function count (text: string, labels: Record<string, string>): number {
  const match = samples(text, 'http_request_duration_seconds_count')
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  return match.reduce((sum, s) => sum + s.value, 0)
}

test('the request histogram labels parametrised routes by their template, never the raw URL', async (t) => {
  const app = Fastify()
  await app.register(errors)
  await app.register(metrics)
  app.get('/items/:id', async (request) => {
    const { id } = request.params as { id: string }
    if (id === '404') throw Object.assign(new Error('no such item'), { statusCode: 404 })
    return { id }
  })
  t.teardown(() => app.close())
  await app.ready()

  for (const id of ['1', '2', 'abc', '404']) await app.inject(`/items/${id}`)
  await app.inject({ method: 'POST', url: '/items/7' }) // no POST route: an unmatched request

  const text = await app.metricsRegistry.metrics()
  t.equal(count(text, { method: 'GET', route: '/items/:id', status_code: '200' }), 3, 'three 200s in one series')
  t.equal(count(text, { method: 'GET', route: '/items/:id', status_code: '404' }), 1, 'a 404 from the handler keeps its template')
  t.equal(count(text, { method: 'POST', route: NOT_FOUND_ROUTE, status_code: '404' }), 1, 'unmatched requests are grouped')
  t.notMatch(text, /\/items\/(1|2|abc|404|7)"/, 'no raw URL in any label')
  const buckets = samples(text, 'http_request_duration_seconds_bucket').filter((s) => s.labels.route === '/items/:id' && s.labels.status_code === '200')
  t.ok(buckets.some((b) => b.labels.le === '0.001'), 'a bucket fine enough for cache hits')
  t.ok(buckets.some((b) => b.labels.le === '+Inf' && b.value === 3))
})

test('GET /metrics serves the histogram, default process metrics and the registered metrics of other plugins', async (t) => {
  const app = await build(t)
  await app.inject('/health')
  await app.inject('/health')
  await app.inject('/no/such/path/1')
  await app.inject('/another/unknown/path')
  await app.inject('/metrics')

  const res = await app.inject('/metrics')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  const text = res.body

  t.equal(count(text, { method: 'GET', route: '/health', status_code: '200' }), 2)
  t.equal(count(text, { route: NOT_FOUND_ROUTE, status_code: '404' }), 2, 'two unknown URLs, one series')
  t.notMatch(text, /no\/such\/path|another\/unknown/, 'raw URLs never become labels')
  t.equal(samples(text, 'http_request_duration_seconds_count').filter((s) => s.labels.route === '/metrics').length, 0, 'scrapes are not measured')
  t.match(text, /# TYPE http_request_duration_seconds histogram/)
  t.notMatch(text, /http_request_summary_seconds/, 'no unused summary family')
  for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_gc_duration_seconds']) {
    t.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `default metric ${name}`)
  }
})

test('the contract metrics are exposed with their labels once their owners register them', async (t) => {
  const app = await build(t)
  const text = (await app.inject('/metrics')).body
  const contract: Array<{ name: string, type: string, label?: string }> = [
    { name: 'products_cache_requests_total', type: 'counter', label: 'result' },
    { name: 'oauth_token_fetches_total', type: 'counter' },
    { name: 'supplier_requests_total', type: 'counter', label: 'outcome' },
    { name: 'supplier_retries_total', type: 'counter' },
    { name: 'supplier_circuit_state', type: 'gauge' },
    { name: 'webhook_events_total', type: 'counter', label: 'result' }
  ]
  for (const metric of contract) {
    const present = new RegExp(`^# TYPE ${metric.name} ${metric.type}$`, 'm').test(text)
    t.ok(present, `${metric.name} is a ${metric.type}`)
    if (metric.label !== undefined) {
      const lines = samples(text, metric.name)
      t.ok(lines.length > 0 && lines.every((s) => metric.label! in s.labels), `${metric.name} is labelled by ${metric.label}`)
    }
  }
})

test('scrapes leave nothing in the logs at the default level', async (t) => {
  const logs: Array<Record<string, unknown>> = []
  const app = await build(t, {}, { logs })
  await app.inject('/metrics')
  await app.inject('/no/such/path')
  const about = (path: string) => logs.filter((l) => JSON.stringify(l).includes(path))
  t.equal(about('/metrics').length, 0, 'no request lines for /metrics')
  t.ok(about('/no/such/path').length > 0, 'other requests are logged, so the capture works')
})

test('renderings are shared by concurrent scrapes and reused for a second, never kept when they fail', async (t) => {
  let clock = 0
  let renders = 0
  let fail = false
  const render = sharedResult(async () => {
    renders++
    await new Promise((resolve) => setImmediate(resolve))
    if (fail) throw new Error('collector failed')
    return `rendering ${renders}`
  }, 1000, () => clock)
  const first = await Promise.all(Array.from({ length: 200 }, async () => await render()))
  t.equal(renders, 1, '200 concurrent scrapes, one rendering')
  t.ok(first.every((text) => text === 'rendering 1'))
  clock = 999
  t.equal(await render(), 'rendering 1', 'reused within the second')
  clock = 1000
  t.equal(await render(), 'rendering 2', 'rendered again after a second')
  fail = true
  clock = 2000
  await t.rejects(render(), /collector failed/)
  fail = false
  t.equal(await render(), 'rendering 4', 'a failed rendering is not reused')
})

test('scrapes are answered a batch at a time, in arrival order, none refused; a lone scrape at once', async (t) => {
  const timers: Array<{ fn: () => void, ms: number }> = []
  const queue = scrapeQueue({ perBatch: 3, intervalMs: 2, schedule: (fn, ms) => { timers.push({ fn, ms }) } })
  const answered: number[] = []
  const waits = Array.from({ length: 8 }, (_, i) => {
    const wait = queue.admit()
    if (wait === undefined) answered.push(i)
    return wait?.then(() => { answered.push(i) })
  })
  t.same(answered, [0, 1, 2], 'the first batch is answered at once')
  t.equal(queue.waiting, 5, 'the rest wait')
  t.equal(timers.length, 1, 'one renewal scheduled')
  t.equal(timers[0].ms, 2, 'after the interval')

  timers.shift()?.fn()
  await Promise.resolve()
  t.same(answered, [0, 1, 2, 3, 4, 5], 'the next batch, in arrival order')
  t.not(queue.admit(), undefined, 'a newcomer queues behind those waiting, even with a batch renewed')
  timers.shift()?.fn()
  timers.shift()?.fn()
  await Promise.all(waits)
  t.same(answered, [0, 1, 2, 3, 4, 5, 6, 7], 'every scrape answered')
  t.equal(queue.waiting, 0)

  // Quiet: the last renewal finds nothing to answer and schedules nothing more.
  while (timers.length > 0) timers.shift()?.fn()
  t.equal(queue.admit(), undefined, 'a lone scrape after a quiet interval is answered at once')
})

test('a flood of /metrics and /docs/json requests is answered in full, from one prepared body each', async (t) => {
  const app = await build(t)
  const [metrics, docs] = await Promise.all(['/metrics', '/docs/json'].map(async (url) =>
    await Promise.all(Array.from({ length: 50 }, async () => await app.inject(url)))))
  t.ok(metrics.every((r) => r.statusCode === 200 && r.body === metrics[0].body), '50 scrapes of /metrics, one rendering')
  t.ok(docs.every((r) => r.statusCode === 200 && r.body === docs[0].body), '50 fetches of /docs/json, one document')
  t.equal(Number(docs[0].headers['content-length']), Buffer.byteLength(docs[0].body), 'the length is the bytes\'')
})
