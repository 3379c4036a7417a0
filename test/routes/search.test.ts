import { test } from 'tap'
import fc from 'fast-check'
import type mysql from 'mysql2/promise'
import { ALL_SORTS, type Sort } from '../../src/schemas/product.js'
import { STOP_WORDS } from '../../src/lib/search-words.js'
import { recountCategories, seedCatalog, bumpCatalogVersion } from '../../seed/seeder.js'
import { build, flushPrefix, sql, MYSQL_BASE, REDIS_BASE, TEST_DB, TEST_REDIS_PREFIX } from '../helper.js'
import { APP_SETTINGS, random, walk, type FixtureRow } from './products-fixture.js'

const DB_URL = `${MYSQL_BASE}/${TEST_DB}`
const CATEGORIES = ['vegetables', 'fruits', 'dairy', 'bakery']
/** Words names are built from: prefixes of each other, stop words, short words, mixed case. */
const WORDS = ['Organic', 'Fresh', 'Tomatoes', 'Tomato', 'Tom', 'Tomatillo', 'Potatoes', 'Onions', 'Basmati', 'Rice',
  'Brown', 'the', 'with', 'of', 'A2', 'Milk', '1kg', '500g', 'Coorg', 'Farm-Fresh', 'Omega-3', 'Organically']
/** A prefix that many different words start with. */
const WIDE = Array.from({ length: 36 }, (_, i) => `Zest${String(i).padStart(3, '0')}`)

async function arrange (conn: mysql.Connection, count: number, seed: number): Promise<void> {
  const next = random(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]
  await conn.query('DELETE FROM products')
  await conn.query('ALTER TABLE products AUTO_INCREMENT = 1')
  const rows: Array<[string, string, string, number, string]> = []
  for (let i = 0; i < count; i++) {
    const words = Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(WORDS))
    if (next() < 0.1) words.push(pick(WIDE))
    const cents = 500 + Math.floor(next() * 60) * 97
    const created = new Date(Date.UTC(2024, 0, 1) + Math.floor(next() * 50) * 3_600_007).toISOString()
    rows.push([words.join(' '), pick(CATEGORIES), (cents / 100).toFixed(2), 1, created.replace('T', ' ').replace('Z', '')])
  }
  await conn.query('INSERT INTO products (name, category, price, stock, created_at) VALUES ?', [rows])
  await recountCategories({ url: DB_URL })
}

interface Filters { category?: string, minPrice?: string, maxPrice?: string }

/** The oracle's reading of q, written independently of the service's parser. */
function oracleTerms (q: string): Array<{ word: string, prefix: boolean }> {
  const tokens = q.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== '')
  return tokens.flatMap((w, i) => w.length >= 3 && !STOP_WORDS.has(w) ? [{ word: w, prefix: i === tokens.length - 1 }] : [])
}

