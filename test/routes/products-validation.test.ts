import { test, type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { encodeCursor, filterDigest } from '../../src/lib/cursor.js'
import { build, flushPrefix, redisClient, sql, TEST_REDIS_PREFIX } from '../helper.js'
import { APP_SETTINGS, seedProducts, catalogQueries } from './products-fixture.js'

async function setUp (t: Test): Promise<FastifyInstance> {
  const conn = await sql(t)
  await seedProducts(conn, 300, 3)
  await flushPrefix()
  return await build(t, APP_SETTINGS)
}

/** Asserts a 400 problem whose detail matches, and that it was not cached or validated. */
async function expect400 (t: Test, app: FastifyInstance, url: string, detail: RegExp): Promise<void> {
  const res = await app.inject(url)
  t.equal(res.statusCode, 400, url)
  t.match(res.headers['content-type'], /^application\/problem\+json/, url)
  const body = res.json()
  t.match(body, { type: String, title: 'Bad Request', status: 400, detail }, url)
  t.notMatch(res.body, /SELECT|products WHERE|at .*\.ts/, `${url}: no SQL, no stack`)
  t.equal(res.headers.etag, undefined, `${url}: no ETag on a problem`)
  t.equal(res.headers['x-cache'], undefined, `${url}: refused before the cache`)
}

const validCursor = (sort: string, filters: Record<string, string>): string => {
  const value = sort.includes('price') ? '10.00' : sort.includes('createdAt') ? '2024-01-01T00:00:00.000Z' : null
  return encodeCursor({ sort: sort as 'id', value, id: 5, digest: filterDigest(sort as 'id', filters) })
}

test('GET /api/products answers 400 for every bad limit', async (t) => {
  const app = await setUp(t)
  for (const limit of ['0', '101', '-1', '1.5', 'abc', '', '1e400', 'Infinity', '20&limit=30']) {
    await expect400(t, app, `/api/products?limit=${limit}`, /^querystring\/limit /)
  }
})

test('GET /api/products answers 400 for an unknown sort, naming the allowed ones', async (t) => {
  const app = await setUp(t)
  for (const sort of ['name', 'ID', '', '+price', 'price,id', '-']) {
    await expect400(t, app, `/api/products?sort=${encodeURIComponent(sort)}`, /^querystring\/sort must be equal to one of the allowed values: id, -id, price, -price, createdAt, -createdAt/)
  }
})

test('GET /api/products answers 400 for negative, non-numeric or exotic prices', async (t) => {
  const app = await setUp(t)
  for (const name of ['minPrice', 'maxPrice']) {
    await expect400(t, app, `/api/products?${name}=-1`, new RegExp(`^querystring/${name} must be >= 0`))
    await expect400(t, app, `/api/products?${name}=-0.5`, new RegExp(`^querystring/${name} must be >= 0`))
    for (const bad of ['abc', '1e3', '0x10', '%2B5', '%205', 'Infinity', 'NaN', '1.2.3', '', '1,5']) {
      await expect400(t, app, `/api/products?${name}=${bad}`, new RegExp(`^querystring/${name} must be a plain decimal number`))
    }
    await expect400(t, app, `/api/products?${name}=${'9'.repeat(40)}`, new RegExp(`^querystring/${name} must NOT have more than 32 characters`))
  }
})

test('GET /api/products answers 400 when minPrice > maxPrice', async (t) => {
  const app = await setUp(t)
  await expect400(t, app, '/api/products?minPrice=20&maxPrice=10', /^querystring\/minPrice must be <= maxPrice/)
  await expect400(t, app, '/api/products?minPrice=10.001&maxPrice=10', /^querystring\/minPrice must be <= maxPrice/)
  const equal = await app.inject('/api/products?minPrice=10&maxPrice=10.00')
  t.equal(equal.statusCode, 200, 'equal bounds are a valid (narrow) range')
})

test('GET /api/products answers 400 for a malformed cursor', async (t) => {
  const app = await setUp(t)
  const good = validCursor('id', {})
  for (const bad of ['abc', '%25%25%25', good.slice(0, -2), good + 'A', Buffer.from('1|id||5|short').toString('base64url'), 'x'.repeat(513), '']) {
    await expect400(t, app, `/api/products?cursor=${bad}`, /cursor/)
  }
})

test('GET /api/products answers 400 for a cursor issued for another sort', async (t) => {
  const app = await setUp(t)
  const first = (await app.inject('/api/products?sort=price&limit=5')).json()
  await expect400(t, app, `/api/products?sort=-price&limit=5&cursor=${first.nextCursor}`, /issued for sort=price, not sort=-price/)
  await expect400(t, app, `/api/products?limit=5&cursor=${first.nextCursor}`, /issued for sort=price, not sort=id/)
})

test('GET /api/products answers 400 for a cursor issued for other filters', async (t) => {
  const app = await setUp(t)
  const first = (await app.inject('/api/products?sort=-createdAt&category=fruits&minPrice=5&limit=5')).json()
  t.type(first.nextCursor, 'string')
  const cursor = first.nextCursor as string
  for (const filters of ['category=dairy&minPrice=5', 'minPrice=5', 'category=fruits', 'category=fruits&minPrice=5.01', 'category=fruits&minPrice=5&maxPrice=100', 'category=Fruits&minPrice=5']) {
    await expect400(t, app, `/api/products?sort=-createdAt&${filters}&cursor=${cursor}`, /issued for other filters/)
  }
  // The same listing, spelled differently and with another page size, accepts it.
  const next = await app.inject(`/api/products?limit=7&minPrice=5.00&category=fruits&sort=-createdAt&cursor=${cursor}`)
  t.equal(next.statusCode, 200)
  t.equal(next.json().data.length, 7)
})

test('unknown query parameters are ignored and do not split the cache', async (t) => {
  const app = await setUp(t)
  const plain = await app.inject('/api/products?limit=3&sort=price')
  const extra = await app.inject('/api/products?limit=3&utm_source=mail&sort=price&page=9&fields=name')
  t.equal(plain.statusCode, 200)
  t.equal(extra.statusCode, 200)
  t.equal(extra.body, plain.body)
  t.equal(extra.headers['x-cache'], 'HIT', 'the same page as without them')
})

test('refused requests change nothing: no query, no cache entry', async (t) => {
  const app = await setUp(t)
  const redis = redisClient(t)
  const before = await catalogQueries(app)
  const keysBefore = await redis.keys(`${TEST_REDIS_PREFIX}products:*`)
  for (const url of ['/api/products?limit=0', '/api/products?minPrice=x', '/api/products?cursor=zzz', '/api/products?minPrice=3&maxPrice=2']) {
    t.equal((await app.inject(url)).statusCode, 400, url)
  }
  t.equal(await catalogQueries(app), before, 'no database query')
  t.same(await redis.keys(`${TEST_REDIS_PREFIX}products:*`), keysBefore, 'no cache entry')
})

test('GET /api/products/:id returns the product with an ETag, 304 on a match', async (t) => {
  const app = await setUp(t)
  const conn = await sql(t)
  const res = await app.inject('/api/products/17')
  t.equal(res.statusCode, 200)
  const [[row]] = await conn.query<Array<import('mysql2/promise').RowDataPacket>>('SELECT * FROM products WHERE id = 17')
  t.same(res.json(), {
    id: 17,
    name: row.name,
    category: row.category,
    price: Number(row.price),
    stock: row.stock,
    createdAt: (row.created_at as Date).toISOString()
  })
  t.match(res.headers.etag, /^"[A-Za-z0-9_-]{22}"$/)
  t.match(res.headers['cache-control'], /^public, max-age=\d+, stale-while-revalidate=\d+$/)
  const again = await app.inject({ url: '/api/products/17', headers: { 'if-none-match': String(res.headers.etag) } })
  t.equal(again.statusCode, 304)
  t.equal(again.body, '')
})

test('GET /api/products/:id answers 404 for an absent product and 400 for an id that is not a positive integer', async (t) => {
  const app = await setUp(t)
  const missing = await app.inject('/api/products/999999')
  t.equal(missing.statusCode, 404)
  t.match(missing.headers['content-type'], /^application\/problem\+json/)
  t.match(missing.json(), { status: 404, detail: 'No product with id 999999' })
  for (const id of ['0', '-1', 'abc', '1.5', '9007199254740993', '1e400', 'Infinity']) {
    const res = await app.inject(`/api/products/${id}`)
    t.equal(res.statusCode, 400, id)
    t.match(res.json(), { status: 400, detail: /^params\/id / }, id)
  }
})
