// One file on purpose: the normalisation of a list query, the cursor it binds and the statement
// that answers it change together (a new filter or sort touches all three), and the index plan
// of every shape is documented where it is chosen.
import createError from '@fastify/error'
import type { ProductListQuery, Sort } from '../schemas/product.js'
import { filterDigest, readCursor, sortColumn, type CatalogFilters, type CursorPosition, type SortColumn } from './cursor.js'
import { parseSearch, type ParsedSearch } from './search-words.js'

/**
 * Keyset pagination for the catalog: normalises a validated list query (prices, defaults,
 * cursor) and builds the one SQL statement that answers it.
 *
 * Every (filter, sort) shape is answered by an index range that starts at the cursor and stops
 * after `limit + 1` rows, so a page costs the same at any depth. MariaDB does not range-optimise
 * row constructors (`(price, id) > (?, ?)`), so the position is written out as
 * `price > ? OR (price = ? AND id > ?)` (mirrored for descending sorts). docs/EXPLAIN.md holds
 * the plans measured for every shape.
 */

export const InvalidQueryError = createError('FL_INVALID_QUERY', '%s', 400)

export const DEFAULT_LIMIT = 20
export const MAX_LIMIT = 100

/**
 * Ajv with type coercion turns `1e400` or `Infinity` into Infinity, calls it an integer and
 * skips its minimum/maximum checks (they only look at finite numbers), so the schema alone
 * does not keep them out: integer parameters are checked once more here.
 */
export function assertInteger (where: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidQueryError(`${where} must be an integer from ${min} to ${max}`)
  }
}

/** A list query after validation and normalisation: what a page and its cache key depend on. */
export interface ListQuery {
  sort: Sort
  limit: number
  filters: CatalogFilters
  /** Digest of sort + filters; carried by every cursor of this listing. */
  digest: string
  /** Where the page starts (after this row), or null for the first page. */
  after: CursorPosition | null
  /** The parsed `q`, when searching (its canonical form is also in `filters.q`). */
  search?: ParsedSearch
}

// ---------------------------------------------------------------------------------------------
// Prices

/**
 * Plain decimals only: digits with an optional fraction (`12`, `12.5`, `12.`, `.5`). Exponents,
 * signs, hex, whitespace, `Infinity` and `NaN` are refused with a 400: a price filter is typed
 * by people and by storefront sliders, and `1e3` there is more likely a mistake than a wish.
 */
