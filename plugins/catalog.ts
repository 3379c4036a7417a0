import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'
import type { Db, Row } from './mysql.js'
import type { PageCache, PageLookup } from './page-cache.js'
import type { Product, ProductListQuery, ProductPage } from '../src/schemas/product.js'
import { NotFoundError } from '../src/lib/errors.js'
import { encodeCursor, sortColumn } from '../src/lib/cursor.js'
import { assertInteger, buildPageStatement, canonicalQuery, normaliseListQuery, type ListQuery } from '../src/lib/keyset.js'

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

  async function loadPage (q: ListQuery): Promise<ProductPage> {
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
