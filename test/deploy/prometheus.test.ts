import { test } from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { build } from '../helper.js'
import { fakeSupplier } from '../plugins/supplier-client-fake.js'
import {
  DEPLOY_DIR, dashboardExpressions, expandDashboardVariables, exposedFamilies, familyOf, isScrapeSeries, metricNames,
  startPrometheus, which, withoutFallback
} from './prom-support.js'

const RULES = path.join(DEPLOY_DIR, 'prometheus/farmlokal.rules.yml')
const RULE_TESTS = path.join(DEPLOY_DIR, 'prometheus/farmlokal.rules.test.yml')
const DASHBOARD = path.join(DEPLOY_DIR, 'grafana/farmlokal-dashboard.json')

/**
 * Dashboard panels whose series exist only once something happens that a healthy service under
 * test never does, by panel title: their expressions draw 0 through a fallback until then.
 */
const SERIES_ON_EVENT: Record<string, string> = {
  'Requests shed (event loop saturated)': 'a request is shed',
  'Readiness probes answered 503': '/ready answers 503',
  // Each kind's series appears with its first collection; a process that has just started
  // (Node 24 with its larger young generation, in the test) may not have run one yet.
  'GC time by kind': 'a collection of that kind runs'
}

// .ci/run installs Debian's prometheus package (prometheus and promtool) when it is missing.
const missing = ['prometheus', 'promtool'].filter((bin) => which(bin) === undefined)
const skip = missing.length > 0 ? `${missing.join(' and ')} not installed (apt-get install prometheus; .ci/run does)` : false

/** The names of the recording rules and alerts in the rules file. */
function ruleNames (): { records: string[], alerts: string[] } {
  const text = readFileSync(RULES, 'utf8')
  return {
    records: [...text.matchAll(/^\s*- record: (\S+)/gm)].map((m) => m[1]),
    alerts: [...text.matchAll(/^\s*- alert: (\S+)/gm)].map((m) => m[1])
  }
}

test('a fallback that always returns data is found and set aside, and metric names are read from selectors', async (t) => {
  t.equal(withoutFallback('sum(rate(x_total{job="a"}[15s])) or vector(0)'), 'sum(rate(x_total{job="a"}[15s]))')
  t.equal(withoutFallback('sum by (instance) (rate(y_count{route="/ready"}[15s])) or sum by (instance) (up{job="a"}) * 0'),
    'sum by (instance) (rate(y_count{route="/ready"}[15s]))')
  t.equal(withoutFallback('sum(rate(x_total{job="a"}[15s]))'), undefined, 'no fallback')
  t.same(metricNames('histogram_quantile(0.9, sum by (le) (rate(h_bucket{a="b"}[1m]))) / on() sum(rate(h_bucket {c="d"}[1m]))'), ['h_bucket'])
  const families = exposedFamilies('# HELP h help\n# TYPE h histogram\nh_bucket{le="1"} 1\n# TYPE c_total counter\n')
  t.same([...families], ['h', 'c_total'], 'families declared with no sample count too')
  t.equal(familyOf('h_sum', families), 'h')
  t.equal(familyOf('c_total', families), 'c_total')
  t.equal(familyOf('gone_total', families), undefined, 'a metric the service does not expose is found missing')
  t.ok(isScrapeSeries('up'))
  t.notOk(isScrapeSeries('http_requests_shed_total'))
})

test('promtool accepts the rules and configuration, and the unit tests cover every alert', { skip }, async (t) => {
  const check = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' })
  t.equal(check.status, 0, `promtool check rules:\n${check.stdout}${check.stderr}`)
  const config = spawnSync('promtool', ['check', 'config', path.join(DEPLOY_DIR, 'prometheus/prometheus.yml')], { encoding: 'utf8' })
  t.equal(config.status, 0, `promtool check config:\n${config.stdout}${config.stderr}`)

  const unit = spawnSync('promtool', ['test', 'rules', RULE_TESTS], { encoding: 'utf8', cwd: path.dirname(RULE_TESTS) })
  t.equal(unit.status, 0, `promtool test rules:\n${unit.stdout}${unit.stderr}`)

  // Every alert is tested firing (a non-empty exp_alerts) somewhere in the unit tests.
  const tests = readFileSync(RULE_TESTS, 'utf8')
  const { alerts } = ruleNames()
  t.ok(alerts.length >= 6, `alerts: ${alerts.join(', ')}`)
  for (const alert of alerts) {
    const firing = new RegExp(`alertname: ${alert}\\n\\s+eval_time: \\S+\\n\\s+exp_alerts:\\n\\s+- exp_labels`).test(tests)
    t.ok(firing, `${alert} has a unit test in which it fires`)
  }
})

