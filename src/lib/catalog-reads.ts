import type { Product, ProductPage } from '../schemas/product.js'
import type { CategoryCounts, CategoryQuery } from '../schemas/category.js'
import { NotFoundError } from './errors.js'
import { InvalidCursorError, cursorColumn, encodeCursor, parseRelevanceValue, relevanceValue } from './cursor.js'
import { assertInteger, buildPageStatement, normalisePrices, type ListQuery } from './keyset.js'
import { parseSearch, type ParsedSearch } from './search-words.js'
import { categoriesStatement, searchCategoriesStatement, searchPageStatement } from './search-sql.js'

/** Told whether a read was sent to the replica (plugins/mysql.ts marks it). */
export interface ReadRoute { replica: boolean }

/** What the catalog needs of the database: one read statement (plugins/mysql.ts's `db`). */
export interface ReadDb {
  query: (sql: string, params: string[], opts: { read: true, route?: ReadRoute }) => Promise<unknown>
}

/**
 * The catalog version recorded in MySQL (seed/migrations/005_catalog_version.sql): read from a
 * replica to learn which version it holds, written on the primary after a bump. The write
 * never lowers the recorded version.
 */
export const CATALOG_VERSION_READ = 'SELECT version FROM catalog_version WHERE id = 1'
export const CATALOG_VERSION_RECORD =
  'INSERT INTO catalog_version (id, version, recorded_at) VALUES (1, ?, UTC_TIMESTAMP(3)) ' +
  'ON DUPLICATE KEY UPDATE recorded_at = IF(version < ?, UTC_TIMESTAMP(3), recorded_at), version = GREATEST(version, ?)'

/** `route`, when given, is marked if any statement of the call was sent to the replica. */
export interface CatalogReads {
  /**
   * One page of the list (keyset statement, or a full-text search). `version` is the catalog
   * version the page is read under (undefined when unknown: Redis unavailable); a relevance
   * cursor of another version is a 400, and the next one carries this version.
   */
  page: (q: ListQuery, route?: ReadRoute, version?: string) => Promise<ProductPage>
  /** Per-category counts for optional search and price bounds; throws a 400 error for bad input. */
  categories: (query: CategoryQuery, route?: ReadRoute) => Promise<CategoryCounts>
  /** One product; throws a 404 error when there is none with this id. */
  product: (id: number, route?: ReadRoute) => Promise<Product>
}

interface ProductRow {
  id: number
  name: string
  category: string
  price: number
  stock: number
  created_at: Date
}

function toProduct (row: ProductRow): Product {
  return {
    id: Number(row.id),
    name: row.name,
    category: row.category,
    price: Number(row.price),
    stock: Number(row.stock),
    createdAt: row.created_at.toISOString()
  }
}

/** The catalog version of a relevance cursor issued while the version could not be read. */
const UNKNOWN_VERSION = '0'

/** The cursor of the page that follows `last`: the sort value it ended on (if any) and its id. */
function cursorAfter (q: ListQuery, last: Product, sortValue: unknown, version: string | undefined): string {
  const column = cursorColumn(q.sort)
  const value = column === 'id'
    ? null
    : column === 'price'
      ? last.price.toFixed(2)
      : column === 'createdAt' ? last.createdAt : relevanceValue(Number(sortValue), version ?? UNKNOWN_VERSION)
  return encodeCursor({ sort: q.sort, value, id: last.id, digest: q.digest })
}

/** The page of `rows` (limit + 1 fetched: the extra one says whether a next page exists). */
function pageOfRows (q: ListQuery, rows: Array<ProductRow & { sort_value?: unknown }>, version?: string): ProductPage {
  const data = rows.slice(0, q.limit).map(toProduct)
  const nextCursor = rows.length > q.limit ? cursorAfter(q, data[data.length - 1], rows[q.limit - 1].sort_value, version) : null
  return { data, nextCursor }
}

/**
 * Refuses a relevance cursor read under another catalog version than `version`: ranks depend
 * on the whole catalog, so its position may no longer be where it was. (With the version
 * unknown, Redis being unavailable, the cursor is taken as it is.)
 */
function assertCurrentRelevance (q: ListQuery, version: string | undefined): void {
  if (q.after === null || cursorColumn(q.sort) !== 'relevance' || version === undefined) return
  if (parseRelevanceValue(q.after.value ?? '').version !== version) {
    throw new InvalidCursorError('the catalog has changed since it was issued, and relevance ranks change with it; ' +
      'start again from the first page (no cursor), or page by id, price or createdAt, whose cursors survive catalog changes')
  }
}

/**
 * The catalog's reads over a deadline-bounded database handle; every statement goes to the
 * read pool (the MYSQL_READ_URL replica when set). No cache here: plugins/catalog.ts puts the
 * page cache in front, and the benchmarks measure this uncached path directly.
 */
export function catalogReads (db: ReadDb): CatalogReads {
  async function read<T> (sql: string, params: string[], route: ReadRoute | undefined): Promise<T> {
    return await db.query(sql, params, route === undefined ? { read: true } : { read: true, route }) as T
  }

  /** A search page: one statement over the FULLTEXT index. */
  async function searchPage (q: ListQuery, search: ParsedSearch, route: ReadRoute | undefined, version: string | undefined): Promise<ProductPage> {
    assertCurrentRelevance(q, version)
    const statement = searchPageStatement({ sort: q.sort, limit: q.limit, filters: q.filters, after: q.after, terms: search.terms })
    return pageOfRows(q, await read<Array<ProductRow & { sort_value: unknown }>>(statement.sql, statement.params, route), version)
  }

  return {
    async page (q, route, version) {
      if (q.search !== undefined) return await searchPage(q, q.search, route, version)
      const statement = buildPageStatement(q)
      return pageOfRows(q, await read<ProductRow[]>(statement.sql, statement.params, route))
    },

    async categories (query, route) {
      const filters = normalisePrices(query.minPrice, query.maxPrice)
      let statement
      if (query.q === undefined) {
        statement = categoriesStatement(filters)
      } else {
        statement = searchCategoriesStatement(filters, parseSearch(query.q).terms)
      }
      const rows = await read<Array<{ category: string, count: unknown }>>(statement.sql, statement.params, route)
      return { data: rows.map((r) => ({ category: r.category, count: Number(r.count) })) }
    },

    async product (id, route) {
      assertInteger('params/id', id, 1, Number.MAX_SAFE_INTEGER)
      const rows = await read<ProductRow[]>('SELECT id, name, category, price, stock, created_at FROM products WHERE id = ?', [String(id)], route)
      if (rows.length === 0) throw new NotFoundError(`No product with id ${id}`)
      return toProduct(rows[0])
    }
  }
}
