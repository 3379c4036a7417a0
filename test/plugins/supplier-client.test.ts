import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import metrics from '../../plugins/metrics.js'
import redis from '../../plugins/redis.js'
import supplierClient, { type SupplierClientOptions, type SupplierProducts } from '../../plugins/supplier-client.js'
import { LAST_GOOD_KEY } from '../../src/lib/last-good.js'
import { REDIS_BASE, TEST_REDIS_PREFIX, flushPrefix, redisClient } from '../helper.js'
import { FEED, fail, fakeSupplier, gaps, hang, ok, sendJson, within, type FakeSupplier } from './supplier-client-fake.js'

type Teardown = { teardown: (fn: () => unknown) => void }

/** A token source like oauth-token's: t1 until invalidated, then t2, ... */
function tokenSource () {
  const source = {
    current: 1,
    fetches: 0,
    invalidated: [] as Array<string | undefined>,
    async getToken () {
      source.fetches++
      const accessToken = `t${source.current}`
      return { accessToken, tokenType: 'Bearer', expiresAt: Date.now() + 3_600_000, expiresIn: 3600, source: 'provider' as const, fingerprint: 'f' }
    },
    async invalidate (accessToken?: string) {
      source.invalidated.push(accessToken)
      source.current++
    }
  }
  return source
}

/**
 * The plugin on a bare Fastify with its real dependencies (metrics, Redis) and a token source
 * standing in for oauth-token, with the short timings of these tests.
 */
async function clientApp (
  t: Teardown, fake: Pick<FakeSupplier, 'url'>, options: Partial<SupplierClientOptions> = {},
  { redisUrl = REDIS_BASE, tokens = tokenSource() } = {}
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  await app.register(metrics)
  await app.register(redis, { url: redisUrl, keyPrefix: TEST_REDIS_PREFIX, startWaitMs: 300 })
  await app.register(fp(async (f) => { f.decorate('oauthToken', tokens) }, { name: 'oauth-token' }))
  await app.register(supplierClient, {
    baseUrl: fake.url, timeoutMs: 200, retries: 3, retryBaseMs: 50, breakerResetMs: 300, ...options
  })
  t.teardown(() => app.close())
  await app.ready()
  return app
}

async function fetchError (app: FastifyInstance): Promise<Error & { statusCode?: number, retryAfter?: number, problem?: Record<string, unknown> }> {
  try {
    const result = await app.supplierClient.getProducts()
    throw new Error(`expected a failure, got ${JSON.stringify(result)}`)
  } catch (err) {
    return err as Error
  }
}

/** supplier_requests_total by outcome, supplier_retries_total and supplier_circuit_state. */
async function supplierMetrics (app: FastifyInstance) {
  const read = async (name: string) => (await app.metricsRegistry.getSingleMetric(name)?.get())?.values ?? []
  const outcomes: Record<string, number> = {}
  for (const v of await read('supplier_requests_total')) outcomes[String(v.labels.outcome)] = v.value
  return {
    outcomes,
    retries: (await read('supplier_retries_total'))[0]?.value,
    state: (await read('supplier_circuit_state'))[0]?.value
  }
}

/** supplier_circuit_state: 0 closed, 1 half-open, 2 open. */
const CLOSED = 0
const HALF_OPEN = 1
const OPEN = 2

async function circuitState (app: FastifyInstance): Promise<number | undefined> {
  return (await supplierMetrics(app)).state
}

/** Waits (polling the gauge every 5 ms) until supplier_circuit_state reads `state`. */
async function untilState (app: FastifyInstance, state: number, ms: number): Promise<void> {
  await within((async () => {
    while (await circuitState(app) !== state) await sleep(5)
  })(), ms, `circuit state ${state}`)
}

test('two 503s are retried after base then 2×base, and the third answer is served live', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, (req, res, n) => n <= 2 ? fail(503)(req, res, n) : ok(req, res, n))
  const app = await clientApp(t, fake)
  const result = await app.supplierClient.getProducts()
  t.equal(result.source, 'live')
  t.same(result.data, FEED)
  t.ok(Math.abs(Date.parse(result.fetchedAt) - Date.now()) < 2000, 'fetchedAt is now')
  t.equal(fake.requests.length, 3, 'three attempts')
  const [first, second] = gaps(fake.requests)
  t.ok(first >= 48 && first < 50 + 250, `first wait ≈ 50 ms (${first.toFixed(1)})`)
  t.ok(second >= 98 && second < 100 + 250, `second wait ≈ 100 ms (${second.toFixed(1)})`)
  t.ok(fake.requests.every((r) => r.method === 'GET' && r.path === '/products' && r.authorization === 'Bearer t1'))
  const m = await supplierMetrics(app)
  t.equal(m.retries, 2)
  t.equal(m.outcomes.success, 1)
  t.equal(await circuitState(app), CLOSED)
})

