// Redis dies under load: the service runs against a redis-server of this test's own, 20 clients
// keep asking for many product URLs, Redis is killed (SIGKILL) mid-run and started again on the
// same port, empty. Nothing may fail or hang meanwhile; the cache works again soon after.
import { test } from 'tap'
import type { AddressInfo } from 'node:net'
import { build, sql } from '../helper.js'
import {
  CATEGORIES, call, holdFault, percentile, seedProducts, startFakeSupplier, startLoad, startRedisServer, startTcpProxy, supplierEnv,
  tally, waitFor, type Outcome
} from './support.js'

const PRODUCTS = 300
const CONCURRENCY = 20
const REQUEST_DEADLINE_MS = 5000

/** Many distinct product URLs: list pages over filters and sorts, and single products. */
function productUrls (): string[] {
  const urls: string[] = []
  const sorts = ['id', '-id', 'price', '-price', 'createdAt', '-createdAt']
  for (const sort of sorts) {
    for (const limit of [5, 10, 20]) {
      urls.push(`/api/products?limit=${limit}&sort=${sort}`)
      for (const category of CATEGORIES) urls.push(`/api/products?limit=${limit}&sort=${sort}&category=${category}`)
    }
    urls.push(`/api/products?sort=${sort}&minPrice=100&maxPrice=400`)
  }
  for (let id = 1; id <= 60; id++) urls.push(`/api/products/${id * 5}`)
  return urls
}

