import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'
import type { Db, Row } from './mysql.js'
import type { PageCache, PageLookup } from './page-cache.js'
import type { Product, ProductListQuery, ProductPage } from '../src/schemas/product.js'
import type { CategoryCounts, CategoryQuery } from '../src/schemas/category.js'
import { NotFoundError } from '../src/lib/errors.js'
import { cursorColumn, encodeCursor, sortColumn } from '../src/lib/cursor.js'
import { assertInteger, buildPageStatement, canonicalQuery, normaliseListQuery, normalisePrices, type ListQuery } from '../src/lib/keyset.js'
import { parseSearch, type ParsedSearch } from '../src/lib/search-words.js'
import {
  categoriesStatement, expandTerms, matchesNothing, searchCategoriesStatement, searchPageStatement, vocabularyStatement,
  type ExpandedTerm, type VocabularyRow
} from '../src/lib/search-sql.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The product catalog: keyset pages (behind the page cache) and single products. */
    catalog: Catalog
  }
}

export interface CatalogOptions {}

export function catalogOptions (_config: Config): CatalogOptions {
  return {}
}

export interface Catalog {
  /**
   * One page of the list, as finished JSON text with its ETag, through the page cache.
   * `serialize` turns the page into the response bytes (the route's response schema).
   * Throws a 400 error for bad prices or a bad cursor before touching Redis or MySQL.
   * `alias` (the request URL) also files the page in memory for `pageCache.recall`.
   */
  list: (query: ProductListQuery, serialize: (page: ProductPage) => string, alias?: string) => Promise<PageLookup>
  /** One page straight from MySQL (no cache): the list path's database half. */
  page: (query: ProductListQuery) => Promise<ProductPage>
  /** One product; throws a 404 error when there is none with this id. */
  byId: (id: number) => Promise<Product>
  /**
   * Per-category counts for the storefront's filters (optional search and price bounds), as
   * finished JSON text with its ETag, through the page cache under its own keys.
   */
  categories: (query: CategoryQuery, serialize: (counts: CategoryCounts) => string) => Promise<PageLookup>
  /** Category counts straight from MySQL (no cache). */
  categoryCounts: (query: CategoryQuery) => Promise<CategoryCounts>
  /** SELECTs this catalog has sent to MySQL (what single-flight saves is visible here). */
  readonly queries: number
}

interface ProductRow extends Row {
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

/** The cursor of the page that follows `last` in listing `q`. */
function cursorAfter (q: ListQuery, last: Product): string {
  const column = sortColumn(q.sort)
  const value = column === 'id' ? null : column === 'price' ? last.price.toFixed(2) : last.createdAt
  return encodeCursor({ sort: q.sort, value, id: last.id, digest: q.digest })
}

/**
 * The catalog over a deadline-bounded database handle; reads go to the read pool (the
 * MYSQL_READ_URL replica when set). Without a page cache only `page` and `byId` are usable
 * (the benchmark measures the uncached path this way).
 */
export function createCatalog (db: Db, pageCache?: PageCache): Catalog {
  let queries = 0

  /** The terms of a search with the words each matches (one vocabulary read). */
  async function expand (search: ParsedSearch): Promise<ExpandedTerm[]> {
    const statement = vocabularyStatement(search.terms)
    queries++
    const rows = await db.query<Array<VocabularyRow & Row>>(statement.sql, statement.params, { read: true })
    return expandTerms(search.terms, rows)
  }

  /** A search page: the word table in the sort's order, then the page's products by id. */
  async function loadSearchPage (q: ListQuery, search: ParsedSearch): Promise<ProductPage> {
    const expanded = await expand(search)
    if (matchesNothing(expanded)) return { data: [], nextCursor: null }
    const statement = searchPageStatement({ sort: q.sort, limit: q.limit, filters: q.filters, after: q.after, expanded })
    queries++
    const rows = await db.query<Array<ProductRow & { sort_value: unknown }>>(statement.sql, statement.params, { read: true })
    const data = rows.slice(0, q.limit).map(toProduct)
    let nextCursor: string | null = null
    if (rows.length > q.limit) {
      const last = data[data.length - 1]
      const column = cursorColumn(q.sort)
      const value = column === 'id'
        ? null
        : column === 'price' ? last.price.toFixed(2) : column === 'createdAt' ? last.createdAt : String(Number(rows[q.limit - 1].sort_value))
      nextCursor = encodeCursor({ sort: q.sort, value, id: last.id, digest: q.digest })
    }
    return { data, nextCursor }
  }

  async function loadCategories (query: CategoryQuery): Promise<CategoryCounts> {
    const filters = normalisePrices(query.minPrice, query.maxPrice)
    const search = query.q === undefined ? undefined : parseSearch(query.q)
    let statement
    if (search === undefined) {
      statement = categoriesStatement(filters)
    } else {
      const expanded = await expand(search)
      if (matchesNothing(expanded)) return { data: [] }
      statement = searchCategoriesStatement(filters, expanded)
    }
    queries++
    const rows = await db.query<Array<{ category: string, count: unknown } & Row>>(statement.sql, statement.params, { read: true })
    return { data: rows.map((r) => ({ category: r.category, count: Number(r.count) })) }
  }

  /** The cache key of a facet query: normalised, and apart from every product page's key. */
  function categoriesKey (query: CategoryQuery): string {
    const prices = normalisePrices(query.minPrice, query.maxPrice)
    const q = query.q === undefined ? null : parseSearch(query.q).canonical
    return `categories?${JSON.stringify([q, prices.minPrice ?? null, prices.maxPrice ?? null])}`
  }

  async function loadPage (q: ListQuery): Promise<ProductPage> {
    if (q.search !== undefined) return await loadSearchPage(q, q.search)
    const statement = buildPageStatement(q)
    queries++
    const rows = await db.query<ProductRow[]>(statement.sql, statement.params, { read: true })
    const data = rows.slice(0, q.limit).map(toProduct)
    const nextCursor = rows.length > q.limit ? cursorAfter(q, data[data.length - 1]) : null
    return { data, nextCursor }
  }

  return {
    get queries () { return queries },

    async list (query, serialize, alias) {
      if (pageCache === undefined) throw new Error('catalog.list needs the page cache')
      const q = normaliseListQuery(query)
      return await pageCache.get(canonicalQuery(q), async () => serialize(await loadPage(q)), alias)
    },

    async page (query) {
      return await loadPage(normaliseListQuery(query))
    },

    async categories (query, serialize) {
      if (pageCache === undefined) throw new Error('catalog.categories needs the page cache')
      // Validates (400s) before touching Redis or MySQL.
      const key = categoriesKey(query)
      return await pageCache.get(key, async () => serialize(await loadCategories(query)))
    },

    async categoryCounts (query) {
      return await loadCategories(query)
    },

    async byId (id) {
      assertInteger('params/id', id, 1, Number.MAX_SAFE_INTEGER)
      queries++
      const rows = await db.query<ProductRow[]>(
        'SELECT id, name, category, price, stock, created_at FROM products WHERE id = ?',
        [String(id)], { read: true })
      if (rows.length === 0) throw new NotFoundError(`No product with id ${id}`)
      return toProduct(rows[0])
    }
  }
}

async function catalog (fastify: FastifyInstance, _opts: CatalogOptions) {
  fastify.decorate('catalog', createCatalog(fastify.db, fastify.pageCache))
}

export default fp(catalog, { name: 'catalog', dependencies: ['mysql', 'page-cache'] })
