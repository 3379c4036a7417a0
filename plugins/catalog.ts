import fp from 'fastify-plugin'
import fastJson from 'fast-json-stringify'
import { Counter } from 'prom-client'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'
import { CachedPage, type CacheResult, type PageLookup } from '../src/lib/cached-page.js'
import { CATALOG_VERSION_READ, CATALOG_VERSION_RECORD, catalogReads, type ReadRoute } from '../src/lib/catalog-reads.js'
import { CATALOG_VERSION_KEY } from '../src/lib/catalog-version.js'
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

export interface CatalogOptions {
  /** How often the replica's catalog version is read (and a new Redis version recorded on the primary); default 1000 ms. */
  replicaVersionMs?: number
}

export function catalogOptions (_config: Config): CatalogOptions {
  return {}
}

/**
 * A page read from a replica that may not hold the catalog version the page cache would file
 * it under: answered, never stored. Thrown out of the page cache's load so that nothing of it
 * is kept; `cache` is what the answer says (BYPASS when Redis did not answer either).
 */
class UnstoredPage extends Error {
  constructor (readonly text: string, readonly cache: CacheResult) {
    super('page read from a replica behind the catalog version')
  }
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
 * src/lib/catalog-reads.ts (the replica when there is one), pages and counts through the page
 * cache under their own keys. A page read from a replica that lags the catalog version is
 * answered but not cached: a cached page always holds the rows of the version it is filed under.
 */
async function catalog (fastify: FastifyInstance, opts: CatalogOptions) {
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
  const replica = db.replica
  /** The highest catalog version the replica was seen to hold (-1: not read yet). */
  let replicaVersion = -1
  /** The highest catalog version this instance has recorded on the primary. */
  let recordedVersion = -1

  async function redisVersion (): Promise<number> {
    return Number(await fastify.redisHealth.run(async () => await fastify.redis.get(CATALOG_VERSION_KEY)) ?? '0')
  }

  /**
   * Once a second, with a replica: reads the version the replica holds, and records on the
   * primary a Redis version the primary's row may not hold yet (a bump made by something other
   * than the seeder). The record is written after the bump, so after every catalog write made
   * before it: a replica holding it holds those writes.
   */
  async function watchReplica (): Promise<void> {
    if (replica === undefined) return
    await Promise.all([
      replica.query(CATALOG_VERSION_READ).then((rows) => {
        replicaVersion = Math.max(replicaVersion, rows.length === 0 ? 0 : Number(rows[0].version))
      }, (err: { code?: string }) => {
        if (err.code === 'ER_NO_SUCH_TABLE') replicaVersion = Math.max(replicaVersion, 0)
      }),
      redisVersion().then(async (version) => {
        if (version <= recordedVersion) return
        await db.query(CATALOG_VERSION_RECORD, [version, version, version])
        recordedVersion = version
      }).catch(() => {})
    ])
  }
  if (replica !== undefined) {
    let watching = false
    const tick = (): void => {
      if (watching) return
      watching = true
      watchReplica().finally(() => { watching = false })
    }
    const timer = setInterval(tick, opts.replicaVersionMs ?? 1000)
    timer.unref()
    fastify.addHook('onReady', async () => { await watchReplica() })
    fastify.addHook('onClose', async () => { clearInterval(timer) })
  }

  /**
   * Runs a page cache load. With a replica, a page any of whose statements went to the replica
   * is handed to the page cache only when the replica held, before the page was read, a catalog
   * version at least the one in Redis as read after the page cache chose its key (versions only
   * grow, so at least the key's). Otherwise it is answered but not stored (UnstoredPage). The
   * replica's version is the one read in the background: no statement is added per page.
   */
  async function storable (load: (route?: ReadRoute) => Promise<string>): Promise<string> {
    if (replica === undefined) return await load()
    const held = replicaVersion
    const route: ReadRoute = { replica: false }
    const current = replica.inUse() ? redisVersion() : undefined
    current?.catch(() => {})
    const text = await load(route)
    if (!route.replica) return text
    let version: number
    try {
      if (current === undefined) throw new UnstoredPage(text, 'MISS')
      version = await current
    } catch (err) {
      throw err instanceof UnstoredPage ? err : new UnstoredPage(text, 'BYPASS')
    }
    if (!(held >= version)) throw new UnstoredPage(text, 'MISS')
    return text
  }

  /** The page cache's lookup, with a page it was not allowed to store answered as it was read. */
  async function throughCache (key: string, load: (route?: ReadRoute, version?: string) => Promise<string>, alias?: string): Promise<PageLookup> {
    try {
      return await fastify.pageCache.get(key, async (version) => await storable(async (route) => await load(route, version)), alias)
    } catch (err) {
      if (err instanceof UnstoredPage) return { page: new CachedPage(err.text), cache: err.cache }
      throw err
    }
  }

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
      return await throughCache(canonicalQuery(q), async (route, version) => pageJson(await reads.page(q, route, version)), alias)
    },

    async categories (query) {
      // Validates (400s) before touching Redis or MySQL.
      const key = categoriesKey(query)
      return await throughCache(key, async (route) => countsJson(await reads.categories(query, route)))
    },

    async product (id) {
      return new CachedPage(productJson(await reads.product(id)))
    }
  }
  fastify.decorate('catalog', decorated)
}

export default fp(catalog, { name: 'catalog', dependencies: ['metrics', 'mysql', 'redis', 'page-cache'] })
