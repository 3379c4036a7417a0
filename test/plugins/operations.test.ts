import http from 'node:http'
import { test } from 'tap'
import Fastify from 'fastify'
import errors from '../../plugins/errors.js'
import metrics from '../../plugins/metrics.js'
import operations, { parseOrigins, securityHeaders, type OperationsOptions } from '../../plugins/operations.js'
import { build, flushPrefix } from '../helper.js'

test('CORS_ORIGINS lists the storefront origins allowed to read responses', async (t) => {
  const app = await build(t, { CORS_ORIGINS: 'https://shop.example, https://admin.example/' })
  const allowed = await app.inject({ url: '/health', headers: { origin: 'https://shop.example' } })
  t.equal(allowed.headers['access-control-allow-origin'], 'https://shop.example')
  t.match(allowed.headers.vary, /origin/i, 'caches keep origins apart')
  t.match(allowed.headers['access-control-expose-headers'], /x-ratelimit-remaining/)
  t.match(allowed.headers['access-control-expose-headers'], /etag/)
  t.equal(allowed.headers['access-control-allow-credentials'], undefined, 'no credentials')

  const trailing = await app.inject({ url: '/health', headers: { origin: 'https://admin.example' } })
  t.equal(trailing.headers['access-control-allow-origin'], 'https://admin.example', 'a trailing slash in the setting is ignored')

  const other = await app.inject({ url: '/health', headers: { origin: 'https://evil.example' } })
  t.equal(other.statusCode, 200, 'the request itself is served')
  t.equal(other.headers['access-control-allow-origin'], undefined, 'but a browser may not read it')
})

test('CORS allows any origin by default and answers preflights without spending the rate limit', async (t) => {
  await flushPrefix()
  const app = await build(t, { RATE_LIMIT_MAX: 1 })
  const simple = await app.inject({ url: '/health', headers: { origin: 'https://anywhere.example' } })
  t.equal(simple.headers['access-control-allow-origin'], '*')
  for (let i = 0; i < 3; i++) {
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/products',
      headers: { origin: 'https://anywhere.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match' }
    })
    t.equal(preflight.statusCode, 204)
    t.match(preflight.headers['access-control-allow-methods'], /GET/)
    t.match(preflight.headers['access-control-allow-headers'], /if-none-match/)
    t.equal(preflight.headers['access-control-max-age'], '600')
  }
  const first = await app.inject({ url: '/api/not-a-route', headers: { origin: 'https://anywhere.example' } })
  t.equal(first.headers['x-ratelimit-remaining'], '0', 'preflights did not count')
  const limited = await app.inject({ url: '/api/not-a-route', headers: { origin: 'https://anywhere.example' } })
  t.equal(limited.statusCode, 429)
  t.equal(limited.headers['access-control-allow-origin'], '*', 'a storefront can read its 429 and retry-after')
})

test('API responses carry strict security headers; the Swagger UI gets a policy it can run under', async (t) => {
  const app = await build(t)
  for (const url of ['/health', '/api/not-a-route']) {
    const res = await app.inject(url)
    t.equal(res.headers['content-security-policy'], "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'", `${url} CSP`)
    t.equal(res.headers['x-content-type-options'], 'nosniff')
    t.equal(res.headers['x-frame-options'], 'DENY')
    t.equal(res.headers['referrer-policy'], 'no-referrer')
    t.match(res.headers['strict-transport-security'], /max-age=\d+/)
    t.equal(res.headers['x-powered-by'], undefined)
    t.match(res.headers, securityHeaders(), `${url} carries every header helmet sets`)
  }
  t.same(Object.keys(securityHeaders()).sort(), [
    'content-security-policy', 'cross-origin-resource-policy', 'referrer-policy', 'strict-transport-security',
    'x-content-type-options', 'x-frame-options'
  ], 'the headers that matter to a JSON API, computed once')
  const ui = await app.inject('/docs')
  t.equal(ui.statusCode, 200)
  t.match(ui.headers['content-type'], /text\/html/)
  const csp = String(ui.headers['content-security-policy'])
  t.match(csp, /script-src 'self'/, 'the UI may load its own scripts')
  t.match(csp, /style-src 'self'/)
  t.notMatch(csp, /upgrade-insecure-requests/, 'works on plain HTTP too')
  const script = await app.inject('/docs/static/swagger-initializer.js')
  t.equal(script.statusCode, 200, 'the UI\'s scripts are served')
})

