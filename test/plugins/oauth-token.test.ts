import { test } from 'tap'
import { build, flushPrefix, redisClient } from '../helper.js'
import { fingerprint } from '../../src/lib/token-policy.js'
import { tokenLock } from '../../src/lib/token-lock.js'
import { tokenCacheKeys, type AccessToken } from '../../plugins/oauth-token.js'
import {
  CLIENT_ID, CLIENT_SECRET, fakeProvider, fetchCount, issue, providerConfig, until
} from './oauth-token-provider.js'

const callers = (n: number, get: () => Promise<AccessToken>) => Promise.all(Array.from({ length: n }, get))

function keysFor (tokenUrl: string, scope?: string) {
  return tokenCacheKeys({ cacheIdentity: tokenUrl, clientId: CLIENT_ID, ...(scope !== undefined ? { scope } : {}) })
}

test('300 concurrent callers on a cold cache cause one provider request', async (t) => {
  await flushPrefix()
  const provider = await fakeProvider(t, issue(3600, 100))
  const app = await build(t, providerConfig(provider, { OAUTH_SCOPE: 'catalog:read orders' }))

  const tokens = await callers(300, () => app.oauthToken.getToken())

  t.equal(provider.requests.length, 1, 'one request reached the provider')
  t.equal(await fetchCount(app), 1, 'oauth_token_fetches_total counts it')
  t.ok(tokens.every((tok) => tok.accessToken === 'tok-1'), 'every caller got the same token')
  t.match(tokens[0], { tokenType: 'Bearer', source: 'provider', fingerprint: fingerprint('tok-1') })
  t.ok(tokens[0].expiresIn >= 3599 && tokens[0].expiresIn <= 3600, `expiresIn ${tokens[0].expiresIn} is the lifetime as issued`)
  t.ok(Math.abs(tokens[0].expiresAt - (Date.now() + 3600_000)) < 2000, 'expiresAt is an hour away')

  const seen = provider.requests[0]
  t.equal(seen.method, 'POST')
  t.match(seen.contentType, /^application\/x-www-form-urlencoded/)
  const form = new URLSearchParams(seen.body)
  t.equal(form.get('grant_type'), 'client_credentials')
  t.equal(form.get('scope'), 'catalog:read orders')
  t.notOk(form.has('client_secret'), 'the secret is not in the body')
  t.equal(seen.authorization, 'Basic ' + Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64'), 'client_secret_basic')
})

test('the token is shared through Redis with a TTL of its lifetime minus the skew', async (t) => {
  await flushPrefix()
  const provider = await fakeProvider(t, issue(3600))
  const first = await build(t, providerConfig(provider))
  const issued = await first.oauthToken.getToken()
  t.equal(issued.source, 'provider')

  const second = await build(t, providerConfig(provider))
  const shared = await second.oauthToken.getToken()
  t.match(shared, { accessToken: 'tok-1', source: 'redis', expiresAt: issued.expiresAt })
  t.equal(provider.requests.length, 1, 'the second instance did not ask the provider')

  const redis = redisClient(t)
  const ttl = await redis.pttl(keysFor(provider.tokenUrl).token)
  t.ok(ttl > 3_535_000 && ttl <= 3_540_000, `PTTL ${ttl} ms is 3600 s minus 60 s`)

  const again = await first.oauthToken.getToken()
  t.equal(again.source, 'redis', 'later calls read the shared copy')
  t.equal(provider.requests.length, 1)
})

test('a 4-second token is used for about 3.6 s, then replaced by exactly one refresh', async (t) => {
  await flushPrefix()
  const provider = await fakeProvider(t, issue(4, 50))
  const app = await build(t, providerConfig(provider))

  const sentAt = Date.now()
  const first = await app.oauthToken.getToken()
  t.equal(first.accessToken, 'tok-1')
  t.ok(first.expiresAt >= sentAt + 4000 && first.expiresAt <= Date.now() + 4000, 'expiresAt is the expiry as issued')

  await until(sentAt + 3000)
  const later = await callers(50, () => app.oauthToken.getToken())
  t.ok(later.every((tok) => tok.accessToken === 'tok-1'), 'still in use at 3 s')
  t.equal(provider.requests.length, 1)

  await until(first.expiresAt - 350)
  const refreshed = await callers(300, () => app.oauthToken.getToken())
  const now = Date.now()
  t.equal(provider.requests.length, 2, 'one refresh for 300 callers')
  t.ok(refreshed.every((tok) => tok.accessToken === 'tok-2'), 'everyone got the new token')
  t.ok(refreshed.every((tok) => tok.expiresAt > now), 'no caller got an expired token')
})

test('three instances on one Redis cause one provider request between them', async (t) => {
  await flushPrefix()
  const provider = await fakeProvider(t, issue(3600, 150))
  const apps = await Promise.all([0, 1, 2].map(() => build(t, providerConfig(provider))))

  const results = (await Promise.all(apps.map((app) => callers(100, () => app.oauthToken.getToken())))).flat()

  t.equal(provider.requests.length, 1, 'one request for 300 callers on 3 instances')
  t.ok(results.every((tok) => tok.accessToken === 'tok-1'), 'all instances use the same token')
  const sources = new Set(results.map((tok) => tok.source))
  t.same([...sources].sort(), ['provider', 'redis'], 'one instance fetched, the others read Redis')
  const counts = await Promise.all(apps.map(fetchCount))
  t.equal(counts.reduce((a, b) => a + b, 0), 1)
  const redis = redisClient(t)
  t.equal(await redis.exists(keysFor(provider.tokenUrl).lock), 0, 'the lock was released')
})

test('a waiter fetches the token itself when the lock holder died', async (t) => {
  await flushPrefix()
  const provider = await fakeProvider(t, issue(3600))
  const app = await build(t, providerConfig(provider))
  const redis = redisClient(t)
  // A holder that took the lock and vanished: its lock expires after 600 ms.
  await redis.set(keysFor(provider.tokenUrl).lock, 'dead-instance', 'PX', 600)

  const started = Date.now()
  const token = await app.oauthToken.getToken()
  const waited = Date.now() - started
  t.equal(token.source, 'provider')
  t.equal(provider.requests.length, 1)
  t.ok(waited >= 550 && waited < 1500, `waited ${waited} ms, about the dead holder's lock lifetime`)
})

test('the wait for another instance is bounded even when its lock never expires', async (t) => {
  await flushPrefix()
  const provider = await fakeProvider(t, issue(3600))
  const app = await build(t, providerConfig(provider, { SUPPLIER_TIMEOUT_MS: 300 }))
  const redis = redisClient(t)
  await redis.set(keysFor(provider.tokenUrl).lock, 'stuck-without-ttl')

  const started = Date.now()
  const token = await app.oauthToken.getToken()
  const waited = Date.now() - started
  t.equal(token.source, 'provider')
  t.ok(waited >= 1200 && waited < 2500, `gave up waiting after ${waited} ms (lock lifetime 1.3 s)`)
  t.equal(await redis.get(keysFor(provider.tokenUrl).lock), 'stuck-without-ttl', "another owner's lock is left alone")
})

test('a lock is released only by its owner', async (t) => {
  await flushPrefix()
  const redis = redisClient(t)
  const lock = tokenLock(redis)
  const owner = await lock.acquire('oauth:v1:lock:test', 5000)
  t.type(owner, 'string')
  t.equal(await lock.acquire('oauth:v1:lock:test', 5000), undefined, 'a second taker is refused')
  t.equal(await lock.release('oauth:v1:lock:test', 'someone-else'), false)
  t.equal(await redis.exists('oauth:v1:lock:test'), 1, 'a stranger cannot release it')
  t.equal(await lock.release('oauth:v1:lock:test', owner as string), true)
  t.equal(await redis.exists('oauth:v1:lock:test'), 0, 'the owner can')
})

test('with Redis unreachable the memory path is still single-flight', async (t) => {
  const provider = await fakeProvider(t, issue(3600, 100))
  const app = await build(t, providerConfig(provider, { REDIS_URL: 'redis://127.0.0.1:1' }))

  const tokens = await callers(300, () => app.oauthToken.getToken())
  t.equal(provider.requests.length, 1, 'one provider request for 300 callers')
  t.ok(tokens.every((tok) => tok.accessToken === 'tok-1' && tok.source === 'provider'))

  const again = await app.oauthToken.getToken()
  t.match(again, { accessToken: 'tok-1', source: 'memory' })
  t.equal(provider.requests.length, 1)

  await app.oauthToken.invalidate('tok-1')
  const renewed = await callers(50, () => app.oauthToken.getToken())
  t.ok(renewed.every((tok) => tok.accessToken === 'tok-2'), 'invalidate works without Redis too')
  t.equal(provider.requests.length, 2)
})

test('invalidate drops the cached token only while it is still the one named', async (t) => {
  await flushPrefix()
  const provider = await fakeProvider(t, issue(3600))
  const a = await build(t, providerConfig(provider))
  const b = await build(t, providerConfig(provider))

  t.equal((await a.oauthToken.getToken()).accessToken, 'tok-1')
  await a.oauthToken.invalidate('some-other-token')
  t.match(await a.oauthToken.getToken(), { accessToken: 'tok-1', source: 'redis' }, 'another token name changes nothing')

  await b.oauthToken.invalidate('tok-1')
  t.match(await b.oauthToken.getToken(), { accessToken: 'tok-2', source: 'provider' }, 'the rejected token is replaced')
  // A late report about tok-1 from instance a must not throw away tok-2.
  await a.oauthToken.invalidate('tok-1')
  t.match(await a.oauthToken.getToken(), { accessToken: 'tok-2', source: 'redis' })

  await a.oauthToken.invalidate()
  t.match(await b.oauthToken.getToken(), { accessToken: 'tok-3', source: 'provider' }, 'no argument drops whatever is cached')
  t.equal(provider.requests.length, 3)
})

test('a failed fetch rejects every waiting caller with a 502, releases the lock, and the next call tries again', async (t) => {
  await flushPrefix()
  const provider = await fakeProvider(t, (n) => n === 1
    ? { status: 500, body: { error: 'server_error' }, delayMs: 50 }
    : { status: 200, body: { access_token: `tok-${n}`, token_type: 'bearer', expires_in: 3600 } })
  const app = await build(t, providerConfig(provider))

  const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => app.oauthToken.getToken()))
  t.equal(provider.requests.length, 1, 'the failing request was shared')
  t.ok(outcomes.every((o) => o.status === 'rejected'))
  const reason = (outcomes[0] as PromiseRejectedResult).reason as Error & { statusCode: number, code: string }
  t.equal(reason.statusCode, 502)
  t.equal(reason.code, 'FL_TOKEN_UNAVAILABLE')
  t.match(reason.message, /answered 500/)
  const redis = redisClient(t)
  t.equal(await redis.exists(keysFor(provider.tokenUrl).lock), 0, 'the lock was released')

  const next = await app.oauthToken.getToken()
  t.match(next, { accessToken: 'tok-2', tokenType: 'Bearer', source: 'provider' })
  t.equal(provider.requests.length, 2)
})