test('every transient status is retried up to the limit, then the call fails', async (t) => {
  await flushPrefix()
  const statuses = [408, 429, 500, 502, 503, 504]
  const fake = await fakeSupplier(t, (req, res, n) => fail(statuses[n - 1] ?? 500)(req, res, n))
  const app = await clientApp(t, fake, { retries: 5, retryBaseMs: 1 })
  const err = await fetchError(app)
  t.equal(err.statusCode, 503)
  t.equal(fake.requests.length, 6, 'the first attempt and five retries')
  t.equal((await supplierMetrics(app)).retries, 5)
})

test('a 404 is not retried; with nothing kept the call fails with a 503 and retry-after', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, fail(404))
  const app = await clientApp(t, fake)
  const err = await fetchError(app)
  t.equal(fake.requests.length, 1, 'one attempt only')
  t.equal(err.statusCode, 503)
  t.equal(err.retryAfter, 1)
  t.match(err.message, /supplier answered 404/)
  t.equal(await circuitState(app), CLOSED, 'a 4xx says nothing about the supplier being down')
  const m = await supplierMetrics(app)
  t.equal(m.outcomes.client_error, 1)
  t.equal(m.retries, 0)
})

test('a 401 invalidates the token and the call is made once more with a fresh one', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, (req, res, n) =>
    req.headers.authorization === 'Bearer t1' ? sendJson(res, 401, { error: 'invalid_token' }) : ok(req, res, n))
  const tokens = tokenSource()
  const app = await clientApp(t, fake, {}, { tokens })
  const result = await app.supplierClient.getProducts()
  t.equal(result.source, 'live')
  t.same(fake.requests.map((r) => r.authorization), ['Bearer t1', 'Bearer t2'])
  t.same(tokens.invalidated, ['t1'], 'the rejected token was invalidated')
  t.equal((await supplierMetrics(app)).retries, 0, 'a token refresh is not a backoff retry')
})

test('a 401 that a fresh token does not cure is not tried a third time', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, (_req, res) => sendJson(res, 401, { error: 'invalid_token' }))
  const tokens = tokenSource()
  const app = await clientApp(t, fake, {}, { tokens })
  const err = await fetchError(app)
  t.equal(err.statusCode, 503)
  t.equal(fake.requests.length, 2)
  t.same(tokens.invalidated, ['t1'])
  t.equal(await circuitState(app), CLOSED)
})

test('a Retry-After of 1 s replaces the 50 ms backoff', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, (req, res, n) => n === 1 ? fail(503, { 'retry-after': '1' })(req, res, n) : ok(req, res, n))
  const app = await clientApp(t, fake)
  const result = await app.supplierClient.getProducts()
  t.equal(result.source, 'live')
  const [gap] = gaps(fake.requests)
  t.ok(gap >= 995 && gap < 1000 + 400, `waited ≈ 1 s (${gap.toFixed(1)})`)
})

test('a Retry-After given as an HTTP date is honoured', async (t) => {
  await flushPrefix()
  let wanted = 0
  const fake = await fakeSupplier(t, (req, res, n) => {
    if (n > 1) return ok(req, res, n)
    const at = new Date(Date.now() + 2000)
    wanted = Math.floor(at.getTime() / 1000) * 1000 - Date.now() // HTTP dates have whole seconds
    fail(429, { 'retry-after': at.toUTCString() })(req, res, n)
  })
  const app = await clientApp(t, fake)
  await app.supplierClient.getProducts()
  const [gap] = gaps(fake.requests)
  t.ok(wanted > 900, 'the date asked for a wait well above the backoff')
  t.ok(gap >= wanted - 20 && gap < wanted + 400, `waited until the date (${gap.toFixed(1)} ms for ${wanted} ms)`)
})

test('a supplier that never answers is cut at the per-attempt timeout and retried', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, hang)
  const app = await clientApp(t, fake, { retries: 1 })
  const started = performance.now()
  const err = await fetchError(app)
  const elapsed = performance.now() - started
  t.equal(err.statusCode, 503)
  t.match(err.message, /did not answer within 200 ms/)
  t.equal(fake.requests.length, 2)
  t.ok(elapsed >= 440 && elapsed < 1200, `two 200 ms attempts and a 50 ms wait (${elapsed.toFixed(0)} ms)`)
  const m = await supplierMetrics(app)
  t.equal(m.outcomes.timeout, 1)
  t.equal(m.retries, 1)
})

test('a body that stalls after the headers is cut by the same per-attempt timeout', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"products":[')
  })
  const app = await clientApp(t, fake, { retries: 0 })
  const started = performance.now()
  const err = await fetchError(app)
  const elapsed = performance.now() - started
  t.match(err.message, /did not answer within 200 ms/)
  t.ok(elapsed >= 190 && elapsed < 700, `cut at ≈ 200 ms (${elapsed.toFixed(0)} ms)`)
})