const PLAIN_DECIMAL = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/
const NEGATIVE_DECIMAL = /^-(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/
/** Fraction digits kept when comparing raw bounds exactly (longer inputs are refused by the schema). */
const SCALE_DIGITS = 32
/** Largest value of the DECIMAL(10,2) price column, in cents. */
const MAX_PRICE_CENTS = 9_999_999_999n

/** The exact value of a plain decimal, scaled by 10^SCALE_DIGITS. */
function exactPrice (name: string, raw: string): bigint {
  if (!PLAIN_DECIMAL.test(raw)) {
    const why = NEGATIVE_DECIMAL.test(raw) ? 'must be >= 0' : 'must be a plain decimal number such as 12.50'
    throw new InvalidQueryError(`querystring/${name} ${why} (got ${JSON.stringify(raw)})`)
  }
  const [whole, fraction = ''] = raw.split('.')
  return BigInt((whole === '' ? '0' : whole) + fraction.padEnd(SCALE_DIGITS, '0'))
}

const CENT = 10n ** BigInt(SCALE_DIGITS - 2)

function formatCents (cents: bigint): string {
  return `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`
}

/**
 * Normalises the price bounds to the column's precision without changing which rows match:
 * an inclusive lower bound rounds up to the next cent, an upper bound rounds down; an upper
 * bound above every storable price is no bound. `minPrice > maxPrice` is a 400.
 */
export function normalisePrices (minRaw: string | undefined, maxRaw: string | undefined): Pick<CatalogFilters, 'minPrice' | 'maxPrice'> {
  const min = minRaw === undefined ? undefined : exactPrice('minPrice', minRaw)
  const max = maxRaw === undefined ? undefined : exactPrice('maxPrice', maxRaw)
  if (min !== undefined && max !== undefined && min > max) {
    throw new InvalidQueryError(`querystring/minPrice must be <= maxPrice (got ${minRaw} > ${maxRaw})`)
  }
  const out: Pick<CatalogFilters, 'minPrice' | 'maxPrice'> = {}
  if (min !== undefined) {
    let cents = min / CENT + (min % CENT === 0n ? 0n : 1n)
    // Above every storable price: keep one cent above the maximum (matches nothing).
    if (cents > MAX_PRICE_CENTS) cents = MAX_PRICE_CENTS + 1n
    out.minPrice = formatCents(cents)
  }
  if (max !== undefined) {
    const cents = max / CENT
    if (cents < MAX_PRICE_CENTS) out.maxPrice = formatCents(cents)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Query normalisation

/** Validated query → normalised query; throws a 400 error for bad prices or a bad cursor. */
export function normaliseListQuery (query: ProductListQuery): ListQuery {
  const search = query.q === undefined ? undefined : parseSearch(query.q)
  const sort: Sort = query.sort ?? (search !== undefined ? 'relevance' : 'id')
  if (sort === 'relevance' && search === undefined) {
    throw new InvalidQueryError('querystring/sort relevance needs a search: give q, or sort by id, price or createdAt')
  }
  const limit = query.limit ?? DEFAULT_LIMIT
  assertInteger('querystring/limit', limit, 1, MAX_LIMIT)
  const filters: CatalogFilters = {
    ...(query.category !== undefined ? { category: query.category } : {}),
    ...normalisePrices(query.minPrice, query.maxPrice),
    ...(search !== undefined ? { q: search.canonical } : {})
  }
  const digest = filterDigest(sort, filters)
  const after = query.cursor === undefined ? null : readCursor(query.cursor, sort, digest)
  return { sort, limit, filters, digest, after, ...(search !== undefined ? { search } : {}) }
}

/**
 * One string per distinct page: equal for queries that must return the same bytes, whatever
 * the order or spelling of their parameters (`minPrice=5` and `minPrice=5.00` are one page).
 */
export function canonicalQuery (q: ListQuery): string {
  const parts: unknown[] = [
    q.sort, q.limit, q.filters.category ?? null, q.filters.minPrice ?? null, q.filters.maxPrice ?? null,
    q.after === null ? null : [q.after.value, q.after.id]
  ]
  if (q.filters.q !== undefined) parts.push(q.filters.q)
  return JSON.stringify(parts)
}

// ---------------------------------------------------------------------------------------------
// SQL

export type FilterShape = 'none' | 'category' | 'price' | 'category+price'

export function filterShape (filters: CatalogFilters): FilterShape {
  const price = filters.minPrice !== undefined || filters.maxPrice !== undefined
  if (filters.category !== undefined) return price ? 'category+price' : 'category'
  return price ? 'price' : 'none'
}

const COLUMN: Record<SortColumn, string> = { id: 'id', price: 'price', createdAt: 'created_at' }

export interface IndexPlan {
  /** FORCE INDEX list: the plans the optimiser may choose from for this shape. */
  indexes: string[]
  /**
   * Deferred join: the keyset scan selects ids only, from an index that also holds `price`, so
   * the price filter is checked on index entries without reading rows; only the page's rows
   * are then read by primary key.
   */
  deferred: boolean
}

/**
 * The plan of each (filter, sort) shape, measured on 1M rows (docs/EXPLAIN.md).
 *
 * - When the filters are a prefix of an index ordered by the sort, that index is read from the
 *   cursor on and the scan stops after `limit + 1` rows: cost independent of depth and size.
 * - When a price filter meets a sort on another column (id, createdAt) no index can do both,
 *   and the best plan depends on how many rows the price range matches: an ordered scan of
 *   the sort index checking price in the index reads about `limit / selectivity` entries;
 *   a range over the price index plus a sort of its matches reads `matches` entries. Both are
 *   independent of depth. FORCE INDEX lists exactly these two indexes so the optimiser picks
 *   between them with its range estimates but can never fall back to a scan that grows with
 *   depth (MariaDB 10.11 otherwise picked primary-key scans that read rows instead of index
 *   entries and were 5–25 ms on a 1% price range). The keyset subquery is covering (deferred
 *   join) on either index: the sort indexes carry `price`, the price indexes `created_at`.
 *   That also matters because MariaDB 10.11 has no index condition pushdown on descending
 *   scans. A price range matching very few rows costs its matches (range plan); a wide one
 *   costs about `limit / selectivity` index entries (ordered plan): about 1 ms at 0.2% of 1M.
 */
export const INDEX_PLAN: Record<`${FilterShape}:${SortColumn}`, IndexPlan> = {
  'none:id': { indexes: ['PRIMARY'], deferred: false },
  'none:price': { indexes: ['idx_price_id'], deferred: false },
  'none:createdAt': { indexes: ['idx_created_id'], deferred: false },
  'category:id': { indexes: ['idx_category_id_price'], deferred: false },
  'category:price': { indexes: ['idx_category_price_id'], deferred: false },
  'category:createdAt': { indexes: ['idx_category_created_id'], deferred: false },
  'price:id': { indexes: ['PRIMARY', 'idx_price_id'], deferred: true },
  'price:price': { indexes: ['idx_price_id'], deferred: false },
  'price:createdAt': { indexes: ['idx_created_id', 'idx_price_id'], deferred: true },
  'category+price:id': { indexes: ['idx_category_id_price', 'idx_category_price_id'], deferred: true },
  'category+price:price': { indexes: ['idx_category_price_id'], deferred: false },
  'category+price:createdAt': { indexes: ['idx_category_created_id', 'idx_category_price_id'], deferred: true }
}

export interface PageStatement {
  sql: string
  params: string[]
  /** The (filter, sort) shape, e.g. `category+price:createdAt`. */
  shape: `${FilterShape}:${SortColumn}`
  plan: IndexPlan
}

const COLUMNS = ['id', 'name', 'category', 'price', 'stock', 'created_at']

/** ISO instant → DATETIME literal in UTC (the connections' time zone). */
export function toSqlDatetime (iso: string): string {
  return iso.replace('T', ' ').replace('Z', '')
}

/** The filters as WHERE conditions on `products` (values as `?` parameters). Shared by searches. */
export function filterConditions (filters: CatalogFilters, where: string[], params: string[]): void {
  if (filters.category !== undefined) { where.push('category = ?'); params.push(filters.category) }
  if (filters.minPrice !== undefined) { where.push('price >= ?'); params.push(filters.minPrice) }
  if (filters.maxPrice !== undefined) { where.push('price <= ?'); params.push(filters.maxPrice) }
}

/**
 * The keyset condition "after this row" for a listing sort column (values as `?` parameters).
 * Shared by searches, whose id, price and createdAt sorts page the same way.
 */
export function afterCondition (column: SortColumn, desc: boolean, after: CursorPosition, where: string[], params: string[]): void {
  const op = desc ? '<' : '>'
  const id = String(after.id)
  if (column === 'id') {
    where.push(`id ${op} ?`)
    params.push(id)
    return
  }
  // Expanded form of (col, id) > (?, ?): MariaDB range-optimises this, not the row constructor.
  const col = COLUMN[column]
  const value = column === 'createdAt' ? toSqlDatetime(after.value ?? '') : after.value ?? ''
  where.push(`(${col} ${op} ? OR (${col} = ? AND id ${op} ?))`)
  params.push(value, value, id)
}

/**
 * The statement for one page: filters, the keyset condition after the cursor, ORDER BY the
 * sort column then id in the same direction, LIMIT limit + 1 (the extra row tells whether a
 * next page exists; no COUNT). Parameters are strings: MySQL/MariaDB compare each exactly in
 * the column's own type (prices have two decimals, instants milliseconds).
 * `plan` is the shape's entry of INDEX_PLAN unless given (no indexes: no FORCE INDEX).
 */
export function buildPageStatement (q: ListQuery, planned?: IndexPlan): PageStatement {
  const column = sortColumn(q.sort)
  const desc = q.sort.startsWith('-')
  const shape = `${filterShape(q.filters)}:${column}` as const
  const plan = planned ?? INDEX_PLAN[shape]
  const where: string[] = []
  const params: string[] = []

  filterConditions(q.filters, where, params)
  if (q.after !== null) afterCondition(column, desc, q.after, where, params)
  const dir = desc ? 'DESC' : 'ASC'
  const col = COLUMN[column]
  params.push(String(q.limit + 1))

  const hint = plan.indexes.length > 0 ? ` FORCE INDEX (${plan.indexes.map((i) => i === 'PRIMARY' ? '`PRIMARY`' : i).join(', ')})` : ''
  const filter = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''
  const order = (prefix: string): string => column === 'id'
    ? `${prefix}id ${dir}`
    : `${prefix}${col} ${dir}, ${prefix}id ${dir}`

  const sql = plan.deferred
    ? `SELECT ${COLUMNS.map((c) => `p.${c}`).join(', ')}` +
      ` FROM (SELECT id FROM products${hint}${filter} ORDER BY ${order('')} LIMIT ?) AS k` +
      ` STRAIGHT_JOIN products p ON p.id = k.id ORDER BY ${order('p.')}`
    : `SELECT ${COLUMNS.join(', ')} FROM products${hint}${filter} ORDER BY ${order('')} LIMIT ?`
  return { sql, params, shape, plan }
}
