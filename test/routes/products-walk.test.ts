import { test } from 'tap'
import type mysql from 'mysql2/promise'
import { SORTS, type Sort } from '../../src/schemas/product.js'
import { buildPageStatement, INDEX_PLAN, normaliseListQuery } from '../../src/lib/keyset.js'
import { encodeCursor } from '../../src/lib/cursor.js'
import { build, flushPrefix, sql } from '../helper.js'
import { APP_SETTINGS, expectedRows, insertProduct, seedProducts, walk, type Filters, type FixtureRow } from './products-fixture.js'

const COUNT = 3000

const FILTER_SETS: Filters[] = [
  {},
  { category: 'fruits' },
  { minPrice: '20' },
  { maxPrice: '12.5' },
  { minPrice: '10.001', maxPrice: '30.999' },
  { category: 'dairy', minPrice: '9.98', maxPrice: '25' },
  { category: 'eggs', maxPrice: '15' },
  { category: 'nothing-here' },
  { minPrice: '29.99', maxPrice: '30.00' }
]

test('following nextCursor visits every matching row exactly once, in the order of a plain ORDER BY, for every sort and filter', async (t) => {
  await flushPrefix()
  const conn = await sql(t)
  await seedProducts(conn, COUNT)
  const app = await build(t, APP_SETTINGS)
  let limitIndex = 0
  const limits = [97, 100, 33, 64, 21, 50]
  for (const filters of FILTER_SETS) {
    for (const sort of SORTS) {
      const limit = limits[limitIndex++ % limits.length]
      const expected = await expectedRows(conn, filters, sort)
      const pages = await walk(app, { ...filters, sort, limit })
      const label = `${JSON.stringify(filters)} sort=${sort} limit=${limit} (${expected.length} rows)`
      const seen = pages.flatMap((p) => p.data)
      t.same(seen, expected, label)
      t.equal(pages.length, Math.max(1, Math.ceil(expected.length / limit)), `${label}: no empty trailing page`)
      t.ok(pages.every((p, i) => i === pages.length - 1 ? p.nextCursor === null : p.data.length === limit && p.nextCursor !== null), `${label}: full pages until the last`)
    }
  }
})

test('ties on price and createdAt are broken by id at every page boundary, even with one row per page', async (t) => {
  const conn = await sql(t)
  const app = await build(t, APP_SETTINGS)
  // Find the most repeated price in one category: a long run of equal sort values.
  const [[run]] = await conn.query<mysql.RowDataPacket[]>(
    'SELECT category, price, COUNT(*) AS n FROM products GROUP BY category, price ORDER BY n DESC, category, price LIMIT 1')
  t.ok(Number(run.n) >= 3, `a tie of ${run.n} rows on ${run.category} ${run.price}`)
  const price = Number(run.price).toFixed(2)
  const filters = { category: String(run.category), minPrice: price, maxPrice: price }
  for (const sort of ['price', '-price'] as Sort[]) {
    for (const limit of [1, 2]) {
      const pages = await walk(app, { ...filters, sort, limit })
      t.same(pages.flatMap((p) => p.data), await expectedRows(conn, filters, sort), `${sort} limit=${limit}`)
    }
  }
  const [[instant]] = await conn.query<mysql.RowDataPacket[]>(
    'SELECT created_at, COUNT(*) AS n FROM products GROUP BY created_at ORDER BY n DESC, created_at LIMIT 1')
  t.ok(Number(instant.n) >= 3, `a tie of ${instant.n} rows on createdAt`)
  const at = (instant.created_at as Date).getTime()
  // A window around the tied instant, walked one row at a time in both directions.
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT id FROM products WHERE created_at = ?', [instant.created_at])
  for (const sort of ['createdAt', '-createdAt'] as Sort[]) {
    const seen: FixtureRow[] = []
    let cursor: string | undefined
    const all = await expectedRows(conn, {}, sort)
    const start = all.findIndex((r) => new Date(r.createdAt).getTime() === at)
    const before = start === 0 ? undefined : all[start - 1]
    if (before !== undefined) {
      const digest = normaliseListQuery({ sort }).digest
      cursor = encodeCursor({ sort, value: before.createdAt, id: before.id, digest })
    }
    for (let i = 0; i < rows.length + 2; i++) {
      const res = await app.inject(`/api/products?sort=${sort}&limit=1${cursor !== undefined ? `&cursor=${cursor}` : ''}`)
      const page = res.json() as { data: FixtureRow[], nextCursor: string | null }
      seen.push(...page.data)
      if (page.nextCursor === null) break
      cursor = page.nextCursor
    }
    t.same(seen, all.slice(start, start + seen.length), `${sort}: one row per page through the tie`)
    t.ok(seen.filter((r) => new Date(r.createdAt).getTime() === at).length === rows.length, `${sort}: every tied row once`)
  }
})