test('every response carries its request id; a caller-supplied x-request-id is kept', async (t) => {
  const app = await build(t)
  const generated = await app.inject('/health')
  t.match(generated.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  const given = await app.inject({ url: '/api/not-a-route', headers: { 'x-request-id': 'trace-abc-123' } })
  t.equal(given.headers['x-request-id'], 'trace-abc-123')
  t.equal(given.json().requestId, 'trace-abc-123')
})

test('parseOrigins reads a comma-separated list; any * means every origin', async (t) => {
  t.equal(parseOrigins('*'), '*')
  t.equal(parseOrigins(''), '*')
  t.equal(parseOrigins('https://a.example, *'), '*')
  t.same(parseOrigins(' https://a.example ,https://b.example/ ,'), ['https://a.example', 'https://b.example'])
})

const BARE: OperationsOptions = {
  corsOrigins: '*',
  maxEventLoopDelayMs: 20,
  sampleIntervalMs: 100,
  retryAfterSeconds: 7
}

async function bare (t: { teardown: (fn: () => unknown) => void }, opts: Partial<OperationsOptions> = {}) {
  const app = Fastify()
  await app.register(errors)
  await app.register(metrics)
  await app.register(operations, { ...BARE, ...opts })
  app.get('/health', { config: { shed: false } }, async () => ({ status: 'ok' }))
  app.get('/api/thing', async () => ({ ok: true }))
  t.teardown(() => app.close())
  await app.ready()
  return app
}

function blockEventLoop (ms: number): void {
  const until = Date.now() + ms
  while (Date.now() < until) { /* saturate the loop on purpose */ }
}

test('while the event loop is saturated requests are shed with a 503 problem and retry-after, /health is not', async (t) => {
  const app = await bare(t)
  t.equal((await app.inject('/api/thing')).statusCode, 200, 'served while idle')

  blockEventLoop(600)
  // The next sample sees the blocked loop; wait for it (bounded).
  const deadline = Date.now() + 3000
  while (!app.isUnderPressure() && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve))
  t.ok(app.isUnderPressure(), 'pressure detected')

  const [shed, health] = await Promise.all([app.inject('/api/thing'), app.inject('/health')])
  t.equal(shed.statusCode, 503)
  t.match(shed.headers['content-type'], /^application\/problem\+json/)
  t.equal(shed.headers['retry-after'], '7')
  t.match(shed.json(), { type: 'https://farmlokal.dev/problems/overloaded', status: 503, detail: /^The service is overloaded \((event loop delay \d+ ms|eventLoopDelay)\)/ })
  t.equal(health.statusCode, 200, 'liveness is never shed')
  t.match(await app.metricsRegistry.metrics(), /^http_requests_shed_total\{reason="eventLoopDelay"\} [1-9]/m, 'shed requests are counted')
})

test('a response finished while the server drains closes its keep-alive connection', async (t) => {
  const app = Fastify({ forceCloseConnections: 'idle', keepAliveTimeout: 72_000 })
  await app.register(errors)
  await app.register(metrics)
  await app.register(operations, BARE)
  let entered!: () => void
  const inHandler = new Promise<void>((resolve) => { entered = resolve })
  let release!: () => void
  const released = new Promise<void>((resolve) => { release = resolve })
  app.get('/api/slow', async () => { entered(); await released; return { ok: true } })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }

  const agent = new http.Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/api/slow', agent }, resolve).on('error', reject)
  })
  await inHandler
  const closing = app.close()
  // Draining has begun once the listening socket is closed (bounded wait).
  const deadline = Date.now() + 3000
  while (app.server.listening && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve))
  t.notOk(app.server.listening, 'no longer accepting')
  release()
  const res = await response
  res.resume()
  t.equal(res.statusCode, 200, 'the in-flight request completes')
  t.equal(res.headers.connection, 'close', 'and tells the client not to reuse the connection')
  const started = Date.now()
  await closing
  t.ok(Date.now() - started < 2000, 'close does not wait for the keep-alive timeout')
})
