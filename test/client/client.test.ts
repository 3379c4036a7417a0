import { test } from 'tap'
import type { AddressInfo } from 'node:net'
import type mysql from 'mysql2/promise'
import { setTimeout as sleep } from 'node:timers/promises'
import { allProducts, createFarmLokalClient, type FarmLokalClient } from '../../client/index.js'
import { seedProducts, APP_SETTINGS } from '../routes/products-fixture.js'
import { recountCategories } from '../../seed/category-counts.js'
import { build, sql, MYSQL_BASE, TEST_DB } from '../helper.js'

/**
 * On a busy machine a fresh app's first event-loop sample can exceed the shedding threshold,
 * and requests are answered 503 until the next sample (1 s later). Waits that out through
 * /ready (which is shed like the API), at most 10 s.
 */
async function settled (api: FarmLokalClient): Promise<void> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const { response } = await api.GET('/ready')
    if (response.status === 200) return
    await sleep(250)
  }
  throw new Error('the service still sheds requests after 10 s')
}

test('the typed client drives the running service: list, next page, one product, a webhook, the order', async (t) => {
  const conn = await sql(t)
  const app = await build(t, APP_SETTINGS)
  await seedProducts(conn, 25, 17)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const api = createFarmLokalClient({ baseUrl: `http://127.0.0.1:${port}` })
  await settled(api)

  const first = await api.GET('/api/products', { params: { query: { limit: 10, sort: 'price' } } })
  if (first.data === undefined) throw new Error(`no first page: ${first.response.status} ${JSON.stringify(first.error)}`)
  t.equal(first.data.data.length, 10)
  t.type(first.data.nextCursor, 'string')
  t.match(first.response.headers.get('x-cache'), /^(HIT|MISS|BYPASS)$/)
  t.ok(first.response.headers.get('etag'), 'the etag is readable through the client')
  t.match(first.response.headers.get('ratelimit-policy'), /^"default";q=\d+;w=\d+$/, 'so is RateLimit-Policy')
  t.match(first.response.headers.get('ratelimit'), /^"default";r=\d+;t=\d+$/, 'and RateLimit')

  const second = await api.GET('/api/products', { params: { query: { limit: 10, sort: 'price', cursor: first.data.nextCursor ?? undefined } } })
  if (second.data === undefined) throw new Error('no second page')
  t.equal(second.data.data.length, 10)
  const prices = [...first.data.data, ...second.data.data].map((p) => p.price)
  t.same(prices, [...prices].sort((a, b) => a - b), 'the second page continues the first in price order')
  t.equal(new Set([...first.data.data, ...second.data.data].map((p) => p.id)).size, 20, 'no product twice')

  const all = []
  for await (const product of allProducts(api, { limit: 7 })) all.push(product.id)
  t.same(all, Array.from({ length: 25 }, (_, i) => i + 1), 'allProducts follows nextCursor to the last page')

  const id = second.data.data[0].id
  const one = await api.GET('/api/products/{id}', { params: { path: { id } } })
  t.same(one.data, second.data.data[0], 'the product by id is the one on the page')
  const missing = await api.GET('/api/products/{id}', { params: { path: { id: 999_999 } } })
  t.equal(missing.response.status, 404)
  t.equal(missing.error?.status, 404, 'errors come back as typed problems')

  const bad = await api.GET('/api/products', { params: { query: { limit: 1000 } } })
  t.equal(bad.response.status, 400)
  t.match(bad.error?.detail, /limit/)

  const event = { event_id: `evt_client_${Date.now()}`, order_id: 'ord_client_1', status: 'shipped', occurred_at: '2025-03-01T10:00:00.000Z' }
  const sent = await api.POST('/webhook/order-update', { body: event })
  t.same(sent.data, { received: true, duplicate: false })
  const again = await api.POST('/webhook/order-update', { body: event })
  t.same(again.data, { received: true, duplicate: true })

  const order = await api.GET('/api/orders/{orderId}', { params: { path: { orderId: 'ord_client_1' } } })
  t.equal(order.data?.status, 'shipped')
  t.same(order.data?.history.map((h) => h.eventId), [event.event_id])
})

/** Names the search test finds by word and by prefix, with categories and prices of their own. */
const SEARCHABLE: Array<[string, string, string]> = [
  ['Organic Tomatoes 1kg', 'vegetables', '40.00'],
  ['Organic Cherry Tomatoes', 'vegetables', '55.00'],
  ['Fresh Tomato Ketchup with Organic Tomatoes', 'condiments', '120.00'],
  ['Organic Tomatillo', 'vegetables', '80.00'],
  ['Organic Basmati Rice', 'grains', '150.00'],
  ['Brown Rice', 'grains', '90.00'],
  ['A2 Cow Milk', 'dairy', '70.00'],
  ['Organic Alphonso Mangoes', 'fruits', '300.00'],
  ['Organic Tomato Puree', 'condiments', '65.00'],
  ['Organic Toor Dal', 'pulses', '140.00']
]

