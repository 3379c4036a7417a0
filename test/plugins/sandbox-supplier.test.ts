import { test } from 'tap'
import { build } from '../helper.js'
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET } from '../../src/config.js'
import { basicAuthorization } from '../../src/lib/token-policy.js'
import { issueSandboxToken, sandboxTokenKey, verifySandboxToken } from '../../src/lib/sandbox-token.js'

const SANDBOX_AUTH = basicAuthorization(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

test('sandbox tokens verify with their key until they expire, and not with another key or once altered', async (t) => {
  const key = sandboxTokenKey('id', 'secret')
  const now = Date.now()
  const token = issueSandboxToken(key, now + 1000)
  t.ok(verifySandboxToken(key, token, now))
  t.notOk(verifySandboxToken(key, token, now + 1000), 'expired at its expiry')
  t.notOk(verifySandboxToken(sandboxTokenKey('id', 'other-secret'), token, now), 'another key')
  const parts = token.split('.')
  const later = [parts[0], (now + 999_999).toString(36), parts[2], parts[3]].join('.')
  t.notOk(verifySandboxToken(key, later, now), 'a changed expiry breaks the MAC')
  t.notOk(verifySandboxToken(key, 'not-a-token', now))
  t.notOk(verifySandboxToken(key, '', now))
})

test('POST /sandbox/oauth/token issues a bearer token to the sandbox client', async (t) => {
  const app = await build(t)
  const res = await app.inject({
    method: 'POST',
    url: '/sandbox/oauth/token',
    headers: { ...FORM, authorization: SANDBOX_AUTH },
    payload: 'grant_type=client_credentials&scope=catalog%3Aread'
  })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  const body = res.json()
  t.match(body, { access_token: /^sbx\./, token_type: 'Bearer', expires_in: 3600, scope: 'catalog:read' })

  const feed = await app.inject({ url: '/sandbox/products', headers: { authorization: `Bearer ${body.access_token as string}` } })
  t.equal(feed.statusCode, 200)
  const products = feed.json().products as unknown[]
  t.ok(products.length > 0 && products.length <= 10, 'a small product feed')
  t.match(products[0], { sku: String, name: String, price: Number, stock: Number })
})

test('a sandbox token from one instance is accepted by another with the same credentials', async (t) => {
  const [a, b] = await Promise.all([build(t), build(t)])
  const res = await a.inject({ method: 'POST', url: '/sandbox/oauth/token', headers: { ...FORM, authorization: SANDBOX_AUTH }, payload: 'grant_type=client_credentials' })
  const token = res.json().access_token as string
  const feed = await b.inject({ url: '/sandbox/products', headers: { authorization: `Bearer ${token}` } })
  t.equal(feed.statusCode, 200)
})

test('the sandbox token endpoint refuses bad clients and bad requests with problems', async (t) => {
  const app = await build(t)
  const token = (headers: Record<string, string>, payload: string) =>
    app.inject({ method: 'POST', url: '/sandbox/oauth/token', headers, payload })

  const none = await token(FORM, 'grant_type=client_credentials')
  t.equal(none.statusCode, 401)
  t.match(none.headers['content-type'], /^application\/problem\+json/)
  t.match(none.headers['www-authenticate'], /^Basic/)
  t.match(none.json(), { status: 401, error: 'invalid_client' })

  const wrong = await token({ ...FORM, authorization: basicAuthorization(SANDBOX_CLIENT_ID, 'guess') }, 'grant_type=client_credentials')
  t.equal(wrong.statusCode, 401)
  t.match(wrong.json(), { error: 'invalid_client' })
  t.notMatch(wrong.body, SANDBOX_CLIENT_SECRET, 'the secret is not echoed')

  const garbled = await token({ ...FORM, authorization: 'Basic %%%' }, 'grant_type=client_credentials')
  t.equal(garbled.statusCode, 401)

  const grant = await token({ ...FORM, authorization: SANDBOX_AUTH }, 'grant_type=password&username=a&password=b')
  t.equal(grant.statusCode, 400)
  t.match(grant.json(), { status: 400, error: 'unsupported_grant_type' })

  const missing = await token({ ...FORM, authorization: SANDBOX_AUTH }, 'scope=x')
  t.equal(missing.statusCode, 400)
  t.match(missing.json(), { detail: /grant_type/ })

  const repeated = await token({ ...FORM, authorization: SANDBOX_AUTH }, 'grant_type=client_credentials&grant_type=client_credentials')
  t.equal(repeated.statusCode, 400)
  t.match(repeated.json(), { error: 'invalid_request', detail: /repeated/ })

  const xml = await token({ 'content-type': 'application/xml', authorization: SANDBOX_AUTH }, '<grant/>')
  t.equal(xml.statusCode, 415)
  t.match(xml.headers['content-type'], /^application\/problem\+json/)
})

test('GET /sandbox/products requires a valid, unexpired bearer token', async (t) => {
  const app = await build(t)
  const feed = (authorization?: string) =>
    app.inject({ url: '/sandbox/products', headers: authorization !== undefined ? { authorization } : {} })

  const none = await feed()
  t.equal(none.statusCode, 401)
  t.match(none.headers['www-authenticate'], /^Bearer/)
  t.match(none.json(), { status: 401, error: 'invalid_request' })

  const forged = await feed('Bearer sbx.zzzzzzzz.abc.def')
  t.equal(forged.statusCode, 401)
  t.match(forged.headers['www-authenticate'], /error="invalid_token"/)

  const expired = issueSandboxToken(sandboxTokenKey(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET), Date.now() - 1)
  t.equal((await feed(`Bearer ${expired}`)).statusCode, 401, 'an expired token is refused')

  const basic = await feed(SANDBOX_AUTH)
  t.equal(basic.statusCode, 401, 'client credentials are not a bearer token')
})

test('the sandbox accepts the configured client credentials when they are set without a supplier', async (t) => {
  const app = await build(t, { OAUTH_CLIENT_ID: 'my-dev-client', OAUTH_CLIENT_SECRET: 'my-dev-secret' })
  const ok = await app.inject({ method: 'POST', url: '/sandbox/oauth/token', headers: { ...FORM, authorization: basicAuthorization('my-dev-client', 'my-dev-secret') }, payload: 'grant_type=client_credentials' })
  t.equal(ok.statusCode, 200)
  const defaults = await app.inject({ method: 'POST', url: '/sandbox/oauth/token', headers: { ...FORM, authorization: SANDBOX_AUTH }, payload: 'grant_type=client_credentials' })
  t.equal(defaults.statusCode, 401, 'the default sandbox client is replaced by the configured one')
})
