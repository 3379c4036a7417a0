import { test } from 'tap'
import { build } from '../helper.js'
import { loadConfig } from '../../src/config.js'
import { resolveUrl } from '../../src/lib/supplier-endpoint.js'
import { basicAuthorization } from '../../src/lib/token-policy.js'
import { chooseSupplier } from '../../plugins/sandbox-supplier.js'
import {
  SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, issueSandboxToken, parseBasicAuthorization, sandboxTokenKey,
  verifySandboxToken
} from '../../plugins/sandbox-supplier/credentials.js'

const SANDBOX_AUTH = basicAuthorization(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

/** A server listening on `port`, or not yet listening. */
const listeningOn = (port?: number) => ({
  address: () => port === undefined ? null : { port, address: '127.0.0.1', family: 'IPv4' }
})

test('chooseSupplier picks the built-in sandbox on the listening port when no supplier is configured', async (t) => {
  const sandbox = chooseSupplier(loadConfig({}), listeningOn(4321))
  t.same(sandbox.sandbox, { clientId: SANDBOX_CLIENT_ID, clientSecret: SANDBOX_CLIENT_SECRET }, 'the sandbox is to be mounted')
  t.equal(resolveUrl(sandbox.endpoint.baseUrl), 'http://127.0.0.1:4321/sandbox')
  t.equal(resolveUrl(sandbox.endpoint.tokenUrl), 'http://127.0.0.1:4321/sandbox/oauth/token')
  t.match(sandbox.endpoint, { clientId: SANDBOX_CLIENT_ID, clientSecret: SANDBOX_CLIENT_SECRET, cacheIdentity: 'sandbox' })
  const notYet = chooseSupplier(loadConfig({ PORT: '3999' }), listeningOn())
  t.equal(resolveUrl(notYet.endpoint.baseUrl), 'http://127.0.0.1:3999/sandbox', 'the configured port until the service listens')
})

test('chooseSupplier takes the configured supplier as it is, without the sandbox', async (t) => {
  const real = chooseSupplier(loadConfig({ SUPPLIER_BASE_URL: 'https://s.example/api/', OAUTH_CLIENT_ID: 'id', OAUTH_CLIENT_SECRET: 'secret', OAUTH_SCOPE: 'feed' }), listeningOn(4321))
  t.equal(real.sandbox, undefined)
  t.same(real.endpoint, { baseUrl: 'https://s.example/api', tokenUrl: 'https://s.example/api/oauth/token', cacheIdentity: 'https://s.example/api/oauth/token', clientId: 'id', clientSecret: 'secret', scope: 'feed' })
  const own = chooseSupplier(loadConfig({ SUPPLIER_BASE_URL: 'https://s.example', OAUTH_TOKEN_URL: 'https://auth.example/token', OAUTH_CLIENT_ID: 'id', OAUTH_CLIENT_SECRET: 'secret' }), listeningOn(4321))
  t.equal(own.endpoint.tokenUrl, 'https://auth.example/token')
})

test('the sandbox reads client_secret_basic as a client form-encodes it', async (t) => {
  const header = basicAuthorization('id:with colon', 'pa%ss wörd')
  t.same(parseBasicAuthorization(header), { clientId: 'id:with colon', clientSecret: 'pa%ss wörd' })
  t.equal(parseBasicAuthorization(undefined), undefined)
  t.equal(parseBasicAuthorization('Bearer abc'), undefined)
  t.equal(parseBasicAuthorization('Basic ' + Buffer.from('no-colon').toString('base64')), undefined)
  t.equal(parseBasicAuthorization('Basic ' + Buffer.from('%E0%A4%A:x').toString('base64')), undefined, 'bad percent-encoding')
})

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
