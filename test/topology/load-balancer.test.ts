// Three service processes behind HAProxy, running the shipped deploy/haproxy/haproxy.cfg (only
// its addresses replaced). A mixed storefront, supplier-feed and webhook load goes through the
// balancer while one instance gets SIGTERM, exits, is started again on the same port and
// rejoins, and then another is SIGKILLed and started again. The balancer's clients see no
// failure at all; webhooks land exactly once with the right final order state; the supplier
// token is fetched once; one client's rate limit is shared by the three instances, and each
// client is told apart through X-Forwarded-For.
import { test } from 'tap'
import { MYSQL_BASE, REDIS_BASE, TEST_DB, TEST_REDIS_PREFIX, flushPrefix, sql } from '../helper.js'
import { recountCategories } from '../../seed/seeder.js'
import { leaseChunk, lowWater } from '../../src/lib/rate-limit-lease.js'
import {
  CATEGORIES, WEBHOOK_SECRET, call, freePort, isProblem, jsonBody, seedProducts, signWebhook, spawnService,
  startFakeSupplier, startLoad, supplierEnv, tally, waitFor, webhookTables, within, type OrderEvent, type Outcome,
  type ServiceProcess
} from '../reliability/support.js'
import { HAPROXY_CONFIG, checkConfig, haproxyInstalled, startHaproxy, type Haproxy } from './support/haproxy.js'

const skip = haproxyInstalled() ? false : 'haproxy not installed (apt-get install haproxy; .ci/run does)'

const PRODUCTS = 500
const RATE_LIMIT_MAX = 600
/**
 * The load comes from this many client addresses (127.0.1.1 …), each kept well under the rate
 * limit: leased counting can strand up to chunk + low water units of a client on the instance
 * that is stopped, so each client sends at most RATE_LIMIT_MAX - PER_CLIENT_MARGIN requests.
 */
const LOAD_CLIENTS = 250
const PER_CLIENT_MARGIN = 60
const MAX_LOAD_CALLS = LOAD_CLIENTS * (RATE_LIMIT_MAX - PER_CLIENT_MARGIN)
/** A call this long has hung (a slow answer on a busy machine is not a failure; a hang is). */
const CALL_DEADLINE_MS = 20_000
const ORDERS = 12

type Kind = 'page' | 'item' | 'conditional' | 'search' | 'facets' | 'external' | 'webhook'

/** What each kind of call must get through the balancer. */
function expected (kind: Kind, o: Outcome): boolean {
  switch (kind) {
    case 'conditional': return o.status === 304 || o.status === 200
    case 'external': return o.status === 200 && jsonBody(o).source === 'live'
    case 'webhook': return o.status === 200 && jsonBody(o).received === true
    default: return o.status === 200
  }
}

/** Sum of the request counts the instance at `url` measured on its own API routes. */
async function apiRequestsServed (url: string): Promise<number> {
  const text = (await call(`${url}/metrics`, { timeoutMs: 5000 })).body
  let total = 0
  for (const m of text.matchAll(/^http_request_duration_seconds_count\{([^}]*)\} (\d+)/gm)) {
    if (/route="\/(api|external|webhook)/.test(m[1])) total += Number(m[2])
  }
  return total
}

/**
 * HAProxy log lines (option httplog) of requests whose answer was not a 2xx/304 or whose session
 * did not end normally (termination state other than `----`).
 */
function abnormalLogLines (log: string): string[] {
  return log.split('\n').filter((line) => {
    const m = /\] \S+ \S+ [-\d]+\/[-\d]+\/[-\d]+\/[-\d]+\/[-\d]+ (-?\d+) \d+ \S+ \S+ (\S{4}) /.exec(line)
    return m !== null && (!/^(2\d\d|304)$/.test(m[1]) || m[2] !== '----')
  })
}

