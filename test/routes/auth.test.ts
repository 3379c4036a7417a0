import { test } from 'tap'
import type { AddressInfo } from 'node:net'
import { build, flushPrefix } from '../helper.js'
import { SANDBOX_CLIENT_SECRET } from '../../plugins/sandbox-supplier/credentials.js'
import { fingerprint } from '../../src/lib/token-policy.js'
import {
  CLIENT_ID, CLIENT_SECRET, fakeProvider, fetchCount, issue, providerConfig, type ProviderBehaviour
} from '../plugins/oauth-token-provider.js'

test('GET /auth/token returns the token metadata, never the token', async (t) => {
  await flushPrefix()
  const provider = await fakeProvider(t, issue(3600))
  const app = await build(t, providerConfig(provider))

  const first = await app.inject('/auth/token')
  t.equal(first.statusCode, 200)
  t.equal(first.headers['cache-control'], 'no-store')
  const body = first.json()
  t.same(Object.keys(body).sort(), ['expiresAt', 'expiresIn', 'fingerprint', 'source', 'tokenType'])
  t.match(body, { tokenType: 'Bearer', source: 'provider', fingerprint: fingerprint('tok-1') })
  t.ok(body.expiresIn >= 3599 && body.expiresIn <= 3600)
  t.ok(Math.abs(Date.parse(body.expiresAt) - (Date.now() + 3600_000)) < 2000, 'expiresAt is ISO, an hour away')
  t.notMatch(first.body, 'tok-1', 'the token itself is not in the response')

  const alias = await app.inject('/test-auth')
  t.equal(alias.statusCode, 200)
  t.match(alias.json(), { source: 'redis', fingerprint: fingerprint('tok-1'), expiresAt: body.expiresAt })
  t.equal(provider.requests.length, 1)
})

test('GET /auth/token answers a 502 problem when the provider cannot issue a token, and the next call tries again', async (t) => {
  await flushPrefix()
  const failures: Array<{ name: string, behaviour: ProviderBehaviour }> = [
    { name: 'provider 500', behaviour: () => ({ status: 500, body: { error: 'server_error' } }) },
    { name: 'provider timeout', behaviour: () => ({ hang: true }) },
    { name: 'malformed JSON', behaviour: () => ({ status: 200, body: 'not json at all' }) }
  ]
  for (const failure of failures) {
    const provider = await fakeProvider(t, failure.behaviour)
    const app = await build(t, providerConfig(provider, { SUPPLIER_TIMEOUT_MS: 300 }))

    const started = Date.now()
    const res = await app.inject('/auth/token')
    t.equal(res.statusCode, 502, failure.name)
    t.ok(Date.now() - started < 1500, `${failure.name}: answered within the deadline`)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { status: 502, title: 'Bad Gateway', type: /token-unavailable$/, detail: /could not issue an access token/ })

    provider.behaviour = issue(3600)
    const retry = await app.inject('/test-auth')
    t.equal(retry.statusCode, 200, `${failure.name}: the next call tries again`)
    t.equal(retry.json().source, 'provider')
    t.equal(provider.requests.length, 2)
    t.equal(await fetchCount(app), 2)
  }
})

test('secrets and tokens never reach the logs or the responses', async (t) => {
  await flushPrefix()
  const logs: Array<Record<string, unknown>> = []
  // The provider echoes what it was sent in its error body; none of it may leak.
  const provider = await fakeProvider(t, (n) => n === 1
    ? { status: 400, body: { error: 'invalid_client', error_description: `bad secret ${CLIENT_SECRET}` } }
    : { status: 200, body: { access_token: 'tok-very-secret-value', token_type: 'Bearer', expires_in: 3600 } })
  const app = await build(t, providerConfig(provider, { LOG_LEVEL: 'trace' }), { logs })

  const failed = await app.inject('/auth/token')
  t.equal(failed.statusCode, 502)
  const ok = await app.inject('/auth/token')
  t.equal(ok.statusCode, 200)
  const token = await app.oauthToken.getToken()
  t.equal(token.accessToken, 'tok-very-secret-value')

  const basic = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')
  const logged = logs.map((line) => JSON.stringify(line)).join('\n')
  t.ok(logs.length > 0, 'logs were captured')
  t.match(logged, /OAuth token request failed/, 'the failure was logged')
  for (const secret of [CLIENT_SECRET, basic, 'tok-very-secret-value']) {
    t.notMatch(logged, secret, 'not in the logs')
    t.notMatch(failed.body + ok.body, secret, 'not in the responses')
  }
})

test('without SUPPLIER_BASE_URL the service gets a token from its own sandbox, end to end', async (t) => {
  await flushPrefix()
  const logs: Array<Record<string, unknown>> = []
  const app = await build(t, {}, { logs })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

  const res = await fetch(`${base}/auth/token`)
  t.equal(res.status, 200)
  const body = await res.json() as Record<string, unknown>
  t.match(body, { tokenType: 'Bearer', source: 'provider', expiresIn: Number, fingerprint: /^[0-9a-f]{12}$/ })
  t.equal(await fetchCount(app), 1)

  const token = await app.oauthToken.getToken()
  t.equal(token.source, 'redis')
  t.equal(token.fingerprint, body.fingerprint)
  const feed = await fetch(`${base}/sandbox/products`, { headers: { authorization: `Bearer ${token.accessToken}` } })
  t.equal(feed.status, 200, 'the sandbox accepts the token it issued')

  const warnings = logs.filter((line) => /sandbox supplier is mounted/.test(String(line.msg)))
  t.equal(warnings.length, 1, 'the sandbox warning is logged once')
  t.equal(warnings[0].level, 40)
  t.notMatch(logs.map((line) => JSON.stringify(line)).join('\n'), SANDBOX_CLIENT_SECRET)
})

test('the sandbox is not mounted when SUPPLIER_BASE_URL is set', async (t) => {
  const provider = await fakeProvider(t)
  const logs: Array<Record<string, unknown>> = []
  const app = await build(t, providerConfig(provider), { logs })
  const token = await app.inject({ method: 'POST', url: '/sandbox/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=client_credentials' })
  t.equal(token.statusCode, 404)
  t.equal((await app.inject('/sandbox/products')).statusCode, 404)
  t.notOk(logs.some((line) => /sandbox/.test(String(line.msg))), 'no sandbox warning')
})
