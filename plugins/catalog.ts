import fp from 'fastify-plugin'
import fastJson from 'fast-json-stringify'
import { Counter } from 'prom-client'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'
import { CachedPage, type PageLookup } from '../src/lib/cached-page.js'
import { catalogReads } from '../src/lib/catalog-reads.js'
import { canonicalQuery, normaliseListQuery, normalisePrices } from '../src/lib/keyset.js'
import { parseSearch } from '../src/lib/search-words.js'
import { Product, ProductPage, type ProductListQuery } from '../src/schemas/product.js'
import { CategoryCounts, type CategoryQuery } from '../src/schemas/category.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The product catalog as finished pages: keyset lists and facet counts behind the page cache, single products. */
    catalog: Catalog
  }
}

export interface CatalogOptions {}

export function catalogOptions (_config: Config): CatalogOptions {
  return {}
}

export interface Catalog {
  /**
   * One page of the list, finished (JSON text and ETag), through the page cache. Throws a 400
   * error for bad prices, a bad cursor or a search with no word before touching Redis or MySQL.
   * `alias` (the request URL) also files the page in memory for `pageCache.recall`.
   */
  list: (query: ProductListQuery, alias?: string) => Promise<PageLookup>
  /** Per-category counts for the storefront's filters (optional search and price bounds), through the page cache. */
  categories: (query: CategoryQuery) => Promise<PageLookup>
  /** One product, finished; throws a 404 error when there is none with this id. Not cached. */
  product: (id: number) => Promise<CachedPage>
}

/**
 * The catalog owns its bytes: each answer is serialised here, once, by the same schemas the
 * routes document, and handed on as a finished page with its ETag. Reads go to MySQL through
 * src/lib/catalog-reads.ts, pages and counts through the page cache under their own keys.
 */
async function catalog (fastify: FastifyInstance, _opts: CatalogOptions) {
  const statements = new Counter({
    name: 'catalog_queries_total',
    help: 'Catalog statements sent to MySQL (what the page cache and its single flight save shows here)',
    registers: [fastify.metricsRegistry]
  })
  const db = fastify.db
  const reads = catalogReads({
    async query (sql, params, opts) {
      statements.inc()
      return await db.query(sql, params, opts)
    }
  })
  const pageJson = fastJson(ProductPage)
  const countsJson = fastJson(CategoryCounts)
  const productJson = fastJson(Product)

  /** The cache key of a facet query: normalised, and apart from every product page's key. */
  function categoriesKey (query: CategoryQuery): string {
    const prices = normalisePrices(query.minPrice, query.maxPrice)
    const q = query.q === undefined ? null : parseSearch(query.q).canonical
    return `categories?${JSON.stringify([q, prices.minPrice ?? null, prices.maxPrice ?? null])}`
  }

  const decorated: Catalog = {
    async list (query, alias) {
      const q = normaliseListQuery(query)
      return await fastify.pageCache.get(canonicalQuery(q), async () => pageJson(await reads.page(q)), alias)
    },

    async categories (query) {
      // Validates (400s) before touching Redis or MySQL.
      const key = categoriesKey(query)
      return await fastify.pageCache.get(key, async () => countsJson(await reads.categories(query)))
    },

    async product (id) {
      return new CachedPage(productJson(await reads.product(id)))
    }
  }
  fastify.decorate('catalog', decorated)
}

export default fp(catalog, { name: 'catalog', dependencies: ['metrics', 'mysql', 'page-cache'] })
