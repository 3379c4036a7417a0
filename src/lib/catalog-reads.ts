import type { Product, ProductPage } from '../schemas/product.js'
import type { CategoryCounts, CategoryQuery } from '../schemas/category.js'
import { NotFoundError } from './errors.js'
import { cursorColumn, encodeCursor } from './cursor.js'
import { assertInteger, buildPageStatement, normalisePrices, type ListQuery } from './keyset.js'
import { parseSearch, type ParsedSearch } from './search-words.js'
import {
  categoriesStatement, expandTerms, matchesNothing, searchCategoriesStatement, searchPageStatement, vocabularyStatement,
  type ExpandedTerm, type VocabularyRow
} from './search-sql.js'

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
  /** One page of the list (keyset statement, or a search over the word table). */
  page: (q: ListQuery, route?: ReadRoute) => Promise<ProductPage>
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

/** The cursor of the page that follows `last`: the sort value it ended on (if any) and its id. */
function cursorAfter (q: ListQuery, last: Product, sortValue: unknown): string {
  const column = cursorColumn(q.sort)
  const value = column === 'id'
    ? null
    : column === 'price' ? last.price.toFixed(2) : column === 'createdAt' ? last.createdAt : String(Number(sortValue))
  return encodeCursor({ sort: q.sort, value, id: last.id, digest: q.digest })
}

/** The page of `rows` (limit + 1 fetched: the extra one says whether a next page exists). */
function pageOfRows (q: ListQuery, rows: Array<ProductRow & { sort_value?: unknown }>): ProductPage {
  const data = rows.slice(0, q.limit).map(toProduct)
  const nextCursor = rows.length > q.limit ? cursorAfter(q, data[data.length - 1], rows[q.limit - 1].sort_value) : null
  return { data, nextCursor }
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

  /** The terms of a search with the words each matches (one vocabulary read). */
  async function expand (search: ParsedSearch, route: ReadRoute | undefined): Promise<ExpandedTerm[]> {
    const statement = vocabularyStatement(search.terms)
    return expandTerms(search.terms, await read<VocabularyRow[]>(statement.sql, statement.params, route))
  }

  /** A search page: the word table in the sort's order, then the page's products by id. */
  async function searchPage (q: ListQuery, search: ParsedSearch, route: ReadRoute | undefined): Promise<ProductPage> {
    const expanded = await expand(search, route)
    if (matchesNothing(expanded)) return { data: [], nextCursor: null }
    const statement = searchPageStatement({ sort: q.sort, limit: q.limit, filters: q.filters, after: q.after, expanded })
    return pageOfRows(q, await read<Array<ProductRow & { sort_value: unknown }>>(statement.sql, statement.params, route))
  }

  return {
    async page (q, route) {
      if (q.search !== undefined) return await searchPage(q, q.search, route)
      const statement = buildPageStatement(q)
      return pageOfRows(q, await read<ProductRow[]>(statement.sql, statement.params, route))
    },

    async categories (query, route) {
      const filters = normalisePrices(query.minPrice, query.maxPrice)
      let statement
      if (query.q === undefined) {
        statement = categoriesStatement(filters)
      } else {
        const expanded = await expand(parseSearch(query.q), route)
        if (matchesNothing(expanded)) return { data: [] }
        statement = searchCategoriesStatement(filters, expanded)
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
