import { test } from 'tap'
import { build } from '../helper.js'

test('GET /health answers ok while the process runs', async (t) => {
  const app = await build(t)
  const res = await app.inject('/health')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ok' })
})

test('GET /ready reports MySQL and Redis up', async (t) => {
  const app = await build(t)
  const res = await app.inject('/ready')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ready', mysql: 'up', redis: 'up' })
})

test('GET /ready is a 503 problem when nobody answers at the MySQL URL, and the app still starts', async (t) => {
  // Port 1 on loopback: connection refused at once.
  const app = await build(t, { MYSQL_URL: 'mysql://root@127.0.0.1:1/nowhere', MYSQL_QUERY_TIMEOUT_MS: 500 })
  const started = Date.now()
  const res = await app.inject('/ready')
  t.equal(res.statusCode, 503)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { status: 503, title: 'Service Unavailable', mysql: 'down', redis: 'up' })
  t.ok(res.headers['retry-after'])
  t.ok(Date.now() - started < 2000, 'answers within the deadline')
  const health = await app.inject('/health')
  t.equal(health.statusCode, 200, 'liveness does not depend on MySQL')
})

test('GET /ready reports Redis down but stays ready while MySQL answers', async (t) => {
  const app = await build(t, { REDIS_URL: 'redis://127.0.0.1:1' })
  const res = await app.inject('/ready')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ready', mysql: 'up', redis: 'down' })
})

test('concurrent /ready requests share one probe of MySQL and Redis (answers at most 1 s old)', async (t) => {
  const app = await build(t)
  let pings = 0
  const ping = app.db.ping.bind(app.db)
  app.db.ping = async () => { pings++; await ping() }
  const answers = await Promise.all(Array.from({ length: 50 }, async () => await app.inject('/ready')))
  t.ok(answers.every((res) => res.statusCode === 200), 'every probe answered')
  t.equal(pings, 1, '50 concurrent probes, one MySQL ping')
  t.same(answers[49].json(), { status: 'ready', mysql: 'up', redis: 'up' })
})

test('operations routes are paced, not limited: a burst of /health is answered in full', async (t) => {
  const app = await build(t, { RATE_LIMIT_MAX: 1 })
  const answers = await Promise.all(Array.from({ length: 100 }, async () => await app.inject('/health')))
  t.ok(answers.every((res) => res.statusCode === 200), '100 concurrent probes, all 200')
  t.equal(answers[0].headers['x-ratelimit-limit'], undefined, 'no rate-limit headers')
})

test('unknown routes get a 404 problem', async (t) => {
  const app = await build(t)
  const res = await app.inject('/nope')
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { status: 404, title: 'Not Found', type: /route-not-found/ })
})
