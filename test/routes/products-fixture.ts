// Shared arrangement of the product route tests (not a test file itself).
import type mysql from 'mysql2/promise'
import type { FastifyInstance } from 'fastify'
import type { Sort } from '../../src/schemas/product.js'

export const CATEGORIES = ['vegetables', 'fruits', 'dairy', 'bakery', 'eggs']

/** Settings every product route test builds the app with (no rate limit in the way). */
export const APP_SETTINGS = { RATE_LIMIT_MAX: 1_000_000_000 }

export interface FixtureRow {
  id: number
  name: string
  category: string
  price: number
  stock: number
  createdAt: string
}

/** A small deterministic generator (mulberry32), so every run has the same catalog. */
export function random (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Empties the catalog and inserts `count` products. Prices come from 150 values and createdAt
 * from 400 instants, so ties on both sort columns are everywhere and every page boundary
 * falls inside a run of equal values sooner or later.
 */
export async function seedProducts (conn: mysql.Connection, count: number, seed = 1): Promise<void> {
  const next = random(seed)
  await conn.query('DELETE FROM products')
  await conn.query('ALTER TABLE products AUTO_INCREMENT = 1')
  const base = Date.UTC(2024, 0, 1)
  for (let start = 0; start < count; start += 500) {
    const rows: Array<[string, string, string, number, string]> = []
    for (let i = start; i < Math.min(count, start + 500); i++) {
      const category = CATEGORIES[Math.floor(next() * CATEGORIES.length)]
      const cents = 500 + Math.floor(next() * 150) * 333
      const created = new Date(base + Math.floor(next() * 400) * 3_600_007).toISOString()
      rows.push([`Product ${i + 1}`, category, (cents / 100).toFixed(2), Math.floor(next() * 200), created.replace('T', ' ').replace('Z', '')])
    }
    await conn.query('INSERT INTO products (name, category, price, stock, created_at) VALUES ?', [rows])
  }
}

/** One more product, returning its id. */
export async function insertProduct (conn: mysql.Connection, p: { category: string, price: string, createdAt: string }): Promise<number> {
  const [result] = await conn.query<mysql.ResultSetHeader>(
    'INSERT INTO products (name, category, price, stock, created_at) VALUES (?, ?, ?, 1, ?)',
    [`Inserted ${p.category} ${p.price}`, p.category, p.price, p.createdAt.replace('T', ' ').replace('Z', '')])
  return result.insertId
}

export interface Filters { category?: string, minPrice?: string, maxPrice?: string }

const COLUMN = { id: 'id', price: 'price', createdAt: 'created_at' } as const

/**
 * The reference answer, written independently of the service: every matching row in a plain
 * ORDER BY of the sort column then id, optionally only those after a position.
 */
export async function expectedRows (conn: mysql.Connection, filters: Filters, sort: Sort, after?: { value: string | number, id: number }): Promise<FixtureRow[]> {
  const where: string[] = []
  const params: Array<string | number> = []
  if (filters.category !== undefined) { where.push('category = ?'); params.push(filters.category) }
  if (filters.minPrice !== undefined) { where.push('price >= ?'); params.push(Number(filters.minPrice)) }
  if (filters.maxPrice !== undefined) { where.push('price <= ?'); params.push(Number(filters.maxPrice)) }
  const column = COLUMN[sort.replace('-', '') as keyof typeof COLUMN]
  const dir = sort.startsWith('-') ? 'DESC' : 'ASC'
  if (after !== undefined) {
    // Position comparison done the slow, obvious way: a row constructor.
    where.push(`(${column}, id) ${dir === 'ASC' ? '>' : '<'} (?, ?)`)
    params.push(column === 'created_at' ? String(after.value).replace('T', ' ').replace('Z', '') : after.value, after.id)
  }
  const [rows] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT id, name, category, price, stock, created_at FROM products IGNORE INDEX (idx_price_id, idx_created_id, idx_category_id_price, idx_category_price_id, idx_category_created_id)
     ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''}
     ORDER BY ${column === 'id' ? `id ${dir}` : `${column} ${dir}, id ${dir}`}`, params)
  return rows.map((r) => ({
    id: Number(r.id),
    name: r.name,
    category: r.category,
    price: Number(r.price),
    stock: Number(r.stock),
    createdAt: (r.created_at as Date).toISOString()
  }))
}

export function query (params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v))
  return `/api/products?${search.toString()}`
}

export interface Page { data: FixtureRow[], nextCursor: string | null }

/** Follows nextCursor from the first page to the last (bounded); returns every page. */
export async function walk (app: FastifyInstance, params: Record<string, string | number | undefined>, maxPages = 2000): Promise<Page[]> {
  const pages: Page[] = []
  let cursor = params.cursor === undefined ? undefined : String(params.cursor)
  for (let i = 0; i < maxPages; i++) {
    const res = await app.inject(query({ ...params, cursor }))
    if (res.statusCode !== 200) throw new Error(`page ${i} of ${JSON.stringify(params)}: ${res.statusCode} ${res.body}`)
    const page = res.json() as Page
    pages.push(page)
    if (page.nextCursor === null) return pages
    cursor = page.nextCursor
  }
  throw new Error(`walk of ${JSON.stringify(params)} did not end within ${maxPages} pages`)
}

/** Catalog statements the app has sent to MySQL so far (its `catalog_queries_total` counter). */
export async function catalogQueries (app: FastifyInstance): Promise<number> {
  const metric = await app.metricsRegistry.getSingleMetric('catalog_queries_total')?.get()
  return metric?.values[0]?.value ?? 0
}
