import { test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { request } from 'undici'
import { build, flushPrefix } from '../helper.js'
import { FEED, fail, fakeSupplier, ok, sendJson, type FakeSupplier } from '../plugins/supplier-client-fake.js'

type Teardown = Parameters<typeof build>[0]

/** The service pointed at the test's own supplier (which also issues the OAuth tokens). */
async function serviceFor (t: Teardown, fake: FakeSupplier, overrides: Parameters<typeof build>[1] = {}, logs?: Array<Record<string, unknown>>): Promise<FastifyInstance> {
  await flushPrefix()
  return await build(t, {
    SUPPLIER_BASE_URL: fake.url,
    OAUTH_CLIENT_ID: 'farmlokal-test',
    OAUTH_CLIENT_SECRET: 'test-secret-value',
    SUPPLIER_TIMEOUT_MS: 200,
    SUPPLIER_RETRIES: 3,
    SUPPLIER_RETRY_BASE_MS: 50,
    BREAKER_RESET_MS: 300,
    ...overrides
  }, logs !== undefined ? { logs } : {})
}

test('GET /external/products serves the supplier feed live, fetched with the OAuth token', async (t) => {
  const fake = await fakeSupplier(t, ok)
  const app = await serviceFor(t, fake)
  const res = await app.inject('/external/products')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  const body = res.json()
  t.same(body.data, FEED)
  t.equal(body.source, 'live')
  t.ok(Math.abs(Date.parse(body.fetchedAt) - Date.now()) < 2000)
  t.same(Object.keys(body).sort(), ['data', 'fetchedAt', 'source'])
  t.equal(fake.requests.length, 1)
  t.equal(fake.requests[0].authorization, `Bearer ${fake.issued[0]}`)
})

test('GET /test-retry is the same endpoint', async (t) => {
  const fake = await fakeSupplier(t, (req, res, n) => n === 1 ? fail(503)(req, res, n) : ok(req, res, n))
  const app = await serviceFor(t, fake)
  const res = await app.inject('/test-retry')
  t.equal(res.statusCode, 200)
  t.equal(res.json().source, 'live')
  t.equal(fake.requests.length, 2, 'retried once')
})

test('a supplier that stays down gives a 503 problem with retry-after, then fails fast without calling it', async (t) => {
  const fake = await fakeSupplier(t, fail(500))
  const app = await serviceFor(t, fake, { SUPPLIER_RETRIES: 1, BREAKER_RESET_MS: 4000 })
  const res = await app.inject('/external/products')
  t.equal(res.statusCode, 503)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.equal(res.headers['retry-after'], '4')
  t.match(res.json(), { status: 503, title: 'Service Unavailable', type: /supplier-unavailable$/, circuit: 'open' })
  t.notMatch(res.body, /failing on purpose/, 'the supplier body is not passed on')
  t.equal(fake.requests.length, 2)

  const started = performance.now()
  const again = await app.inject('/external/products')
  t.ok(performance.now() - started < 50, 'fails fast while the circuit is open')
  t.equal(again.statusCode, 503)
  t.ok(Number(again.headers['retry-after']) >= 1 && Number(again.headers['retry-after']) <= 4)
  t.equal(fake.requests.length, 2, 'the supplier was not called')
})

test('the last good response is served as stale while the supplier fails', async (t) => {
  const fake = await fakeSupplier(t, ok)
  const app = await serviceFor(t, fake, { SUPPLIER_RETRIES: 1 })
  const live = (await app.inject('/external/products')).json()
  fake.respond = fail(503)
  const res = await app.inject('/external/products')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { data: FEED, source: 'stale', fetchedAt: live.fetchedAt })
})

test('a 401 from the supplier gets a new token from the provider and the call succeeds', async (t) => {
  const logs: Array<Record<string, unknown>> = []
  const fake = await fakeSupplier(t, (req, res, n) =>
    req.headers.authorization === 'Bearer tok-1' ? sendJson(res, 401, { error: 'invalid_token' }) : ok(req, res, n))
  const app = await serviceFor(t, fake, {}, logs)
  const res = await app.inject('/external/products')
  t.equal(res.statusCode, 200)
  t.equal(res.json().source, 'live')
  t.same(fake.requests.map((r) => r.authorization), ['Bearer tok-1', 'Bearer tok-2'])
  t.equal(fake.issued.length, 2, 'one new token, once')
  t.notMatch(JSON.stringify(logs), /tok-\d|test-secret-value/, 'no token or secret in the logs')
})

test('/metrics exports the supplier outcomes, retries and circuit state', async (t) => {
  const fake = await fakeSupplier(t, (req, res, n) => n === 1 ? fail(502)(req, res, n) : ok(req, res, n))
  const app = await serviceFor(t, fake)
  await app.inject('/external/products')
  const text = (await app.inject('/metrics')).body
  t.match(text, /^supplier_requests_total\{outcome="success"\} 1$/m)
  t.match(text, /^supplier_requests_total\{outcome="rejected"\} 0$/m)
  t.match(text, /^supplier_retries_total 1$/m)
  t.match(text, /^supplier_circuit_state 0$/m)
})

test('when no token can be obtained the supplier is not called and the answer is a 503 problem', async (t) => {
  const fake = await fakeSupplier(t, ok)
  const app = await serviceFor(t, fake, { OAUTH_TOKEN_URL: 'http://127.0.0.1:1/oauth/token' })
  const res = await app.inject('/external/products')
  t.equal(res.statusCode, 503)
  t.match(res.json(), { status: 503, detail: /no access token could be obtained/ })
  t.ok(res.headers['retry-after'])
  t.equal(fake.requests.length, 0)
})

test('without SUPPLIER_BASE_URL the built-in sandbox on the listening port is used', async (t) => {
  await flushPrefix()
  const app = await build(t, { SUPPLIER_TIMEOUT_MS: 1000, SUPPLIER_RETRY_BASE_MS: 50 })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const res = await request(`${address}/external/products`)
  t.equal(res.statusCode, 200)
  const body = await res.body.json() as { data: { supplier: string, products: unknown[] }, source: string }
  t.equal(body.source, 'live')
  t.equal(body.data.supplier, 'FarmLokal sandbox')
  t.ok(body.data.products.length > 0)
})