test('unusable token answers are 502 errors: timeout, malformed JSON, no access_token, bad expires_in, unreachable', async (t) => {
  await flushPrefix()
  const cases: Array<{ name: string, answer: Parameters<typeof fakeProvider>[1], message: RegExp }> = [
    { name: 'timeout', answer: () => ({ hang: true }), message: /did not answer within 300 ms/ },
    { name: 'malformed JSON', answer: () => ({ status: 200, body: '{"access_token": "tok-' }), message: /malformed JSON/ },
    { name: 'no access_token', answer: () => ({ status: 200, body: { token_type: 'Bearer', expires_in: 60 } }), message: /no access_token/ },
    { name: 'negative expires_in', answer: () => ({ status: 200, body: { access_token: 'x', token_type: 'Bearer', expires_in: -5 } }), message: /expires_in/ },
    { name: 'other token type', answer: () => ({ status: 200, body: { access_token: 'x', token_type: 'mac', expires_in: 60 } }), message: /token_type/ },
    { name: 'invalid_client', answer: () => ({ status: 401, body: { error: 'invalid_client' } }), message: /answered 401/ }
  ]
  for (const c of cases) {
    const provider = await fakeProvider(t, c.answer)
    const app = await build(t, providerConfig(provider, { SUPPLIER_TIMEOUT_MS: 300 }))
    const started = Date.now()
    await t.rejects(app.oauthToken.getToken(), { statusCode: 502, message: c.message }, c.name)
    t.ok(Date.now() - started < 1500, `${c.name}: failed within the deadline`)
  }
  const closed = await fakeProvider(t)
  const app = await build(t, providerConfig(closed, { OAUTH_TOKEN_URL: 'http://127.0.0.1:1/oauth/token' }))
  await t.rejects(app.oauthToken.getToken(), { statusCode: 502, message: /could not be reached/ }, 'unreachable')
})