/** Every matching row by REGEXP over the names (whole words; the last word also as a prefix), in the sort's order. */
async function oracle (conn: mysql.Connection, q: string, filters: Filters, sort: Sort): Promise<FixtureRow[]> {
  const where: string[] = []
  const params: Array<string | number> = []
  for (const t of oracleTerms(q)) {
    where.push('name REGEXP ?')
    params.push(t.prefix ? `(^|[^[:alnum:]])${t.word}` : `(^|[^[:alnum:]])${t.word}([^[:alnum:]]|$)`)
  }
  if (filters.category !== undefined) { where.push('category = ?'); params.push(filters.category) }
  if (filters.minPrice !== undefined) { where.push('price >= ?'); params.push(Number(filters.minPrice)) }
  if (filters.maxPrice !== undefined) { where.push('price <= ?'); params.push(Number(filters.maxPrice)) }
  // Relevance is the engine's score (in millionths, rounded): read for the rows REGEXP selected.
  const against = oracleTerms(q).map((x) => `+${x.word}${x.prefix ? '*' : ''}`).join(' ')
  const [rows] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT id, name, category, price, stock, created_at, ROUND(MATCH(name) AGAINST(? IN BOOLEAN MODE) * 1000000) AS score
     FROM products WHERE ${where.join(' AND ')}`, [against, ...params])
  const score = new Map(rows.map((r) => [Number(r.id), Number(r.score)]))
  const out: FixtureRow[] = rows.map((r) => ({
    id: Number(r.id), name: r.name, category: r.category, price: Number(r.price), stock: Number(r.stock), createdAt: (r.created_at as Date).toISOString()
  }))
  const desc = sort.startsWith('-') ? -1 : 1
  const key = (p: FixtureRow): number | string => {
    switch (sort.replace('-', '')) {
      case 'price': return p.price
      case 'createdAt': return p.createdAt
      case 'relevance': return -(score.get(p.id) ?? 0) // best first
      default: return p.id
    }
  }
  return out.sort((a, b) => {
    const ka = key(a)
    const kb = key(b)
    if (ka !== kb) return (ka < kb ? -1 : 1) * desc
    // Ties by id in the sort's direction; relevance ties by id ascending.
    return (a.id - b.id) * desc
  })
}

const QUERIES = ['organic', 'tom', 'Organic TOM', 'fresh tomatoes', 'tomato', 'the organic', 'tomatoes, fresh!', 'zest',
  'organic zest', 'zest001 rice', 'farm fresh', 'omega', 'a2 milk', 'coorg 1kg', 'nothingmatches', 'organic nothingmatches']
const FILTERS: Filters[] = [{}, { category: 'fruits' }, { minPrice: '20', maxPrice: '40.5' }, { category: 'dairy', maxPrice: '30' }]

test('search pages equal a REGEXP oracle for every sort and filter, and a full walk visits every match once', async (t) => {
  await flushPrefix()
  const conn = await sql(t)
  await arrange(conn, 900, 7)
  const app = await build(t, APP_SETTINGS)
  let n = 0
  for (const q of QUERIES) {
    for (const sort of ALL_SORTS) {
      const filters = FILTERS[n++ % FILTERS.length]
      const expected = await oracle(conn, q, filters, sort)
      const limit = [7, 20, 13][n % 3]
      const pages = await walk(app, { q, ...filters, sort, limit })
      const seen = pages.flatMap((p) => p.data)
      const label = `q=${JSON.stringify(q)} ${JSON.stringify(filters)} sort=${sort} (${expected.length} rows)`
      t.same(seen.map((p) => p.id), expected.map((p) => p.id), `${label}: same rows in the same order`)
      t.same(seen, expected, `${label}: same products`)
      t.equal(new Set(seen.map((p) => p.id)).size, seen.length, `${label}: no row twice`)
    }
  }
  t.ok(n > 100)
})

test('relevance is the default with q: best score first, ties by id ascending; its cursors end with the catalog version', async (t) => {
  await flushPrefix()
  const conn = await sql(t)
  await arrange(conn, 400, 11)
  const app = await build(t, APP_SETTINGS)
  for (const q of ['organic', 'fresh tom', 'zest']) {
    const pages = await walk(app, { q, limit: 9 })
    const seen = pages.flatMap((p) => p.data)
    t.ok(seen.length > 20, `q=${q}: ${seen.length} matches`)
    const expected = await oracle(conn, q, {}, 'relevance')
    t.same(seen.map((p) => p.id), expected.map((p) => p.id), `q=${q}: the engine's order, every match once`)
    t.ok(new Set(expected.map((p) => p.id)).size > 1, 'more than one match')
  }
  // The scores differ (names repeat words; a prefix matches words of different rarity).
  const against = '+fresh +tom*'
  const [ranks] = await conn.query<mysql.RowDataPacket[]>(
    'SELECT COUNT(DISTINCT ROUND(MATCH(name) AGAINST(? IN BOOLEAN MODE) * 1000000)) AS n FROM products WHERE MATCH(name) AGAINST(? IN BOOLEAN MODE)', [against, against])
  t.ok(Number(ranks[0].n) > 1, `${String(ranks[0].n)} distinct ranks: the order is more than ids`)
})

