// Several instances: three real service processes share one MySQL database and one Redis prefix,
// as a scaled-out deployment does. Between them: one token fetch, exactly-once webhooks, one
// rate limit, and caches that agree after a catalog version bump.
import { test } from 'tap'
import { MYSQL_BASE, REDIS_BASE, TEST_DB, TEST_REDIS_PREFIX, flushPrefix, redisClient, sql } from '../helper.js'
import { CATALOG_VERSION_KEY } from '../../src/lib/catalog-version.js'
import {
  WEBHOOK_SECRET, call, isProblem, seedProducts, sendWebhook, spawnService, startFakeSupplier, supplierEnv,
  tally, waitFor, webhookTables, type OrderEvent, type Outcome, type ServiceProcess
} from './support.js'

const RATE_LIMIT_MAX = 10

/** A distinct client address per call (the services trust X-Forwarded-For here), so that only
 * the rate-limit test shares one budget. */
let clients = 0
function client (): Record<string, string> {
  clients++
  return { 'x-forwarded-for': `10.77.${(clients >> 8) & 255}.${clients & 255}` }
}

test('three service processes on one MySQL and one Redis', async (t) => {
  const conn = await sql(t)
  await seedProducts(conn, 100)
  await conn.query('DELETE FROM webhook_events')
  await conn.query('DELETE FROM orders')
  await flushPrefix()
  const fake = await startFakeSupplier(t)
  fake.tokenDelayMs = 300 // long enough for every instance to ask at once

  const env = {
    MYSQL_URL: `${MYSQL_BASE}/${TEST_DB}`,
    REDIS_URL: REDIS_BASE,
    REDIS_KEY_PREFIX: TEST_REDIS_PREFIX,
    ...supplierEnv(fake),
    WEBHOOK_SECRET,
    RATE_LIMIT_MAX: String(RATE_LIMIT_MAX),
    RATE_LIMIT_WINDOW_MS: '300000',
    TRUST_PROXY: 'true',
    CACHE_TTL_SECONDS: '120'
  }
  const started = Date.now()
  const services: ServiceProcess[] = await Promise.all([1, 2, 3].map(async () => await spawnService(t, env)))
  t.comment(`three services answered /health ${Date.now() - started} ms after spawning`)

  await t.test('one token fetch between them', async (t) => {
    const calls = await Promise.all(services.flatMap((s) =>
      Array.from({ length: 4 }, async () => await call(`${s.url}/auth/token`, { headers: client(), timeoutMs: 10_000 }))))
    t.same(tally(calls), { 200: 12 }, 'every instance served the token')
    const prints = new Set(calls.map((c) => (JSON.parse(c.body) as { fingerprint: string }).fingerprint))
    t.equal(prints.size, 1, 'all of them the same token')
    t.equal(fake.tokensIssued, 1, 'the provider issued exactly one token')
    const again = await Promise.all(services.map(async (s) => await call(`${s.url}/auth/token`, { headers: client() })))
    t.ok(again.every((c) => c.status === 200 && ['redis', 'memory'].includes((JSON.parse(c.body) as { source: string }).source)),
      'later calls are served from the shared cache')
    t.equal(fake.tokensIssued, 1, 'still one token')
  })

  await t.test('exactly-once webhooks: the same events delivered to all three at once', async (t) => {
    const events: OrderEvent[] = Array.from({ length: 20 }, (_, n) => ({
      event_id: `evt-multi-${n}`,
      order_id: `ord-multi-${n % 5}`,
      status: `status-${n}`,
      occurred_at: new Date(Date.UTC(2025, 2, 1) + n * 1000).toISOString()
    }))
    const deliveries = await Promise.all(events.flatMap((event) =>
      services.map(async (s) => await sendWebhook(s.url, event, { timeoutMs: 10_000, headers: client() }))))
    t.same(tally(deliveries), { 200: 60 }, 'every delivery acknowledged')
    for (const event of events) {
      const acks = deliveries.filter((d) => d.label === event.event_id).map((d) => (JSON.parse(d.body) as { duplicate: boolean }).duplicate)
      t.same(acks.sort(), [false, true, true], `${event.event_id}: one first delivery, two duplicates`)
    }
    const tables = await webhookTables(conn)
    t.same(tables.problems, [], 'every event fully applied')
    t.same([...tables.events.keys()].filter((id) => id.startsWith('evt-multi-')).sort(), events.map((e) => e.event_id).sort(), 'each event stored once')
    for (let k = 0; k < 5; k++) {
      const views = await Promise.all(services.map(async (s) => await call(`${s.url}/api/orders/ord-multi-${k}`, { headers: client() })))
      const bodies = views.map((v) => JSON.parse(v.body) as { status: string, history: unknown[] })
      t.ok(bodies.every((b) => b.status === `status-${15 + k}` && b.history.length === 4), `ord-multi-${k}: newest status, four events, on every instance`)
    }

    // One event id, two different bodies, raced across the instances: one wins, the other is a conflict.
    const a: OrderEvent = { event_id: 'evt-multi-race', order_id: 'ord-multi-race', status: 'paid' }
    const b: OrderEvent = { ...a, status: 'cancelled' }
    const race = await Promise.all([
      sendWebhook(services[0].url, a, { headers: client() }),
      sendWebhook(services[1].url, b, { headers: client() }),
      sendWebhook(services[2].url, a, { headers: client() })
    ])
    const firsts = race.filter((r) => r.status === 200 && (JSON.parse(r.body) as { duplicate: boolean }).duplicate === false)
    t.equal(firsts.length, 1, `exactly one delivery applied (${JSON.stringify(tally(race))})`)
    const [[stored]] = await conn.query<Array<import('mysql2').RowDataPacket>>('SELECT status FROM orders WHERE order_id = ?', ['ord-multi-race'])
    const winner = stored.status === 'paid' ? a : b
    race.forEach((r, i) => {
      const sentBody = i === 1 ? b : a
      if (sentBody === winner) t.equal(r.status, 200, `delivery ${i} carried the stored body: 200`)
      else t.ok(r.status === 409 && isProblem(r), `delivery ${i} carried another body: 409 problem`)
    })
  })

  await t.test('one rate limit shared by the three', async (t) => {
    const ip = { 'x-forwarded-for': '198.51.100.77' }
    const outcomes: Outcome[] = []
    for (let n = 0; n < 3 * RATE_LIMIT_MAX; n += 3) {
      outcomes.push(...await Promise.all(services.map(async (s) => await call(`${s.url}/api/products/7`, { headers: ip }))))
    }
    t.same(tally(outcomes), { 200: RATE_LIMIT_MAX, 429: 2 * RATE_LIMIT_MAX }, `exactly ${RATE_LIMIT_MAX} requests passed across the three instances`)
    const refused = outcomes.filter((o) => o.status === 429)
    t.ok(refused.every(isProblem), 'every 429 is a problem+json')
    t.ok(refused.every((o) => Number(o.headers.get('retry-after')) >= 1), 'with retry-after')
    t.ok(outcomes.every((o) => o.headers.get('x-ratelimit-limit') === String(RATE_LIMIT_MAX)), 'x-ratelimit-limit on every answer')
    const other = await call(`${services[0].url}/api/products/7`, { headers: client() })
    t.equal(other.status, 200, 'another client is not affected')
  })

  await t.test('caches agree after a catalog version bump', async (t) => {
    const url = '/api/products?limit=5&sort=id'
    const before = await Promise.all(services.map(async (s) => await call(s.url + url, { headers: client() })))
    const after = await Promise.all(services.map(async (s) => await call(s.url + url, { headers: client() })))
    t.ok(after.every((o) => o.status === 200 && o.headers.get('x-cache') === 'HIT'), 'the page is cached and shared')
    t.equal(new Set([...before, ...after].map((o) => o.headers.get('etag'))).size, 1, 'one ETag everywhere')

    await conn.query('UPDATE products SET price = 999.99, name = ? WHERE id = 1', ['Renamed Product 1'])
    const stale = await Promise.all(services.map(async (s) => await call(s.url + url, { headers: client() })))
    t.ok(stale.every((o) => o.body === before[0].body), 'until the version moves, every instance serves the cached page')

    const redis = redisClient(t)
    await redis.incr(CATALOG_VERSION_KEY)
    const bumped = Date.now()
    const fresh = await waitFor(async () => {
      const pages = await Promise.all(services.map(async (s) => await call(s.url + url, { headers: client() })))
      return pages.every((p) => p.status === 200 && p.body.includes('Renamed Product 1')) ? pages : undefined
    }, { timeoutMs: 2000, intervalMs: 50, what: 'every instance to serve the page of the new version' })
    t.comment(`all three served the new page ${Date.now() - bumped} ms after the bump`)
    t.equal(new Set(fresh.map((p) => p.body)).size, 1, 'the three instances serve the same bytes')
    t.equal(new Set(fresh.map((p) => p.headers.get('etag'))).size, 1, 'and the same ETag')
    t.not(fresh[0].headers.get('etag'), before[0].headers.get('etag'), 'a new ETag for the new bytes')
    t.match(JSON.parse(fresh[0].body), { data: [{ id: 1, price: 999.99, name: 'Renamed Product 1' }] })
  })

  // All three still healthy: nothing above crashed a process.
  for (const s of services) t.equal((await call(`${s.url}/health`)).status, 200, `service on port ${s.port} still alive`)
})
