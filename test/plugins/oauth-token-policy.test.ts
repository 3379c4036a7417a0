import { test } from 'tap'
import {
  basicAuthorization, isUsable, parseStoredToken, parseTokenResponse,
  refreshSkewMs, secondsLeft, storedToken
} from '../../src/lib/token-policy.js'

test('a token is replaced when less than min(60 s, 10% of its lifetime) remains', async (t) => {
  t.equal(refreshSkewMs(4_000), 400)
  t.equal(refreshSkewMs(100_000), 10_000)
  t.equal(refreshSkewMs(600_000), 60_000)
  t.equal(refreshSkewMs(3_600_000), 60_000)

  const token = storedToken('tok', 'Bearer', 4, 1_000_000)
  t.same(token, { accessToken: 'tok', tokenType: 'Bearer', expiresAt: 1_004_000, refreshAt: 1_003_600 })
  t.ok(isUsable(token, 1_003_599), 'used for about 3.6 s')
  t.notOk(isUsable(token, 1_003_600), 'replaced from 3.6 s on')
  t.notOk(isUsable(token, 1_004_000), 'never expired')
  t.notOk(isUsable(undefined, 0))
  t.equal(secondsLeft(token, 1_000_000), 4)
  t.equal(secondsLeft(token, 1_003_500), 1, 'a valid token never says 0 s left')
  t.equal(secondsLeft(token, 1_005_000), 0)
})

test('token endpoint answers are checked before use', async (t) => {
  t.same(parseTokenResponse({ access_token: 'a', token_type: 'bearer', expires_in: 60 }, 300), { accessToken: 'a', tokenType: 'Bearer', expiresInSeconds: 60 })
  t.same(parseTokenResponse({ access_token: 'a', expires_in: '120' }, 300), { accessToken: 'a', tokenType: 'Bearer', expiresInSeconds: 120 }, 'numeric strings and a missing type are accepted')
  t.same(parseTokenResponse({ access_token: 'a', token_type: 'Bearer' }, 300), { accessToken: 'a', tokenType: 'Bearer', expiresInSeconds: 300 }, 'a missing expires_in takes the default')
  for (const bad of [null, 'text', [], {}, { access_token: '' }, { access_token: 1 },
    { access_token: 'a', token_type: 'mac' }, { access_token: 'a', expires_in: 0 },
    { access_token: 'a', expires_in: -1 }, { access_token: 'a', expires_in: 'soon' },
    { access_token: 'a', expires_in: 1e12 }, { access_token: 'a', expires_in: Number.NaN }]) {
    t.type(parseTokenResponse(bad, 300), 'string', `refused: ${JSON.stringify(bad)}`)
  }
})

test('cache entries that are malformed count as absent', async (t) => {
  const token = storedToken('tok', 'Bearer', 60, 1000)
  t.same(parseStoredToken(JSON.stringify(token)), token)
  for (const raw of [null, undefined, '', '{', '[]', '"x"', '{"accessToken":"a"}', JSON.stringify({ ...token, expiresAt: 'x' })]) {
    t.equal(parseStoredToken(raw), undefined, `absent: ${String(raw)}`)
  }
})

test('client_secret_basic form-encodes both parts before base64', async (t) => {
  const header = basicAuthorization('id:with colon', 'pa%ss wörd')
  t.equal(header, 'Basic ' + Buffer.from('id%3Awith+colon:pa%25ss+w%C3%B6rd').toString('base64'))
})
