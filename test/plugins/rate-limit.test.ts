import net from 'node:net'
import { once } from 'node:events'
import { test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify, { type FastifyInstance } from 'fastify'
import errors from '../../plugins/errors.js'
import metrics from '../../plugins/metrics.js'
import redis from '../../plugins/redis.js'
import rateLimit from '../../plugins/rate-limit.js'
import opsRoutes from '../../plugins/ops-routes.js'
import { build, flushPrefix, redisClient, REDIS_BASE, TEST_REDIS_PREFIX } from '../helper.js'

type Logs = Array<Record<string, unknown>>

const storeWarnings = (logs: Logs) => logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('rate-limit store (Redis) unavailable'))

/**
 * Building an app blocks the event loop long enough for another app's load shedding (one
 * sample a second) to answer 503 for a moment; wait for one clean sample on every app.
 */
async function settled (...apps: FastifyInstance[]): Promise<void> {
  await sleep(1100)
  const until = Date.now() + 15_000
  while (apps.some((a) => a.isUnderPressure()) && Date.now() < until) await sleep(100)
}

test('two instances on one Redis share one budget per client IP', async (t) => {
  await flushPrefix()
  const a = await build(t, { RATE_LIMIT_MAX: 5, RATE_LIMIT_WINDOW_MS: 60_000 })
  const b = await build(t, { RATE_LIMIT_MAX: 5, RATE_LIMIT_WINDOW_MS: 60_000 })
  await settled(a, b)

  const remaining: string[] = []
  for (const app of [a, a, a, b, b]) {
    const res = await app.inject('/api/not-a-route')
    t.equal(res.statusCode, 404)
    t.equal(res.headers['x-ratelimit-limit'], '5')
    remaining.push(String(res.headers['x-ratelimit-remaining']))
  }
  t.same(remaining, ['4', '3', '2', '1', '0'], 'each instance sees the other\'s requests')

  const limited = await a.inject('/api/not-a-route')
  t.equal(limited.statusCode, 429)
  t.match(limited.headers['content-type'], /^application\/problem\+json/)
  t.match(limited.json(), {
    type: 'https://farmlokal.dev/problems/rate-limited',
    title: 'Too Many Requests',
    status: 429,
    detail: /5 requests per 1 min/,
    limit: 5
  })
  const retryAfter = Number(limited.headers['retry-after'])
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `retry-after ${retryAfter} within the window`)
  t.equal(limited.headers['x-ratelimit-remaining'], '0')
  t.ok(Number(limited.headers['x-ratelimit-reset']) >= 1)
  t.equal(limited.headers['ratelimit-policy'], '"default";q=5;w=60', 'the IETF draft policy field')
  t.equal(limited.headers.ratelimit, `"default";r=0;t=${String(limited.headers['x-ratelimit-reset'])}`, 'the IETF draft field, same reset as retry-after')
  t.equal(limited.headers.ratelimit?.toString().split('t=')[1], String(retryAfter))
  t.equal((await b.inject('/api/not-a-route')).statusCode, 429, 'the other instance refuses too')

  const other = await b.inject({ url: '/api/not-a-route', remoteAddress: '192.0.2.10' })
  t.equal(other.statusCode, 404, 'another client IP has its own budget')
  t.equal(other.headers['x-ratelimit-remaining'], '4')

  const keys = redisClient(t)
  const ttl = await keys.pttl('rate-limit:v1:127.0.0.1')
  t.ok(ttl > 0 && ttl <= 60_000, `the counter lives under the service prefix and expires with the window (pttl ${ttl})`)

  const metricsText = (await a.inject('/metrics')).body
  t.match(metricsText, /^rate_limit_exceeded_total [1-9]/m, 'refusals are counted')
})

test('the ops routes are never limited and carry no rate-limit headers', async (t) => {
  await flushPrefix()
  const app = await build(t, { RATE_LIMIT_MAX: 1 })
  await app.inject('/api/not-a-route')
  t.equal((await app.inject('/api/not-a-route')).statusCode, 429, 'budget spent')
  for (const url of ['/health', '/ready', '/metrics', '/docs/json', '/docs']) {
    for (let i = 0; i < 3; i++) {
      const res = await app.inject(url)
      t.equal(res.statusCode, 200, `${url} answers`)
      if (i === 0) t.equal(res.headers['x-ratelimit-limit'], undefined, `${url} is exempt`)
      if (i === 0) t.equal(res.headers.ratelimit, undefined, `${url} has no RateLimit field`)
    }
  }
})

