// Redis black-holed behind a TCP proxy this test owns: connections are accepted and nothing is
// ever answered. Every Redis caller (page cache, rate limiter, token store and lock, supplier
// copy, webhook fast path) shares one health state, so after a failure they all skip Redis and
// a black hole costs at most one command timeout per second per process, not one per request.
// Goal: every route's p50 within 100 ms once the first 2 s have passed.
import { test } from 'tap'
import { MYSQL_BASE, TEST_DB, TEST_REDIS_PREFIX, sql } from '../helper.js'
import {
  WEBHOOK_SECRET, call, holdFault, percentile, seedProducts, sendWebhook, spawnService, startFakeSupplier,
  startLoad, startRedisServer, startTcpProxy, supplierEnv, tally, type Outcome
} from './support.js'

const CLIENTS = 10
/** After the cut, requests in this first stretch may still pay for the first timeouts. */
const SETTLE_MS = 2000
/** How long the black hole is measured after settling. */
const MEASURE_MS = 5000
/** The goal for every route's p50 under a black-holed Redis, over its p50 with Redis healthy. */
const GOAL_P50_MS = 100

type Route = 'list' | 'byId' | 'token' | 'external' | 'webhook' | 'order' | 'ready'
const ROUTES: Route[] = ['list', 'byId', 'token', 'external', 'webhook', 'order', 'ready']

test('Redis black-holed: after the first 2 s every route answers with p50 within 100 ms, no 5xx', async (t) => {
  const redis = await startRedisServer(t)
  const proxy = await startTcpProxy(t, { host: '127.0.0.1', port: redis.port })
  const fake = await startFakeSupplier(t)
  const conn = await sql(t)
  await seedProducts(conn, 200)
  const svc = await spawnService(t, {
    ...supplierEnv(fake),
    MYSQL_URL: `${MYSQL_BASE}/${TEST_DB}`,
    REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
    REDIS_KEY_PREFIX: `${TEST_REDIS_PREFIX}blackhole:`,
    WEBHOOK_SECRET,
    RATE_LIMIT_MAX: '1000000'
  })

  const routeOf = new Map<Outcome, Route>()
  let events = 0
  const load = startLoad(t, CLIENTS, async (n) => {
    const route = ROUTES[n % ROUTES.length]
    let outcome: Outcome
    switch (route) {
      case 'list': outcome = await call(`${svc.url}/api/products?limit=10&sort=${n % 3 === 0 ? '-price' : 'id'}`); break
      case 'byId': outcome = await call(`${svc.url}/api/products/${1 + (n % 200)}`); break
      case 'token': outcome = await call(`${svc.url}/auth/token`); break
      case 'external': outcome = await call(`${svc.url}/external/products`); break
      case 'webhook': {
        const id = ++events
        outcome = await sendWebhook(svc.url, { event_id: `evt-bh-${id}`, order_id: `ord-bh-${id % 20}`, status: 'packed' })
        break
      }
      case 'order': outcome = await call(`${svc.url}/api/orders/ord-bh-${n % 20}`); break
      case 'ready': outcome = await call(`${svc.url}/ready`); break
    }
    routeOf.set(outcome, route)
    return outcome
  })

  // Healthy: the same load for a while (the first seconds warm the process up), for each
  // route's baseline p50 on this machine at this moment.
  const loadFrom = Date.now()
  await holdFault(loadFrom, 3000)
  const healthyFrom = Date.now()
  await holdFault(healthyFrom, 3000)
  proxy.cut('blackhole')
  const cutAt = Date.now()
  await holdFault(cutAt, SETTLE_MS + MEASURE_MS)
  const outcomes = await load.stop()

  const healthy = outcomes.filter((o) => o.startedAt >= healthyFrom && o.startedAt + o.ms < cutAt)
  const measured = outcomes.filter((o) => o.startedAt >= cutAt + SETTLE_MS)
  t.ok(measured.length >= 5 * ROUTES.length, `${measured.length} requests measured in the black hole`)
  const serverErrors = outcomes.filter((o) => o.startedAt >= cutAt && (o.status >= 500 || o.status === 0))
  t.same(tally(serverErrors), {}, 'no 5xx and no dropped request while Redis hangs')

  const report: Record<string, string> = {}
  for (const route of ROUTES) {
    const base = percentile(healthy.filter((o) => routeOf.get(o) === route).map((o) => o.ms), 50)
    const during = measured.filter((o) => routeOf.get(o) === route)
    const p50 = percentile(during.map((o) => o.ms), 50)
    report[route] = `${p50} ms (healthy ${base} ms, n=${during.length})`
    t.ok(during.length >= 3, `${route}: ${during.length} requests measured`)
    t.ok(p50 <= GOAL_P50_MS + (Number.isFinite(base) ? base : 0), `${route}: p50 ${p50} ms <= ${GOAL_P50_MS} ms + healthy p50 ${base} ms`)
  }
  t.comment(`p50 by route with Redis black-holed: ${JSON.stringify(report)}`)
})