test('a relevance cursor from before a catalog change is a 400 that says to start again; id cursors carry on', async (t) => {
  await flushPrefix()
  const conn = await sql(t)
  await arrange(conn, 300, 13)
  const app = await build(t, APP_SETTINGS)
  const byRank = (await app.inject('/api/products?q=organic&limit=3')).json() as { nextCursor: string }
  const byId = (await app.inject('/api/products?q=organic&sort=id&limit=3')).json() as { nextCursor: string }
  const version = Number(Buffer.from(byRank.nextCursor, 'base64url').toString().split('|')[2].split('~')[1])
  t.equal((await app.inject(`/api/products?q=organic&limit=3&cursor=${byRank.nextCursor}`)).statusCode, 200, 'good while the catalog is unchanged')

  await conn.query("INSERT INTO products (name, category, price, stock) VALUES ('Organic Organic Organic Zest', 'fruits', 9.99, 1)")
  const bumped = await bumpCatalogVersion(REDIS_BASE, TEST_REDIS_PREFIX)
  t.ok(bumped > version, `the catalog version moved (${version} → ${bumped})`)
  // Within the contract's 1 s every instance reads the new version.
  const until = Date.now() + 1500
  let stale = await app.inject(`/api/products?q=organic&limit=3&cursor=${byRank.nextCursor}`)
  while (stale.statusCode === 200 && Date.now() < until) stale = await app.inject(`/api/products?q=organic&limit=3&cursor=${byRank.nextCursor}`)
  t.equal(stale.statusCode, 400)
  t.match(stale.json().detail, /catalog has changed.*start again from the first page/)
  const first = (await app.inject('/api/products?q=organic&limit=3')).json() as { nextCursor: string }
  t.match(Buffer.from(first.nextCursor, 'base64url').toString(), new RegExp(`~${bumped}\\|`), 'new cursors carry the new version')
  const next = await app.inject(`/api/products?q=organic&sort=id&limit=3&cursor=${byId.nextCursor}`)
  t.equal(next.statusCode, 200, 'an id cursor stays good: its position does not depend on scores')
})

test('bad searches are 400 problems that name the problem', async (t) => {
  await flushPrefix()
  const conn = await sql(t)
  await arrange(conn, 100, 3)
  const app = await build(t, APP_SETTINGS)
  const first = (await app.inject('/api/products?q=organic&limit=2')).json() as { nextCursor: string }
  const cases: Array<[string, RegExp]> = [
    ['/api/products?q=', /q/],
    [`/api/products?q=${'a'.repeat(101)}`, /q/],
    ['/api/products?q=a%20to%20of%20the', /no word to search for/],
    ['/api/products?q=%20%20', /no word to search for/],
    ['/api/products?sort=relevance', /relevance needs a search/],
    [`/api/products?q=fresh&cursor=${first.nextCursor}`, /other filters/],
    [`/api/products?q=organic&sort=price&cursor=${first.nextCursor}`, /sort=relevance/],
    [`/api/products?cursor=${first.nextCursor}`, /sort=relevance/],
    ['/api/categories?q=the', /no word to search for/],
    ['/api/categories?minPrice=5&maxPrice=1', /minPrice/],
    ['/api/categories?minPrice=-1', /minPrice/]
  ]
  for (const [url, detail] of cases) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 400, url)
    t.match(res.headers['content-type'], /application\/problem\+json/, url)
    t.match(res.json().detail, detail, url)
  }
  const again = await app.inject(`/api/products?q=${encodeURIComponent('ORGANIC!')}&cursor=${first.nextCursor}`)
  t.equal(again.statusCode, 200, 'a cursor follows the same search spelled differently')
})

test('search pages are cached like product pages: MISS, HIT, 304', async (t) => {
  await flushPrefix()
  const conn = await sql(t)
  await arrange(conn, 200, 5)
  const app = await build(t, APP_SETTINGS)
  const url = '/api/products?q=organic%20tom&sort=price&limit=5'
  const miss = await app.inject(url)
  t.equal(miss.headers['x-cache'], 'MISS')
  const hit = await app.inject('/api/products?limit=5&sort=price&q=ORGANIC%20%20Tom')
  t.equal(hit.headers['x-cache'], 'HIT', 'the same search spelled differently is the same page')
  t.equal(hit.body, miss.body)
  t.equal(hit.headers.etag, miss.headers.etag)
  t.match(hit.headers['cache-control'], /public, max-age=\d+/)
  const fresh = await app.inject({ url, headers: { 'if-none-match': String(miss.headers.etag) } })
  t.equal(fresh.statusCode, 304)
  t.equal(fresh.body, '')
  const other = await app.inject('/api/products?q=organic%20tomatoes&sort=price&limit=5')
  t.equal(other.headers['x-cache'], 'MISS', 'another search is another page')
})