test('X-Forwarded-For picks the client only when a proxy is trusted', async (t) => {
  await flushPrefix()
  const trusting = await build(t, { RATE_LIMIT_MAX: 2, TRUST_PROXY: 'true' })
  const from = (ip: string) => trusting.inject({ url: '/api/x', headers: { 'x-forwarded-for': ip } })
  t.equal((await from('203.0.113.1')).statusCode, 404)
  t.equal((await from('203.0.113.1')).statusCode, 404)
  t.equal((await from('203.0.113.1')).statusCode, 429, 'third request of one client is refused')
  t.equal((await from('203.0.113.2')).statusCode, 404, 'a different client behind the proxy is not')

  await flushPrefix()
  const direct = await build(t, { RATE_LIMIT_MAX: 2 })
  const spoof = (ip: string) => direct.inject({ url: '/api/x', headers: { 'x-forwarded-for': ip } })
  t.equal((await spoof('198.51.100.1')).statusCode, 404)
  t.equal((await spoof('198.51.100.2')).statusCode, 404)
  t.equal((await spoof('198.51.100.3')).statusCode, 429, 'without a trusted proxy the header cannot buy a fresh budget')
})

test('IPv6 clients share one budget per /64; an IPv4-mapped address counts as its IPv4 client', async (t) => {
  await flushPrefix()
  const app = await build(t, { RATE_LIMIT_MAX: 2 })
  const from = async (remoteAddress: string) => (await app.inject({ url: '/api/x', remoteAddress })).statusCode
  t.equal(await from('2001:db8:1:2::10'), 404)
  t.equal(await from('2001:DB8:1:2:ffff::20'), 404, 'another address (any spelling) of the same /64')
  t.equal(await from('2001:db8:1:2::10'), 429, 'the /64 has spent its budget')
  t.equal(await from('2001:db8:1:3::10'), 404, 'the next /64 has its own')
  t.equal(await from('198.51.100.7'), 404)
  t.equal(await from('::ffff:198.51.100.7'), 404, 'the mapped spelling of the same IPv4 client')
  t.equal(await from('198.51.100.7'), 429, 'both spellings drew on one budget')

  const keys = redisClient(t)
  t.ok(await keys.exists('rate-limit:v1:2001:db8:1:2::'), 'the counter is keyed by the /64')
  t.ok(await keys.exists('rate-limit:v1:198.51.100.7'), 'and by the IPv4 address')
})

test('with Redis down every request passes at once and one warning is logged', async (t) => {
  const logs: Logs = []
  const app = await build(t, { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_MAX: 2 }, { logs })
  let slowest = 0
  for (let i = 0; i < 30; i++) {
    const started = performance.now()
    const res = await app.inject('/api/not-a-route')
    slowest = Math.max(slowest, performance.now() - started)
    t.equal(res.statusCode, 404, 'not refused')
  }
  t.ok(slowest < 150, `no added delay (slowest ${slowest.toFixed(1)} ms)`)
  const warnings = storeWarnings(logs)
  t.equal(warnings.length, 1, 'one warning for thirty failures')
  t.equal(warnings[0]?.level, 40)
  t.match((await app.inject('/metrics')).body, /^rate_limit_fail_open_total [1-9]/m, 'requests let through are counted')
})

/**
 * A TCP relay in front of the real Redis that can stop answering, like a Redis that hangs
 * without closing its connections.
 */
async function stallableRedis (t: { teardown: (fn: () => unknown) => void }) {
  const target = new URL(REDIS_BASE)
  const sockets = new Set<net.Socket>()
  let stalled = false
  const relay = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname)
    sockets.add(client).add(upstream)
    client.on('data', (d) => { if (!stalled) upstream.write(d) })
    upstream.on('data', (d) => { if (!stalled) client.write(d) })
    const end = () => { client.destroy(); upstream.destroy() }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
  })
  relay.listen(0, '127.0.0.1')
  await once(relay, 'listening')
  t.teardown(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((resolve) => relay.close(resolve))
  })
  return { url: `redis://127.0.0.1:${(relay.address() as net.AddressInfo).port}`, stall: () => { stalled = true } }
}