test('a connection dropped by the supplier is retried', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, (req, res, n) => n === 1 ? req.socket.destroy() : ok(req, res, n))
  const app = await clientApp(t, fake)
  const result = await app.supplierClient.getProducts()
  t.equal(result.source, 'live')
  t.equal(fake.requests.length, 2)
})

test('a supplier that refuses connections is retried, then the call fails', async (t) => {
  await flushPrefix()
  const app = await clientApp(t, { url: 'http://127.0.0.1:1' }, { retries: 2 })
  const err = await fetchError(app)
  t.equal(err.statusCode, 503)
  t.match(err.message, /unreachable/)
  const m = await supplierMetrics(app)
  t.equal(m.retries, 2)
  t.equal(m.outcomes.failure, 1)
})

test('a success whose body is not JSON is a failure, not served', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, (_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html>') })
  const app = await clientApp(t, fake)
  const err = await fetchError(app)
  t.match(err.message, /not JSON/)
  t.equal(fake.requests.length, 1, 'not retried: the same bytes would come back')
})

test('after a fully failed call the circuit opens and calls fail fast without touching the supplier', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, fail(500))
  const tokens = tokenSource()
  const app = await clientApp(t, fake, { retries: 1, breakerResetMs: 3000 }, { tokens })
  await fetchError(app)
  t.equal(fake.requests.length, 2)
  t.equal(await circuitState(app), OPEN)
  t.equal((await supplierMetrics(app)).state, 2)
  const fetchesBefore = tokens.fetches
  // An open call reads the kept copy from Redis; a plain Redis read measured between the calls
  // shows what the (busy) machine adds to any call at that moment.
  const redis = redisClient(t)
  const elapsed: number[] = []
  const baseline: number[] = []
  for (let i = 0; i < 20; i++) {
    let started = performance.now()
    await redis.get(LAST_GOOD_KEY)
    baseline.push(performance.now() - started)
    started = performance.now()
    const err = await fetchError(app)
    elapsed.push(performance.now() - started)
    t.equal(err.statusCode, 503)
    t.ok(err.retryAfter !== undefined && err.retryAfter >= 1 && err.retryAfter <= 3, 'retry-after: seconds until the trial')
    t.same(err.problem, { circuit: 'open' })
  }
  const median = [...elapsed].sort((a, b) => a - b)[10]
  t.ok(median < 50, `open calls fail fast: median ${median.toFixed(1)} ms`)
  const slowestBaseline = Math.max(...baseline)
  t.ok(Math.max(...elapsed) < 50 + slowestBaseline, `slowest open call ${Math.max(...elapsed).toFixed(1)} ms < 50 ms + slowest plain Redis read ${slowestBaseline.toFixed(1)} ms`)
  t.equal(fake.requests.length, 2, 'the supplier was not called while open')
  t.equal(tokens.fetches, fetchesBefore, 'nor was a token asked for')
  t.equal((await supplierMetrics(app)).outcomes.rejected, 20)
})

test('the 503 retry-after counts the seconds until the circuit\'s next trial', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, fail(502))
  const app = await clientApp(t, fake, { retries: 0, breakerResetMs: 5000 })
  const err = await fetchError(app)
  t.equal(err.retryAfter, 5, 'the call that opened the circuit')
  const again = await fetchError(app)
  t.equal(again.retryAfter, 5, 'a call a moment later, while open: the trial is still 4 to 5 s away')
  t.equal(fake.requests.length, 1, 'the supplier was not called while open')
})

test('after BREAKER_RESET_MS the circuit half-opens and one successful trial closes it', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, fail(500))
  const app = await clientApp(t, fake, { retries: 1, breakerResetMs: 300 })
  await fetchError(app)
  const openedAt = performance.now()
  t.equal(await circuitState(app), OPEN)
  await untilState(app, HALF_OPEN, 2000)
  const waited = performance.now() - openedAt
  t.ok(waited >= 280 && waited < 1000, `half-open after ≈ 300 ms (${waited.toFixed(0)})`)
  t.equal((await supplierMetrics(app)).state, 1)
  fake.respond = ok
  const before = fake.requests.length
  const result = await app.supplierClient.getProducts()
  t.equal(result.source, 'live')
  t.equal(fake.requests.length, before + 1, 'one trial request')
  t.equal(await circuitState(app), CLOSED)
  t.equal((await supplierMetrics(app)).state, 0)
})