async function groupBy (conn: mysql.Connection, where = '1=1', params: Array<string | number> = []): Promise<Array<{ category: string, count: number }>> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT category, COUNT(*) AS count FROM products WHERE ${where} GROUP BY category ORDER BY category`, params)
  return rows.map((r) => ({ category: r.category, count: Number(r.count) }))
}

test('GET /api/categories counts equal GROUP BY, with and without q and prices, cached under the catalog version', async (t) => {
  await flushPrefix()
  const conn = await sql(t)
  await seedCatalog({ url: DB_URL }, { count: 3000, reset: true, seed: 'facets' })
  const app = await build(t, APP_SETTINGS)

  const all = await app.inject('/api/categories')
  t.equal(all.statusCode, 200)
  t.equal(all.headers['x-cache'], 'MISS')
  t.same(all.json().data, await groupBy(conn), 'unfiltered counts')
  const again = await app.inject('/api/categories')
  t.equal(again.headers['x-cache'], 'HIT')
  t.equal(again.body, all.body)
  const notModified = await app.inject({ url: '/api/categories', headers: { 'if-none-match': String(all.headers.etag) } })
  t.equal(notModified.statusCode, 304)
  t.match(notModified.headers['cache-control'], /max-age/)

  const priced = await app.inject('/api/categories?minPrice=50&maxPrice=300.5')
  t.same(priced.json().data, await groupBy(conn, 'price >= ? AND price <= ?', [50, 300.5]), 'price range')

  for (const q of ['organic', 'fresh tom', 'premium', 'coorg', 'rice', 'zzzz']) {
    const terms = oracleTerms(q)
    const where = terms.map(() => 'name REGEXP ?').join(' AND ')
    const params = terms.map((x) => x.prefix ? `(^|[^[:alnum:]])${x.word}` : `(^|[^[:alnum:]])${x.word}([^[:alnum:]]|$)`)
    const res = await app.inject(`/api/categories?q=${encodeURIComponent(q)}&maxPrice=400`)
    t.same(res.json().data, await groupBy(conn, `${where} AND price <= ?`, [...params, 400]), `q=${q} maxPrice=400`)
  }

  // A reseed changes the counts; the version bump drops the cached ones.
  await seedCatalog({ url: DB_URL }, { count: 1000, seed: 'more' })
  await bumpCatalogVersion(REDIS_BASE, TEST_REDIS_PREFIX)
  const bumped = Date.now()
  // The contract's bound: within 1 s of the bump the old counts are no longer served (this
  // process's memory tier may answer them until then).
  let after = await app.inject('/api/categories')
  while (after.body === all.body && Date.now() - bumped < 1000) after = await app.inject('/api/categories')
  t.equal(after.headers['x-cache'], 'MISS')
  t.same(after.json().data, await groupBy(conn), 'counts after appending 1,000 products')
  t.not(after.body, all.body)
  t.equal((after.json().data as Array<{ count: number }>).reduce((n, c) => n + c.count, 0), 4000)
  const search = (await walk(app, { q: 'organic', sort: 'id', limit: 100 })).flatMap((p) => p.data)
  t.same(search.map((p) => p.id), (await oracle(conn, 'organic', {}, 'id')).map((p) => p.id), 'appended products are searchable')
  const products = await app.inject('/api/products?q=coorg&limit=5')
  t.equal(products.statusCode, 200)
})

test('random searches never answer 5xx', async (t) => {
  await flushPrefix()
  const conn = await sql(t)
  await arrange(conn, 150, 9)
  const app = await build(t, APP_SETTINGS)
  const text = fc.string({ unit: fc.constantFrom('a', 'o', 't', 'm', 'z', ' ', '%', '_', '\\', '*', '"', '+', '-', '(', ')', '~', '@', '\'', 'é', '1', '日'), maxLength: 40 })
  const word = fc.constantFrom(...WORDS, ...WIDE.slice(0, 3), 'org', 'toma', 'zest0')
  const q = fc.oneof(text, fc.array(word, { minLength: 1, maxLength: 4 }).map((w) => w.join(' ')), fc.string({ maxLength: 120 }))
  await fc.assert(fc.asyncProperty(q, fc.constantFrom<Sort | undefined>(undefined, ...ALL_SORTS), fc.boolean(), async (query, sort, categories) => {
    const params = new URLSearchParams({ q: query, ...(sort !== undefined ? { sort } : {}) })
    const res = await app.inject(`/api/${categories ? 'categories' : 'products'}?${params.toString()}`)
    return res.statusCode < 500
  }), { numRuns: 300 })
  t.pass('no 5xx')
})