test('Redis killed and restarted under load: every request answered 2xx in bounded time, cache HITs again within 5 s, token manager and rate limiter keep serving', async (t) => {
  const redis = await startRedisServer(t)
  const fake = await startFakeSupplier(t)
  const conn = await sql(t)
  await seedProducts(conn, PRODUCTS)
  const app = await build(t, { REDIS_URL: redis.url, ...supplierEnv(fake), CACHE_TTL_SECONDS: 60, RATE_LIMIT_MAX: 1_000_000 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

  const urls = productUrls()
  const phase = { now: 'warm' as 'warm' | 'down' | 'back' }
  const phaseOf = new Map<Outcome, string>()
  const load = startLoad(t, CONCURRENCY, async (n) => {
    const started = phase.now
    const outcome = await call(base + urls[(n * 7) % urls.length], { timeoutMs: REQUEST_DEADLINE_MS })
    phaseOf.set(outcome, started)
    return outcome
  })

  // Warm: pages get cached, a token is fetched, the limiter counts.
  const token = await call(`${base}/auth/token`)
  t.equal(token.status, 200, 'token served before the outage')
  const before = JSON.parse(token.body) as { fingerprint: string }
  await waitFor(() => load.outcomes.filter((o) => o.headers.get('x-cache') === 'HIT').length >= 20,
    { timeoutMs: 10_000, what: 'cache hits while Redis is up' })
  const limited = await call(`${base}/api/products?limit=3`)
  t.ok(Number(limited.headers.get('x-ratelimit-remaining')) > 0, 'the rate limiter counts while Redis is up')

  // Down: killed without warning.
  await redis.kill()
  phase.now = 'down'
  const downAt = Date.now()
  await waitFor(() => load.outcomes.filter((o) => o.startedAt > downAt && o.headers.get('x-cache') === 'BYPASS').length >= 20,
    { timeoutMs: 10_000, what: 'requests answered without the cache' })
  const tokenDuringOutage = await Promise.all(Array.from({ length: 5 }, async () => await call(`${base}/auth/token`, { timeoutMs: 3000 })))
  t.same(tally(tokenDuringOutage), { 200: 5 }, 'the token manager keeps serving while Redis is down')
  for (const res of tokenDuringOutage) {
    t.match(JSON.parse(res.body), { source: 'memory', fingerprint: before.fingerprint }, 'from its own copy of the same token')
  }
  t.equal(fake.tokensIssued, 1, 'no new token was fetched because Redis went away')
  // Keep the load on a while with Redis gone (the limiter fails open, the cache bypasses).
  await holdFault(downAt, 1500)

  // Back: same port, empty.
  await redis.start()
  phase.now = 'back'
  const backAt = Date.now()
  const probeUrl = `${base}/api/products?limit=7&sort=-price&category=dairy`
  const hit = await waitFor(async () => {
    const res = await call(probeUrl, { timeoutMs: 2000 })
    return res.headers.get('x-cache') === 'HIT' ? Date.now() - backAt : undefined
  }, { timeoutMs: 5000, intervalMs: 100, what: 'a cache HIT after Redis came back' })
  t.ok(hit <= 5000, `cache HIT ${hit} ms after the restart`)
  // The load shares the client address and the route, so the count falls by one or more.
  await waitFor(async () => {
    const first = (await call(`${base}/api/products?limit=4`)).headers.get('x-ratelimit-remaining')
    const second = (await call(`${base}/api/products?limit=4`)).headers.get('x-ratelimit-remaining')
    return first !== null && second !== null && Number(second) < Number(first)
  }, { timeoutMs: 5000, intervalMs: 100, what: 'the rate limiter counting again in Redis' })
  t.pass('the rate limiter counts again after the restart')
  await holdFault(backAt, 1000) // load goes on a while after the restart

  const outcomes = await load.stop()
  const counts = tally(outcomes)
  t.same(Object.keys(counts), ['200'], `every request answered 200 (${JSON.stringify(counts)} over ${outcomes.length})`)
  t.equal(outcomes.filter((o) => o.error === 'timeout').length, 0, 'no request hung')
  const slowest = Math.max(...outcomes.map((o) => o.ms))
  t.ok(slowest < 2000, `slowest request ${slowest} ms`)
  const during = outcomes.filter((o) => phaseOf.get(o) === 'down')
  t.ok(during.length >= CONCURRENCY, `${during.length} requests started while Redis was down`)
  t.ok(during.every((o) => o.status === 200), 'all of them 200')
  const caches: Record<string, number> = {}
  for (const o of during) {
    const cache = o.headers.get('x-cache')
    if (cache !== null) caches[cache] = (caches[cache] ?? 0) + 1
  }
  t.ok((caches.BYPASS ?? 0) > 0, `list pages served from MySQL with x-cache BYPASS while Redis was down (${JSON.stringify(caches)})`)
})

test('Redis that stops answering (a black hole) under load: every request still answered 200 in bounded time, the cache works again after the network heals', async (t) => {
  const redis = await startRedisServer(t)
  const proxy = await startTcpProxy(t, { host: '127.0.0.1', port: redis.port })
  const fake = await startFakeSupplier(t)
  const app = await build(t, { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, ...supplierEnv(fake), CACHE_TTL_SECONDS: 60, RATE_LIMIT_MAX: 1_000_000 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const urls = productUrls()

  t.equal((await call(`${base}/auth/token`)).status, 200, 'token fetched while Redis answers')
  const load = startLoad(t, 10, async (n) => await call(base + urls[(n * 11) % urls.length], { timeoutMs: REQUEST_DEADLINE_MS }))
  await waitFor(() => load.outcomes.filter((o) => o.headers.get('x-cache') === 'HIT').length >= 10,
    { timeoutMs: 10_000, what: 'cache hits while Redis answers' })

  proxy.cut('blackhole')
  const cutAt = Date.now()
  await waitFor(() => load.outcomes.filter((o) => o.startedAt > cutAt && o.headers.get('x-cache') === 'BYPASS').length >= 10,
    { timeoutMs: 10_000, what: 'requests answered without the cache' })
  const token = await call(`${base}/auth/token`, { timeoutMs: 3000 })
  t.equal(token.status, 200, `the token manager answers while Redis hangs (${token.ms} ms)`)
  await holdFault(cutAt, 2000)

  proxy.restore()
  const healedAt = Date.now()
  await waitFor(async () => {
    const res = await call(`${base}/api/products?limit=8&sort=createdAt`, { timeoutMs: 2000 })
    return res.headers.get('x-cache') === 'HIT'
  }, { timeoutMs: 5000, intervalMs: 100, what: 'a cache HIT after the network healed' })
  t.pass(`cache HIT ${Date.now() - healedAt} ms after the network healed`)

  const outcomes = await load.stop()
  const counts = tally(outcomes)
  t.same(Object.keys(counts), ['200'], `every request answered 200 (${JSON.stringify(counts)} over ${outcomes.length})`)
  const stalled = outcomes.filter((o) => o.startedAt > cutAt && o.startedAt < healedAt)
  t.ok(stalled.length >= 10, `${stalled.length} requests started while Redis hung`)
  const slowest = Math.max(...stalled.map((o) => o.ms))
  t.ok(slowest < 2000, `each bounded by the Redis command timeouts, not hung (slowest ${slowest} ms, p50 ${percentile(stalled.map((o) => o.ms), 50)} ms)`)
})