test('a failed half-open trial is a single attempt and opens the circuit again', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, fail(503))
  const app = await clientApp(t, fake, { retries: 3, retryBaseMs: 10, breakerResetMs: 300 })
  await fetchError(app)
  t.equal(fake.requests.length, 4)
  await untilState(app, HALF_OPEN, 2000)
  const err = await fetchError(app)
  const reopenedAt = performance.now()
  t.equal(fake.requests.length, 5, 'the trial made one attempt, no retries')
  t.equal(await circuitState(app), OPEN)
  t.equal(err.retryAfter, 1)
  await fetchError(app)
  t.equal(fake.requests.length, 5, 'open again: the next call does not reach the supplier')
  await untilState(app, HALF_OPEN, 2000)
  const waited = performance.now() - reopenedAt
  t.ok(waited >= 250, `a new wait of ≈ 300 ms before the next trial (${waited.toFixed(0)})`)
})

test('the last good response is served as stale while the supplier fails and while the circuit is open', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, ok)
  const app = await clientApp(t, fake, { retries: 1, breakerResetMs: 3000 })
  const live = await app.supplierClient.getProducts()
  t.equal(live.source, 'live')
  fake.respond = fail(500)
  const stale = await app.supplierClient.getProducts()
  t.same(stale, { data: FEED, source: 'stale', fetchedAt: live.fetchedAt } satisfies SupplierProducts)
  t.equal(await circuitState(app), OPEN)
  const requests = fake.requests.length
  const started = performance.now()
  const again = await app.supplierClient.getProducts()
  t.ok(performance.now() - started < 50, 'fast while open')
  t.equal(again.source, 'stale')
  t.equal(fake.requests.length, requests, 'supplier not called')
  t.equal((await supplierMetrics(app)).outcomes.fallback, 2)
})

test('another instance serves the copy kept in Redis', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, ok)
  const first = await clientApp(t, fake)
  const live = await first.supplierClient.getProducts()
  const down = await fakeSupplier(t, fail(500))
  const second = await clientApp(t, down, { retries: 0 })
  const stale = await second.supplierClient.getProducts()
  t.same(stale, { data: FEED, source: 'stale', fetchedAt: live.fetchedAt })
  const kept = await redisClient(t).ttl(LAST_GOOD_KEY)
  t.ok(kept > 0 && kept <= 86400, 'kept with an expiry')
})

test('with Redis down the copy kept in memory is served', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, ok)
  const app = await clientApp(t, fake, { retries: 0 }, { redisUrl: 'redis://127.0.0.1:1' })
  const live = await app.supplierClient.getProducts()
  t.equal(live.source, 'live', 'a Redis outage does not stop live calls')
  fake.respond = fail(503)
  const stale = await app.supplierClient.getProducts()
  t.same(stale, { data: FEED, source: 'stale', fetchedAt: live.fetchedAt })
})

test('concurrent calls share one call to the supplier', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, (req, res, n) => { setTimeout(() => ok(req, res, n), 100) })
  const app = await clientApp(t, fake)
  const results = await Promise.all(Array.from({ length: 8 }, () => app.supplierClient.getProducts()))
  t.equal(fake.requests.length, 1)
  t.ok(results.every((r) => r.source === 'live' && r.fetchedAt === results[0].fetchedAt))
  await app.supplierClient.getProducts()
  t.equal(fake.requests.length, 2, 'a later call makes its own request')
})

test('metrics count outcomes, retries and the circuit state as Prometheus reads them', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, (req, res, n) => n === 1 ? fail(500)(req, res, n) : ok(req, res, n))
  const app = await clientApp(t, fake, { retries: 1, breakerResetMs: 3000 })
  await app.supplierClient.getProducts() // 500 then 200: success after one retry
  fake.respond = fail(404)
  await app.supplierClient.getProducts() // client_error, stale served
  fake.respond = fail(503)
  await app.supplierClient.getProducts() // two attempts fail: failure, circuit opens, stale served
  await app.supplierClient.getProducts() // rejected, stale served
  const text = await app.metricsRegistry.metrics()
  for (const line of [
    'supplier_requests_total{outcome="success"} 1',
    'supplier_requests_total{outcome="client_error"} 1',
    'supplier_requests_total{outcome="failure"} 1',
    'supplier_requests_total{outcome="rejected"} 1',
    'supplier_requests_total{outcome="timeout"} 0',
    'supplier_requests_total{outcome="fallback"} 3',
    'supplier_retries_total 2',
    'supplier_circuit_state 2'
  ]) t.ok(text.split('\n').includes(line), line)
})

test('closing the app cancels a call in flight at once', async (t) => {
  await flushPrefix()
  const fake = await fakeSupplier(t, hang)
  const app = await clientApp(t, fake, { timeoutMs: 10_000 })
  const arrived = once(fake.events, 'request')
  const pending = fetchError(app)
  await within(arrived, 2000, 'supplier request')
  const started = performance.now()
  await app.close()
  const err = await within(pending, 1000, 'cancelled call')
  t.ok(performance.now() - started < 1000, 'settled promptly')
  t.equal(err.statusCode, 503)
  t.equal(fake.requests.length, 1, 'no retry once closing')
})
