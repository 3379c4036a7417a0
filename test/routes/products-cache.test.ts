import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { test, type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { CATALOG_VERSION_KEY } from '../../src/lib/catalog-version.js'
import { build, flushPrefix, redisClient, sql } from '../helper.js'
import { APP_SETTINGS, seedProducts, catalogQueries } from './products-fixture.js'

const TTL = 45

async function setUp (t: Test, overrides: Record<string, string | number> = {}): Promise<FastifyInstance> {
  const conn = await sql(t)
  await seedProducts(conn, 500, 11)
  await flushPrefix()
  return await build(t, { ...APP_SETTINGS, CACHE_TTL_SECONDS: TTL, ...overrides })
}

test('the first request is a MISS, the same page next is a HIT with identical bytes, ETag and Cache-Control', async (t) => {
  const app = await setUp(t)
  const url = '/api/products?category=fruits&sort=-price&limit=10'
  const miss = await app.inject(url)
  const hit = await app.inject(url)
  t.equal(miss.statusCode, 200)
  t.equal(miss.headers['x-cache'], 'MISS')
  t.equal(hit.headers['x-cache'], 'HIT')
  t.equal(hit.body, miss.body)
  t.equal(hit.headers.etag, miss.headers.etag)
  t.match(miss.headers.etag, /^"[A-Za-z0-9_-]{22}"$/, 'a strong ETag')
  for (const res of [miss, hit]) {
    t.equal(res.headers['cache-control'], `public, max-age=${TTL}, stale-while-revalidate=${TTL}`)
    t.match(res.headers['content-type'], /^application\/json/)
  }
  t.equal(miss.json().data.length, 10)
})

test('the order and spelling of query parameters do not matter to the cache', async (t) => {
  const app = await setUp(t)
  const first = await app.inject('/api/products?sort=price&category=dairy&minPrice=10&maxPrice=30&limit=5')
  const reordered = await app.inject('/api/products?limit=5&maxPrice=30.00&minPrice=10.0&category=dairy&sort=price')
  t.equal(first.headers['x-cache'], 'MISS')
  t.equal(reordered.headers['x-cache'], 'HIT')
  t.equal(reordered.body, first.body)
  const defaults = await app.inject('/api/products')
  const explicit = await app.inject('/api/products?sort=id&limit=20')
  t.equal(defaults.headers['x-cache'], 'MISS')
  t.equal(explicit.headers['x-cache'], 'HIT', 'defaults are part of the normalised query')
})

test('a matching If-None-Match gets 304 without a body, on a HIT and on a MISS', async (t) => {
  const app = await setUp(t)
  const url = '/api/products?sort=createdAt&limit=3'
  const first = await app.inject(url)
  const etag = String(first.headers.etag)
  const notModified = await app.inject({ url, headers: { 'if-none-match': etag } })
  t.equal(notModified.statusCode, 304)
  t.equal(notModified.body, '')
  t.equal(notModified.headers.etag, etag)
  t.equal(notModified.headers['x-cache'], 'HIT')
  t.equal(notModified.headers['cache-control'], `public, max-age=${TTL}, stale-while-revalidate=${TTL}`)
  // A page this instance never served: the client got it elsewhere (here: an instance without
  // Redis). The same bytes have the same ETag, so even a MISS answers 304.
  const other = '/api/products?sort=createdAt&limit=4'
  const elsewhere = await build(t, { ...APP_SETTINGS, REDIS_URL: 'redis://127.0.0.1:1' })
  const theirs = await elsewhere.inject(other)
  t.equal(theirs.headers['x-cache'], 'BYPASS')
  const viaMiss = await app.inject({ url: other, headers: { 'if-none-match': String(theirs.headers.etag) } })
  t.equal(viaMiss.headers['x-cache'], 'MISS')
  t.equal(viaMiss.statusCode, 304)
  t.equal(viaMiss.body, '')
  const stale = await app.inject({ url, headers: { 'if-none-match': '"an-old-version"' } })
  t.equal(stale.statusCode, 200)
  t.equal(stale.body, first.body)
})

test('bumping the catalog version (as the seeder does) makes the next request a MISS with fresh data and a new ETag', async (t) => {
  const app = await setUp(t)
  const conn = await sql(t)
  const redis = redisClient(t)
  const url = '/api/products?limit=2'
  const before = await app.inject(url)
  t.equal((await app.inject(url)).headers['x-cache'], 'HIT')
  await conn.query('UPDATE products SET price = 1234.56 WHERE id = 1')
  t.equal((await app.inject(url)).body, before.body, 'a write without a bump is served from the cache until the TTL')
  await redis.incr(CATALOG_VERSION_KEY)
  const bumped = Date.now()
  // The contract's bound: within 1 s of the bump no instance serves the old page, whatever
  // tier held it (this process's memory may answer it until then).
  let after = await app.inject(url)
  while (after.body === before.body && Date.now() - bumped < 1000) after = await app.inject(url)
  t.comment(`the new page was served ${Date.now() - bumped} ms after the bump`)
  t.equal(after.headers['x-cache'], 'MISS')
  t.equal(after.json().data[0].price, 1234.56)
  t.not(after.headers.etag, before.headers.etag, 'new bytes, new ETag')
  t.equal((await app.inject(url)).headers['x-cache'], 'HIT')
})

test('concurrent identical misses run one database query', async (t) => {
  const app = await setUp(t)
  const url = '/api/products?category=eggs&sort=-createdAt&limit=25&minPrice=6'
  const before = await catalogQueries(app)
  const responses = await Promise.all(Array.from({ length: 30 }, async () => await app.inject(url)))
  t.equal(await catalogQueries(app) - before, 1, 'one query for 30 concurrent requests')
  t.ok(responses.every((r) => r.statusCode === 200 && r.body === responses[0].body))
  t.same(new Set(responses.map((r) => r.headers['x-cache'])), new Set(['MISS']))
  t.equal((await app.inject(url)).headers['x-cache'], 'HIT')
  t.equal(await catalogQueries(app) - before, 1)
})

test('with Redis down the catalog answers from MySQL with x-cache BYPASS, ETag and 304 still working', async (t) => {
  const conn = await sql(t)
  await seedProducts(conn, 200, 5)
  const app = await build(t, { ...APP_SETTINGS, REDIS_URL: 'redis://127.0.0.1:1' })
  const started = Date.now()
  const res = await app.inject('/api/products?limit=5&sort=price')
  t.equal(res.statusCode, 200)
  t.equal(res.headers['x-cache'], 'BYPASS')
  t.equal(res.json().data.length, 5)
  t.ok(Date.now() - started < 1000, `no wait on Redis (${Date.now() - started} ms)`)
  const again = await app.inject({ url: '/api/products?limit=5&sort=price', headers: { 'if-none-match': String(res.headers.etag) } })
  t.equal(again.statusCode, 304)
  t.equal(again.headers['x-cache'], 'BYPASS')
  const one = await app.inject('/api/products/3')
  t.equal(one.statusCode, 200)
})

test('with MySQL unreachable cached pages are still served and anything else is a 503 problem within the deadline', async (t) => {
  const app = await setUp(t)
  const url = '/api/products?category=bakery&limit=4'
  const cached = await app.inject(url)
  t.equal(cached.headers['x-cache'], 'MISS')
  // A second instance sharing Redis whose MySQL does not answer.
  const cut = await build(t, { ...APP_SETTINGS, CACHE_TTL_SECONDS: TTL, MYSQL_URL: 'mysql://root@127.0.0.1:1/nowhere', MYSQL_QUERY_TIMEOUT_MS: 500 })
  const hit = await cut.inject(url)
  t.equal(hit.statusCode, 200)
  t.equal(hit.headers['x-cache'], 'HIT')
  t.equal(hit.body, cached.body)
  for (const other of ['/api/products?category=bakery&limit=5', '/api/products/1']) {
    const started = Date.now()
    const res = await cut.inject(other)
    const elapsed = Date.now() - started
    t.equal(res.statusCode, 503, other)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.ok(res.headers['retry-after'], 'retry-after')
    t.equal(res.headers.etag, undefined)
    t.ok(elapsed < 1500, `${other}: answered within the deadline plus a little (${elapsed} ms)`)
  }
})

test('GET /metrics counts cache hits, misses and bypasses', async (t) => {
  const app = await setUp(t)
  await app.inject('/api/products?limit=1')
  await app.inject('/api/products?limit=1')
  await app.inject('/api/products?limit=1')
  const text = (await app.inject('/metrics')).body
  t.match(text, /products_cache_requests_total\{result="miss"\} 1\b/)
  t.match(text, /products_cache_requests_total\{result="hit"\} 2\b/)
  t.match(text, /products_cache_requests_total\{result="bypass"\} 0\b/)
})

test('compressed variants: br or gzip as accepted, an ETag each, Vary, the same JSON, and 304 per variant', async (t) => {
  const app = await setUp(t)
  const url = '/api/products?sort=price&limit=30'
  const plain = await app.inject(url)
  t.equal(plain.headers['content-encoding'], undefined, 'no accept-encoding: the bytes as before')
  t.equal(plain.headers.vary, 'accept-encoding')
  const br = await app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br' } })
  t.equal(br.headers['content-encoding'], 'br')
  t.equal(br.headers['x-cache'], 'HIT')
  t.equal(br.headers.vary, 'accept-encoding')
  t.equal(brotliDecompressSync(br.rawPayload).toString(), plain.body)
  t.equal(br.headers.etag, String(plain.headers.etag).replace(/"$/, '-br"'))
  t.ok(br.rawPayload.length < plain.rawPayload.length / 2, `${br.rawPayload.length} of ${plain.rawPayload.length} bytes`)
  const gzip = await app.inject({ url, headers: { 'accept-encoding': 'gzip' } })
  t.equal(gzip.headers['content-encoding'], 'gzip')
  t.equal(gunzipSync(gzip.rawPayload).toString(), plain.body)
  const refused = await app.inject({ url, headers: { 'accept-encoding': 'br;q=0, gzip;q=0' } })
  t.equal(refused.headers['content-encoding'], undefined)
  t.equal(refused.body, plain.body)

  const notModified = await app.inject({ url, headers: { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) } })
  t.equal(notModified.statusCode, 304)
  t.equal(notModified.headers.etag, br.headers.etag)
  const otherVariant = await app.inject({ url, headers: { 'accept-encoding': 'gzip', 'if-none-match': String(br.headers.etag) } })
  t.equal(otherVariant.statusCode, 200, 'the br validator does not validate the gzip bytes')
})

test('a compressed variant is stored with the page: another instance sends it without compressing', async (t) => {
  const app = await setUp(t)
  const url = '/api/products?sort=-createdAt&limit=40'
  const first = await app.inject({ url, headers: { 'accept-encoding': 'br' } })
  t.equal(first.headers['x-cache'], 'MISS')
  // A second instance on the same Redis: its first answer comes from Redis with the br bytes.
  const other = await build(t, { ...APP_SETTINGS, CACHE_TTL_SECONDS: TTL })
  const redis = redisClient(t)
  const deadline = Date.now() + 2000
  let stored: Buffer | null = null
  while (Date.now() < deadline) {
    // KEYS takes and answers full names; the client adds its prefix to the names it is given.
    const prefix = String(redis.options.keyPrefix ?? '')
    const keys = (await redis.keys(`${prefix}products:v2:*`)).map((k) => k.slice(prefix.length))
    const values = await Promise.all(keys.map(async (k) => await redis.getBuffer(k)))
    stored = values.find((v) => v !== null && v.includes(first.rawPayload)) ?? null
    if (stored !== null) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.ok(stored, 'the br bytes are in Redis beside the text')
  const fromRedis = await other.inject({ url, headers: { 'accept-encoding': 'br' } })
  t.equal(fromRedis.headers['x-cache'], 'HIT')
  t.equal(fromRedis.headers['x-cache-tier'], 'redis')
  t.same(fromRedis.rawPayload, first.rawPayload, 'the very bytes stored: not compressed again')
  t.equal(fromRedis.headers.etag, first.headers.etag)
})