test('the typed client searches: q with sort=relevance, the next page of a search, and the categories with and without q', async (t) => {
  const conn = await sql(t)
  const app = await build(t, APP_SETTINGS)
  await conn.query('DELETE FROM products')
  await conn.query('ALTER TABLE products AUTO_INCREMENT = 1')
  await conn.query('INSERT INTO products (name, category, price, stock, created_at) VALUES ?',
    [SEARCHABLE.map(([name, category, price], i) => [name, category, price, 5, `2025-01-0${1 + (i % 9)} 10:00:00`])])
  await recountCategories({ url: `${MYSQL_BASE}/${TEST_DB}` })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const api = createFarmLokalClient({ baseUrl: `http://127.0.0.1:${port}` })
  await settled(api)

  // 'organic tom': every name with the word "organic" and a word starting with "tom".
  const expected = ['Organic Tomatoes 1kg', 'Organic Cherry Tomatoes', 'Fresh Tomato Ketchup with Organic Tomatoes', 'Organic Tomatillo', 'Organic Tomato Puree']
  const first = await api.GET('/api/products', { params: { query: { q: 'organic tom', sort: 'relevance', limit: 3 } } })
  if (first.data === undefined) throw new Error(`no search page: ${first.response.status} ${JSON.stringify(first.error)}`)
  t.equal(first.data.data.length, 3)
  t.type(first.data.nextCursor, 'string', 'a search with more matches has a next page')
  const second = await api.GET('/api/products', { params: { query: { q: 'organic tom', sort: 'relevance', limit: 3, cursor: first.data.nextCursor ?? undefined } } })
  if (second.data === undefined) throw new Error(`no second search page: ${second.response.status} ${JSON.stringify(second.error)}`)
  t.equal(second.data.nextCursor, null, 'the second page is the last')
  const found = [...first.data.data, ...second.data.data]
  t.same(found.map((p) => p.name).sort(), [...expected].sort(), 'both pages hold every match once, and nothing else')
  // Relevance: the engine's full-text score, best first, ties by id ascending.
  const [ranked] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT id FROM products WHERE MATCH(name) AGAINST('+organic +tom*' IN BOOLEAN MODE)
      ORDER BY ROUND(MATCH(name) AGAINST('+organic +tom*' IN BOOLEAN MODE) * 1000000) DESC, id ASC`)
  t.same(found.map((p) => p.id), ranked.map((r) => Number(r.id)), 'best matches first, ties by id')

  const defaulted = await api.GET('/api/products', { params: { query: { q: 'organic tom', limit: 3 } } })
  t.same(defaulted.data?.data, first.data.data, 'relevance is the default sort with q')
  const noQuery = await api.GET('/api/products', { params: { query: { sort: 'relevance' } } })
  t.equal(noQuery.response.status, 400, 'relevance without q is a 400')
  t.match(noQuery.error?.detail, /relevance|q/)
  const reused = await api.GET('/api/products', { params: { query: { q: 'rice', cursor: first.data.nextCursor ?? undefined } } })
  t.equal(reused.response.status, 400, 'a cursor is bound to its q')

  const all = await api.GET('/api/categories')
  if (all.data === undefined) throw new Error(`no categories: ${all.response.status} ${JSON.stringify(all.error)}`)
  t.same(all.data.data, [
    { category: 'condiments', count: 2 },
    { category: 'dairy', count: 1 },
    { category: 'fruits', count: 1 },
    { category: 'grains', count: 2 },
    { category: 'pulses', count: 1 },
    { category: 'vegetables', count: 3 }
  ], 'every category with its count')
  t.match(all.response.headers.get('x-cache'), /^(HIT|MISS|BYPASS)$/)
  const searched = await api.GET('/api/categories', { params: { query: { q: 'organic tom' } } })
  t.same(searched.data?.data, [{ category: 'condiments', count: 2 }, { category: 'vegetables', count: 3 }], 'the categories of the matches only')
  const rice = await api.GET('/api/categories', { params: { query: { q: 'rice', minPrice: '100' } } })
  t.same(rice.data?.data, [{ category: 'grains', count: 1 }], 'q combines with a price range')
  const empty = await api.GET('/api/categories', { params: { query: { q: 'to' } } })
  t.equal(empty.response.status, 400, 'a q with no word left is a 400')
  t.equal(empty.error?.status, 400)
})