test('a real Prometheus scrapes the service, evaluates the rules and answers every dashboard query', { skip }, async (t) => {
  const supplier = await fakeSupplier(t)
  const app = await build(t, {
    SUPPLIER_BASE_URL: supplier.url,
    OAUTH_CLIENT_ID: 'farmlokal-test',
    OAUTH_CLIENT_SECRET: 'test-secret-value',
    SUPPLIER_RETRY_BASE_MS: 10
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

  /** Traffic touching every family the rules and dashboard read. */
  const traffic = async (): Promise<void> => {
    const get = async (p: string, init?: RequestInit): Promise<number> => {
      const res = await fetch(`${base}${p}`, init)
      await res.arrayBuffer()
      return res.status
    }
    await get('/api/products?limit=5') // miss, then hits
    await get('/api/products?limit=5')
    await get('/api/products/1')
    await get('/ready')
    await get('/health')
    await get('/no-such-route')
    // The supplier feed (a 503 while start-up load sheds requests is retried by the next round).
    await get('/external/products')
    // An unsigned, malformed delivery: a 4xx, counted as a rejected webhook.
    await get('/webhook/order-update', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' })
  }
  await traffic()

  const prom = await startPrometheus(t, new URL(base).host, [RULES])

  // The target is scraped and up (scrapes every second: seconds at most; 30 s allowed).
  let up: any[] = []
  for (let deadline = Date.now() + 30_000; Date.now() < deadline;) {
    up = (await prom.api('query', { query: 'up{job="farmlokal"}' })).result
    if (up.length === 1 && up[0].value[1] === '1') break
    await sleep(250)
  }
  t.equal(up[0]?.value[1], '1', `target up\n${prom.output()}`)

  // More traffic between scrapes so every rate has an increase to show; then wait until every
  // recording rule has produced a sample (evaluated every second; 60 s allowed).
  const { records } = ruleNames()
  let pending = records
  for (let deadline = Date.now() + 60_000; Date.now() < deadline && pending.length > 0;) {
    await traffic()
    const empty: string[] = []
    for (const record of pending) {
      if ((await prom.api('query', { query: record })).result.length === 0) empty.push(record)
    }
    pending = empty
    if (pending.length > 0) await sleep(500)
  }
  t.same(pending, [], 'every recording rule produced a sample')
  t.ok(supplier.requests.length > 0, 'the supplier was called')

  // Every rule evaluated without error.
  const groups = (await prom.api('rules')).groups as Array<{ name: string, rules: Array<{ name: string, health: string, lastError?: string }> }>
  const rules = groups.flatMap((g) => g.rules)
  t.equal(rules.length, records.length + ruleNames().alerts.length, 'Prometheus loaded every rule')
  for (const rule of rules) t.equal(rule.health, 'ok', `${rule.name} ${rule.lastError ?? ''}`)

  // Nothing is alerting on a healthy service.
  const firing = (await prom.api('alerts')).alerts.filter((a: { state: string }) => a.state === 'firing')
  t.same(firing, [], 'no alert fires')

  // The build info reaches Prometheus with its labels.
  const info = (await prom.api('query', { query: 'farmlokal_build_info{job="farmlokal"}' })).result
  t.equal(info.length, 1)
  t.match(info[0]?.metric, { version: /^\d+\.\d+\.\d+/, node: process.version })

  // Every dashboard expression parses and returns data, and every metric it reads is one the
  // service exposes (or a recording rule, or `up`). An expression with a fallback that always
  // returns data (`or vector(0)`) is also checked without it: that part must parse, and return
  // data too unless its series appear only on an event a healthy service never has; then
  // Prometheus must at least know the metric family from the scrape.
  const families = exposedFamilies(await (await fetch(`${base}/metrics`)).text())
  t.ok(families.has('http_request_duration_seconds') && families.has('http_requests_shed_total'), 'the scrape declares the families, with or without samples')
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'))
  const exprs = dashboardExpressions(dashboard)
  t.ok(exprs.length >= 20, `${exprs.length} dashboard expressions`)
  const withFallback = new Set<string>()
  for (const { title, expr } of exprs) {
    const query = expandDashboardVariables(expr)
    t.notMatch(query, /\$/, `${title}: every variable expanded`)
    const data = await prom.api('query', { query }).catch((err: Error) => ({ error: err.message, result: [] }))
    t.ok(data.result.length > 0, `${title}: ${query} returns data${data.error !== undefined ? ` (${data.error as string})` : ''}`)
    for (const name of metricNames(query)) {
      const known = records.includes(name) || isScrapeSeries(name) || familyOf(name, families) !== undefined
      t.ok(known, `${title}: ${name} is exposed by the service or recorded by the rules`)
    }

    const inner = withoutFallback(query)
    if (inner === undefined) continue
    withFallback.add(title)
    const own = await prom.api('query', { query: inner }).catch((err: Error) => ({ error: err.message, result: [] }))
    t.equal(own.error, undefined, `${title}: ${inner} parses without its fallback`)
    const names = metricNames(inner).filter((name) => !isScrapeSeries(name))
    t.ok(names.length > 0, `${title}: the part before the fallback reads the service's metrics`)
    if (SERIES_ON_EVENT[title] === undefined) {
      t.ok(own.result.length > 0, `${title}: ${inner} returns data without its fallback`)
      continue
    }
    for (const name of names) {
      const family = familyOf(name, families) ?? name
      const metadata = await prom.api('metadata', { metric: family })
      t.ok(metadata[family] !== undefined, `${title}: Prometheus knows ${family} from the scrape (series only once ${SERIES_ON_EVENT[title]})`)
    }
  }
  t.same([...withFallback].sort(), Object.keys(SERIES_ON_EVENT).sort(), 'the panels with a fallback are exactly those whose series appear on an event')
  // The instance variable's label_values(up{job="$job"}, instance).
  const instances = await prom.api('label/instance/values', { 'match[]': 'up{job="farmlokal"}' })
  t.same(instances, [new URL(base).host])
})