test('three instances behind HAProxy: a restart and a crash under mixed load cost clients nothing', { skip }, async (t) => {
  const checked = checkConfig(HAPROXY_CONFIG)
  t.ok(checked.valid, `haproxy -c accepts ${HAPROXY_CONFIG}${checked.valid ? '' : `:\n${checked.output}`}`)

  const setupStarted = Date.now()
  const conn = await sql(t)
  await seedProducts(conn, PRODUCTS)
  await recountCategories({ url: `${MYSQL_BASE}/${TEST_DB}` })
  await conn.query('DELETE FROM webhook_events')
  await conn.query('DELETE FROM orders')
  await flushPrefix()
  const fake = await startFakeSupplier(t)
  // Supplier calls take a while, so some are in flight on the instance when it gets SIGTERM:
  // its drain has something to finish.
  fake.productDelayMs = 400

  const env = {
    MYSQL_URL: `${MYSQL_BASE}/${TEST_DB}`,
    REDIS_URL: REDIS_BASE,
    REDIS_KEY_PREFIX: TEST_REDIS_PREFIX,
    ...supplierEnv(fake),
    WEBHOOK_SECRET,
    RATE_LIMIT_MAX: String(RATE_LIMIT_MAX),
    RATE_LIMIT_WINDOW_MS: '600000',
    // Only the balancer's X-Forwarded-For is believed: the client address it saw.
    TRUST_PROXY: '127.0.0.1'
  }
  const ports = [await freePort(), await freePort(), await freePort()]
  const services: ServiceProcess[] = await Promise.all(ports.map(async (port) =>
    await spawnService(t, { ...env, PORT: String(port) }, { readyTimeoutMs: 120_000 })))
  const names = ['app1', 'app2', 'app3']
  const lb: Haproxy = await startHaproxy(t, names.map((name, i) => ({ name, port: ports[i] })))
  t.comment(`three instances and HAProxy up ${Date.now() - setupStarted} ms after the test started`)

  // The mixed load, from LOAD_CLIENTS addresses.
  const etags = new Map<number, string>()
  const sent = new Map<string, OrderEvent & { k: number }>()
  const kinds = new Map<Outcome, Kind>()
  let webhooksSent = 0
  const load = startLoad(t, 8, async (n) => {
    const from = `127.0.1.${(n % LOAD_CLIENTS) + 1}`
    const id = (n * 7919) % PRODUCTS + 1
    let kind: Kind
    let outcome: Outcome
    switch (n % 10) {
      case 0: case 1: case 2:
        kind = 'page'
        outcome = await lb.call(`/api/products?limit=${(n % 20) + 1}&category=${CATEGORIES[n % CATEGORIES.length]}&sort=${n % 2 === 0 ? 'price' : '-id'}`, { from, timeoutMs: CALL_DEADLINE_MS })
        break
      case 3: {
        const etag = etags.get(id)
        kind = etag === undefined ? 'item' : 'conditional'
        outcome = await lb.call(`/api/products/${id}`, { from, timeoutMs: CALL_DEADLINE_MS, ...(etag !== undefined ? { headers: { 'if-none-match': etag } } : {}) })
        const got = outcome.headers.get('etag')
        if (outcome.status === 200 && got !== null) etags.set(id, got)
        break
      }
      case 4: case 5:
        kind = 'search'
        outcome = await lb.call(`/api/products?q=${encodeURIComponent(`product ${100 + (n % 400)}`)}&limit=10`, { from, timeoutMs: CALL_DEADLINE_MS })
        break
      case 6:
        kind = 'facets'
        outcome = await lb.call(`/api/categories?minPrice=${n % 200}`, { from, timeoutMs: CALL_DEADLINE_MS })
        break
      case 7:
        kind = 'external'
        outcome = await lb.call('/external/products', { from, timeoutMs: CALL_DEADLINE_MS })
        break
      default: {
        kind = 'webhook'
        const k = webhooksSent++
        const event = {
          event_id: `evt-lb-${k}`,
          order_id: `ord-lb-${k % ORDERS}`,
          status: `status-${k}`,
          occurred_at: new Date(Date.UTC(2025, 6, 1) + k * 1000).toISOString()
        }
        sent.set(event.event_id, { ...event, k })
        const body = JSON.stringify(event)
        outcome = await lb.call('/webhook/order-update', {
          from,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...signWebhook(body) },
          body,
          timeoutMs: CALL_DEADLINE_MS,
          label: event.event_id
        })
      }
    }
    kinds.set(outcome, kind)
    return outcome
  }, { maxCalls: MAX_LOAD_CALLS })

  await waitFor(async () => {
    if (load.outcomes.length < 300) return false
    const states = await lb.servers()
    return names.every((name) => (states.get(name)?.sessions ?? 0) > 20)
  }, { timeoutMs: 60_000, intervalMs: 200, what: 'the load to reach every instance' })

  /**
   * Stops instance `victim` with `signal` under the load, starts it again on the same port, and
   * waits until HAProxy has it UP and it serves again. SIGTERM is a rolling restart or a scale-in;
   * SIGKILL a crash (requests it held die with it and HAProxy replays them elsewhere).
   */
  async function restart (victim: number, signal: 'SIGTERM' | 'SIGKILL'): Promise<{ stoppedAt: number, upAt: number }> {
    const name = names[victim]
    const stoppedAt = Date.now()
    services[victim].kill(signal)
    const [exit, downAt] = await Promise.all([
      within(15_000, 'the stopped instance to exit', services[victim].exited),
      lb.waitForStatus(name, 'DOWN', 15_000).then(() => Date.now())
    ])
    if (signal === 'SIGTERM') {
      t.same({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, 'the stopped instance exited 0')
      t.ok(exit.at - stoppedAt < 10_000, `it drained and exited ${exit.at - stoppedAt} ms after SIGTERM`)
    }
    t.comment(`${signal} → exit ${exit.at - stoppedAt} ms; HAProxy marked ${name} DOWN ${downAt - stoppedAt} ms after ${signal}`)

    // Started again on the same port, under the same load.
    const respawnAt = Date.now()
    services[victim] = await spawnService(t, { ...env, PORT: String(ports[victim]) }, { readyTimeoutMs: 120_000 })
    const answeredAt = Date.now()
    await lb.waitForStatus(name, 'UP', 30_000)
    const upAt = Date.now()
    const sessionsAtUp = (await lb.servers()).get(name)?.sessions ?? 0
    t.comment(`restart after ${signal}: the new process answered /health ${answeredAt - respawnAt} ms after spawning; ` +
      `HAProxy showed ${name} UP ${upAt - answeredAt} ms later (${upAt - exit.at} ms after the old one exited)`)

    // It receives traffic again: counted by HAProxy, and by the new process itself.
    await waitFor(async () => ((await lb.servers()).get(name)?.sessions ?? 0) >= sessionsAtUp + 50,
      { timeoutMs: 60_000, intervalMs: 100, what: `${name} to serve 50 requests after rejoining` })
    const servedByNew = await apiRequestsServed(services[victim].url)
    t.ok(servedByNew > 0, `the instance restarted after ${signal} served ${servedByNew} API requests through the balancer`)
    return { stoppedAt, upAt }
  }

  // One instance is stopped, as a rolling restart or a scale-in does; then another one crashes.
  const { stoppedAt: sigtermAt, upAt } = await restart(1, 'SIGTERM')
  const { stoppedAt: sigkillAt, upAt: upAfterKill } = await restart(2, 'SIGKILL')

  const outcomes = await load.stop()
  const loadSeconds = (Date.now() - outcomes[0].startedAt) / 1000
  t.ok(outcomes.length < MAX_LOAD_CALLS, 'the load ran until stopped (no client came near its rate limit)')

  // Zero failures at the balancer.
  const failed = outcomes.filter((o) => !expected(kinds.get(o) ?? 'page', o))
  t.same(failed.slice(0, 20).map((o) => `${kinds.get(o) ?? '?'} ${o.label}: ${o.status} ${o.error ?? ''} ${o.body.slice(0, 200)}`), [],
    `all ${outcomes.length} requests through the balancer answered as expected (${JSON.stringify(tally(outcomes))})`)
  t.equal(failed.length, 0, 'zero failed requests')
  if (failed.length > 0) t.comment(`HAProxy's log of the requests that did not end normally:\n${abnormalLogLines(lb.output()).slice(-20).join('\n')}`)
  const byKind: Record<string, number> = {}
  for (const o of outcomes) byKind[kinds.get(o) ?? '?'] = (byKind[kinds.get(o) ?? '?'] ?? 0) + 1
  const during = outcomes.filter((o) => (o.startedAt >= sigtermAt && o.startedAt <= upAt) || (o.startedAt >= sigkillAt && o.startedAt <= upAfterKill)).length
  const states = await lb.servers()
  const retries = [...states.values()].reduce((sum, s) => sum + s.retries, 0)
  const redispatches = [...states.values()].reduce((sum, s) => sum + s.redispatches, 0)
  t.comment(`load: ${outcomes.length} requests in ${loadSeconds.toFixed(1)} s (${Math.round(outcomes.length / loadSeconds)}/s), ` +
    `${during} of them while an instance was away (SIGTERM or SIGKILL until its rejoin); ${JSON.stringify(byKind)}; ` +
    `p99 ${[...outcomes].sort((a, b) => a.ms - b.ms)[Math.floor(outcomes.length * 0.99)].ms} ms; ` +
    `HAProxy replayed ${retries} requests (${redispatches} sent to another instance)`)

  // Webhooks: each event stored exactly once, every order at its newest event's status.
  const stored = await webhookTables(conn)
  t.same(stored.problems, [], 'nothing half applied')
  const storedIds = [...stored.events.keys()].filter((id) => id.startsWith('evt-lb-'))
  t.equal(storedIds.length, sent.size, `all ${sent.size} webhooks stored`)
  t.same([...stored.events].filter(([id, count]) => id.startsWith('evt-lb-') && count !== 1), [], 'each exactly once')
  const [orderRows] = await conn.query<Array<import('mysql2').RowDataPacket>>(
    "SELECT order_id, status FROM orders WHERE order_id LIKE 'ord-lb-%'")
  const finalStatus = new Map(orderRows.map((r) => [(r.order_id as Buffer).toString('utf8'), String(r.status)]))
  const newest = new Map<string, string>()
  for (const e of [...sent.values()].sort((a, b) => a.k - b.k)) newest.set(e.order_id ?? '', e.status)
  t.same(Object.fromEntries(finalStatus), Object.fromEntries(newest), `each of the ${newest.size} orders shows its newest event's status`)

  t.equal(fake.tokenRequests, 1, 'one token request reached the OAuth provider, across the three instances and both restarts')

  await t.test('one rate limit per client, shared by the three instances behind the balancer', async (t) => {
    const from = '127.0.2.1'
    const extra = 100
    const check = startLoad(t, 8, async () => await lb.call('/api/products/7', { from, timeoutMs: CALL_DEADLINE_MS }),
      { maxCalls: RATE_LIMIT_MAX + extra })
    await waitFor(() => check.outcomes.length >= RATE_LIMIT_MAX + extra, { timeoutMs: 120_000, intervalMs: 50, what: 'the rate-limit check to finish' })
    const answers = await check.stop()
    const admitted = answers.filter((o) => o.status === 200).length
    const refused = answers.filter((o) => o.status === 429)
    const upper = RATE_LIMIT_MAX + Math.floor(RATE_LIMIT_MAX * 5 / 100)
    const chunk = leaseChunk(RATE_LIMIT_MAX)
    const lower = RATE_LIMIT_MAX - services.length * (chunk + lowWater(chunk))
    t.equal(admitted + refused.length, answers.length, `every answer a 200 or a 429 (${JSON.stringify(tally(answers))})`)
    t.ok(admitted <= upper, `${admitted} admitted of ${answers.length}: within the documented bound of ${upper} (RATE_LIMIT_MAX ${RATE_LIMIT_MAX} + 5%)`)
    t.ok(admitted >= lower, `and at least ${lower} (less the leased quota each instance may hold unspent)`)
    t.ok(refused.every(isProblem) && refused.every((o) => Number(o.headers.get('retry-after')) >= 1), 'each 429 a problem with retry-after, passed through unchanged')
    t.comment(`rate limit through the balancer: ${admitted} of ${answers.length} admitted for one client (limit ${RATE_LIMIT_MAX})`)
    const other = await lb.call('/api/products/7', { from: '127.0.2.2' })
    t.equal(other.status, 200, 'another client address has its own budget')
  })

  // The operators' frontend: HAProxy's own Prometheus metrics count the three instances back.
  const scrape = await call(`${lb.statsUrl}/metrics`, { timeoutMs: 10_000 })
  t.match(scrape.body, /^haproxy_backend_active_servers\{proxy="farmlokal"\} 3$/m, 'HAProxy reports three active servers on /metrics')
  for (const s of services) t.equal((await call(`${s.url}/health`)).status, 200, `instance on port ${s.port} alive`)
})
