import { test } from 'tap'
import fc from 'fast-check'
import { SORTS, type Sort } from '../../src/schemas/product.js'
import { encodeCursor, filterDigest } from '../../src/lib/cursor.js'
import { build, flushPrefix, sql } from '../helper.js'
import { APP_SETTINGS, CATEGORIES, query, seedProducts, type FixtureRow } from './products-fixture.js'

const decimal = fc.tuple(fc.integer({ min: 0, max: 60 }), fc.constantFrom('', '.', '.5', '.25', '.999', '.01'))
  .map(([whole, fraction]) => `${whole}${fraction}`)
const exotic = fc.constantFrom('1e3', '.5', '5.', '0x10', '+5', ' 5', '-1', '-0.5', 'Infinity', 'NaN', '', '1,5', '١٢', '9'.repeat(40), '00012.500')

const anyParams = fc.record({
  limit: fc.option(fc.oneof(fc.integer({ min: 1, max: 100 }).map(String), fc.constantFrom('0', '101', '-5', 'abc', '1.5', '', '1e400', 'Infinity', '007'))),
  sort: fc.option(fc.oneof(fc.constantFrom(...SORTS), fc.string({ maxLength: 12 }))),
  category: fc.option(fc.oneof(fc.constantFrom(...CATEGORIES), fc.string({ maxLength: 70 }), fc.string({ unit: 'grapheme', maxLength: 10 }))),
  minPrice: fc.option(fc.oneof(decimal, exotic, fc.string({ maxLength: 8 }))),
  maxPrice: fc.option(fc.oneof(decimal, exotic, fc.string({ maxLength: 8 }))),
  cursor: fc.option(fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.base64String({ maxLength: 80 }),
    fc.record({ sort: fc.constantFrom(...SORTS), id: fc.integer({ min: 1, max: 5000 }), cents: fc.integer({ min: 0, max: 999_999 }) })
      .map(({ sort, id, cents }) => encodeCursor({
        sort,
        id,
        value: sort.includes('price') ? (cents / 100).toFixed(2) : sort.includes('createdAt') ? new Date(Date.UTC(2024, 0, 1) + cents * 60_000).toISOString() : null,
        digest: filterDigest(sort, {})
      }))
  )),
  junk: fc.option(fc.string({ maxLength: 10 }))
}, { requiredKeys: [] })

function clean (params: Record<string, string | null | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) out[k] = v
  return out
}

test('property: random parameter sets never produce a 5xx; refusals are 400 problems', async (t) => {
  const conn = await sql(t)
  await seedProducts(conn, 1500, 21)
  await flushPrefix()
  const app = await build(t, APP_SETTINGS)
  await fc.assert(fc.asyncProperty(anyParams, async (params) => {
    const res = await app.inject(query(clean(params as Record<string, string | null>)))
    if (res.statusCode === 400) return /^application\/problem\+json/.test(String(res.headers['content-type'])) && res.json().status === 400
    if (res.statusCode !== 200) return false
    const page = res.json() as { data: FixtureRow[], nextCursor: string | null }
    const limit = params.limit === undefined || params.limit === null ? 20 : Number(params.limit)
    return Array.isArray(page.data) && page.data.length <= limit && (page.nextCursor === null || typeof page.nextCursor === 'string')
  }), { numRuns: 300 })

  // Raw query text, encoded or not, repeated keys and all.
  const raw = fc.string({ unit: fc.constantFrom(...'limsortcaegyPx=&%+-._0123456789[]'), maxLength: 40 })
  await fc.assert(fc.asyncProperty(raw, async (text) => {
    const res = await app.inject(`/api/products?${text}`)
    return res.statusCode === 200 || res.statusCode === 400
  }), { numRuns: 300 })
  t.pass()
})

const COLUMN = { id: 'id', price: 'price', createdAt: 'createdAt' } as const

/** -1, 0, 1 comparing two rows in the listing's order (sort column, then id). */
function compare (sort: Sort, a: FixtureRow, b: FixtureRow): number {
  const column = COLUMN[sort.replace('-', '') as keyof typeof COLUMN]
  const sign = sort.startsWith('-') ? -1 : 1
  const av = column === 'createdAt' ? Date.parse(a.createdAt) : a[column]
  const bv = column === 'createdAt' ? Date.parse(b.createdAt) : b[column]
  if (av !== bv) return av < bv ? -sign : sign
  return a.id === b.id ? 0 : a.id < b.id ? -sign : sign
}

const validParams = fc.record({
  limit: fc.integer({ min: 1, max: 100 }),
  sort: fc.constantFrom(...SORTS),
  category: fc.option(fc.constantFrom(...CATEGORIES)),
  minPrice: fc.option(decimal),
  span: fc.option(fc.integer({ min: 0, max: 60 }))
})

test('property: following nextCursor, pages never overlap, stay in order and match the filters', async (t) => {
  const conn = await sql(t)
  await seedProducts(conn, 1500, 22)
  await flushPrefix()
  const app = await build(t, APP_SETTINGS)
  await fc.assert(fc.asyncProperty(validParams, async ({ limit, sort, category, minPrice, span }) => {
    const maxPrice = span === null ? undefined : String(Number(minPrice ?? 0) + span)
    const params = { limit, sort, category: category ?? undefined, minPrice: minPrice ?? undefined, maxPrice }
    const seen: FixtureRow[] = []
    let cursor: string | undefined
    for (let i = 0; i < 6; i++) {
      const res = await app.inject(query({ ...params, cursor }))
      if (res.statusCode !== 200) return false
      const page = res.json() as { data: FixtureRow[], nextCursor: string | null }
      if (page.data.length > limit || (page.nextCursor !== null && page.data.length !== limit)) return false
      seen.push(...page.data)
      if (page.nextCursor === null) break
      cursor = page.nextCursor
    }
    const ids = new Set(seen.map((r) => r.id))
    if (ids.size !== seen.length) return false
    for (let i = 1; i < seen.length; i++) if (compare(sort, seen[i - 1], seen[i]) >= 0) return false
    return seen.every((r) =>
      (category === null || r.category === category) &&
      (minPrice === null || r.price >= Number(minPrice)) &&
      (maxPrice === undefined || r.price <= Number(maxPrice)))
  }), { numRuns: 120 })
  t.pass()
})