test('a Redis that stops answering costs at most one command timeout, then requests skip it', async (t) => {
  await flushPrefix()
  const relay = await stallableRedis(t)
  const logs: Logs = []
  const app = await build(t, { REDIS_URL: relay.url, RATE_LIMIT_MAX: 100 }, { logs })
  const first = await app.inject('/api/not-a-route')
  t.equal(first.headers['x-ratelimit-remaining'], '99', 'counting through Redis while it answers')

  relay.stall()
  const times: number[] = []
  for (let i = 0; i < 10; i++) {
    const started = performance.now()
    const res = await app.inject('/api/not-a-route')
    times.push(performance.now() - started)
    t.equal(res.statusCode, 404, 'let through')
  }
  // The instance holds a lease, so the first requests are answered from it while its top-up
  // waits in the background; the one request that finds the lease empty (if any) waits for
  // that command's timeout, and from then on requests skip the stalled store.
  const sorted = times.slice().sort((x, y) => y - x)
  t.ok(sorted[0] < 1000, `at most the command timeout for one request (${sorted[0].toFixed(0)} ms)`)
  t.ok(sorted[1] < 150, `every other request is answered at once (next slowest ${sorted[1].toFixed(1)} ms)`)
  t.equal(storeWarnings(logs).length, 1, 'one warning')
  // QUIT cannot succeed against a Redis that never answers: close here and let the app's
  // teardown find it closed.
  await app.close().catch(() => {})
})

test('routes registered after the limiter are limited; a route may set its own limit or opt out', async (t) => {
  await flushPrefix()
  const app = Fastify()
  await app.register(errors)
  await app.register(metrics)
  await app.register(redis, { url: REDIS_BASE, keyPrefix: TEST_REDIS_PREFIX })
  await app.register(opsRoutes)
  await app.register(rateLimit, { max: 3, timeWindowMs: 10_000 })
  app.get('/api/things/:id', async () => ({ ok: true }))
  app.post('/api/search', { config: { rateLimit: { max: 1, timeWindow: 10_000 } } }, async () => ({ ok: true }))
  app.get('/open', { config: { rateLimit: false } }, async () => ({ ok: true }))
  app.get('/ops/status', { config: { ops: true } }, async () => ({ ok: true }))
  t.teardown(() => app.close())
  await app.ready()

  const statuses: number[] = []
  for (const id of [1, 2, 3, 4]) statuses.push((await app.inject(`/api/things/${id}`)).statusCode)
  t.same(statuses, [200, 200, 200, 429], 'one budget for every id of a route template')

  t.equal((await app.inject({ method: 'POST', url: '/api/search', remoteAddress: '192.0.2.7' })).statusCode, 200)
  const second = await app.inject({ method: 'POST', url: '/api/search', remoteAddress: '192.0.2.7' })
  t.equal(second.statusCode, 429, 'the route\'s own, tighter limit')
  t.equal(second.headers['x-ratelimit-limit'], '1')
  t.equal(second.headers['ratelimit-policy'], '"route";q=1;w=10', 'named as the route\'s own policy')
  t.match(second.headers.ratelimit, /^"route";r=0;t=\d+$/)

  for (let i = 0; i < 5; i++) {
    t.equal((await app.inject('/open')).statusCode, 200)
    const ops = await app.inject('/ops/status')
    t.equal(ops.statusCode, 200)
    t.equal(ops.headers['x-ratelimit-limit'], undefined, 'an operations route (config.ops) is exempt')
  }
})

test('RATE_LIMIT_COUNTING=per-request counts every request in Redis, with the same answers', async (t) => {
  await flushPrefix()
  const a = await build(t, { RATE_LIMIT_MAX: 3, RATE_LIMIT_COUNTING: 'per-request' })
  const b = await build(t, { RATE_LIMIT_MAX: 3, RATE_LIMIT_COUNTING: 'per-request' })
  await settled(a, b)
  const answers: string[] = []
  for (const app of [a, b, a, b]) {
    const res = await app.inject('/api/not-a-route')
    answers.push(`${res.statusCode} ${String(res.headers['x-ratelimit-remaining'])} ${String(res.headers.ratelimit)}`)
  }
  t.match(answers, [/^404 2 "default";r=2;t=\d+$/, /^404 1 /, /^404 0 /, /^429 0 "default";r=0;t=\d+$/])
  t.equal(await redisClient(t).get('rate-limit:v1:127.0.0.1'), '4', 'one count per request in the shared counter')
  const cors = await a.inject({ url: '/api/not-a-route', headers: { origin: 'https://shop.example' } })
  t.match(cors.headers['access-control-expose-headers'], /(^|, )ratelimit-policy(,|$)/)
  t.match(cors.headers['access-control-expose-headers'], /(^|, )ratelimit(,|$)/)
})