test('rows inserted while walking: rows behind the cursor are never seen, rows ahead are, nothing twice', async (t) => {
  const conn = await sql(t)
  await seedProducts(conn, COUNT, 7)
  await flushPrefix()
  const app = await build(t, APP_SETTINGS)
  for (const sort of SORTS) {
    for (const filters of [{}, { category: 'bakery', minPrice: '8' }] as Filters[]) {
      const label = `${JSON.stringify(filters)} sort=${sort}`
      const firstPages: FixtureRow[] = []
      let cursor: string | undefined
      for (let i = 0; i < 4; i++) {
        const res = await app.inject(`/api/products?${new URLSearchParams({ ...filters, sort, limit: '40', ...(cursor !== undefined ? { cursor } : {}) } as Record<string, string>).toString()}`)
        const page = res.json() as { data: FixtureRow[], nextCursor: string }
        firstPages.push(...page.data)
        cursor = page.nextCursor
      }
      const last = firstPages[firstPages.length - 1]
      // New rows on both sides of the cursor and exactly on its sort value.
      for (const p of [
        { category: 'bakery', price: last.price.toFixed(2), createdAt: last.createdAt },
        { category: 'bakery', price: '8.00', createdAt: '2023-12-31T00:00:00.000Z' },
        { category: 'bakery', price: '99.99', createdAt: '2026-01-01T00:00:00.000Z' },
        { category: 'fruits', price: '50.00', createdAt: '2025-06-01T00:00:00.000Z' }
      ]) await insertProduct(conn, p)
      const column = sort.replace('-', '')
      const position = { value: column === 'id' ? last.id : column === 'price' ? last.price : last.createdAt, id: last.id }
      // A cursor carries no page size: the rest is read 100 rows at a time.
      const rest = (await walk(app, { ...filters, sort, limit: 100, cursor })).flatMap((p) => p.data)
      t.same(rest, await expectedRows(conn, filters, sort, position), `${label}: the rest is exactly what follows the cursor now`)
      const ids = [...firstPages, ...rest].map((r) => r.id)
      t.equal(new Set(ids).size, ids.length, `${label}: no row twice`)
    }
  }
})

test('every (filter, sort) shape is planned on its index: EXPLAIN never shows a full table scan', async (t) => {
  const conn = await sql(t)
  const shapes = new Set<string>()
  for (const filters of FILTER_SETS) {
    for (const sort of SORTS) {
      const first = normaliseListQuery({ ...filters, sort })
      const value = sort.includes('price') ? '10.00' : sort.includes('createdAt') ? '2024-03-01T00:00:00.000Z' : null
      const next = normaliseListQuery({ ...filters, sort, cursor: encodeCursor({ sort, value, id: 1500, digest: first.digest }) })
      for (const q of [first, next]) {
        const st = buildPageStatement(q)
        shapes.add(st.shape)
        const [plan] = await conn.execute<mysql.RowDataPacket[]>(`EXPLAIN ${st.sql}`, st.params)
        const scan = plan.find((row) => row.table === 'products')
        if (scan === undefined) {
          // An empty price range is noticed while planning: nothing is read at all.
          t.match(String(plan[0].Extra), /Impossible WHERE|no matching row/i, `${st.shape}: ${JSON.stringify(plan)}`)
          continue
        }
        t.ok(INDEX_PLAN[st.shape].indexes.includes(String(scan.key)), `${st.shape}: reads ${String(scan.key)}`)
        t.ok(plan.every((row) => row.type !== 'ALL' || row.table !== 'products'), `${st.shape}: no full scan of products`)
      }
    }
  }
  t.equal(shapes.size, 12)
})
