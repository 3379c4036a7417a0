// Longer than most plugins on purpose: the two tiers, the catalog version they are filed under,
// the single flight and the write-back of variants are one consistency story (which page may be
// served when), and splitting them would spread that reasoning over several files.
import { createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import { LRUCache } from 'lru-cache'
import { Counter } from 'prom-client'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'
import { CATALOG_VERSION_KEY } from '../src/lib/catalog-version.js'
import { CachedPage, type PageLookup } from '../src/lib/cached-page.js'
import { VersionWatch } from '../src/lib/version-watch.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Finished pages (JSON text, ETag, compressed variants) in two tiers: this process's
     * memory, then Redis; single-flight loads. A store only: sending is plugins/http-cache.ts.
     */
    pageCache: PageCache
  }
}

export interface PageCacheOptions {
  ttlSeconds: number
  /** Byte budget of the in-process tier (0 turns it off). */
  memoryBytes?: number
  /** How often the catalog version is re-read in the background. */
  versionIntervalMs?: number
  /** How long a version read stays trusted: the bound on serving a page of an old version. */
  versionFreshMs?: number
}

export function pageCacheOptions (config: Config): PageCacheOptions {
  return { ttlSeconds: config.CACHE_TTL_SECONDS }
}

export interface PageCache {
  /**
   * The page remembered in this process under `alias` (a request URL that was answered before)
   * for the current catalog version, or undefined. Synchronous and free of I/O: the hot path.
   */
  recall: (alias: string) => CachedPage | undefined
  /**
   * The page identified by `query` (a canonical string of everything the page depends on): from
   * memory, else from Redis, under the current catalog version, else from `load`. Concurrent
   * misses for one key in this process share a single `load`. Redis errors or timeouts never
   * fail the call: the page is then loaded without the cache (BYPASS). `alias` also files the
   * page in memory under that name, for `recall`. `load` is told the catalog version the page
   * will be filed under (undefined when the cache is bypassed and the version is unknown).
   */
  get: (query: string, load: (version?: string) => Promise<string>, alias?: string) => Promise<PageLookup>
}

/**
 * Bump when the stored value's layout changes. Key layout (also on a Redis Cluster): every
 * command here touches one key, a page (`products:v2:<version>:<digest>`, spread over the slots)
 * or the catalog version (`catalog:version`, one slot); nothing is multi-key, so no hash tag is
 * needed. The version key is the hot one: every instance reads it every 250 ms, and while its
 * slot has no master (a failover) pages are answered from MySQL (BYPASS), never stale.
 */
export const PAGE_KEY_PREFIX = 'products:v2:'

interface MemoryEntry {
  page: CachedPage
  version: string
  expiresAt: number
}

async function pageCache (fastify: FastifyInstance, opts: PageCacheOptions) {
  const redis = fastify.redis
  const health = fastify.redisHealth
  const ttl = opts.ttlSeconds
  const ttlMs = ttl * 1000

  // Counted in plain numbers on the request's path and handed to prom-client when scraped: a
  // labelled inc() builds and checks its label set each time, a measurable share of a HIT.
  const tally = { hit: 0, miss: 0, bypass: 0, memory: 0 }
  // eslint-disable-next-line no-new -- registered in the registry, read through collect()
  new Counter({
    name: 'products_cache_requests_total',
    help: 'Product page cache lookups by result (hit, miss, bypass when Redis is unavailable)',
    labelNames: ['result'] as const,
    registers: [fastify.metricsRegistry],
    collect () {
      this.reset()
      this.inc({ result: 'hit' }, tally.hit)
      this.inc({ result: 'miss' }, tally.miss)
      this.inc({ result: 'bypass' }, tally.bypass)
    }
  })
  // eslint-disable-next-line no-new -- as above
  new Counter({
    name: 'products_cache_memory_hits_total',
    help: 'Product page cache hits answered from this process\'s memory (a subset of result="hit")',
    registers: [fastify.metricsRegistry],
    collect () {
      this.reset()
      this.inc(tally.memory)
    }
  })

  const versions = new VersionWatch({
    read: async () => await health.run(async () => await redis.get(CATALOG_VERSION_KEY)) ?? '0',
    intervalMs: opts.versionIntervalMs ?? 250,
    freshMs: opts.versionFreshMs ?? 750
  })
  fastify.addHook('onReady', async () => {
    await versions.refresh().catch(() => {})
    versions.start()
  })
  fastify.addHook('onClose', async () => { versions.stop() })

  const memoryBytes = opts.memoryBytes ?? 32 * 1024 * 1024
  const memory = memoryBytes > 0
    ? new LRUCache<string, MemoryEntry>({
      maxSize: memoryBytes,
      sizeCalculation: (entry, key) => entry.page.size + key.length * 2 + 100
    })
    : undefined

  function remember (key: string, page: CachedPage, version: string): void {
    memory?.set(key, { page, version, expiresAt: Date.now() + ttlMs })
  }

  function fromMemory (key: string, version: string): CachedPage | undefined {
    const entry = memory?.get(key)
    if (entry === undefined || entry.version !== version) return undefined
    if (entry.expiresAt <= Date.now()) { memory?.delete(key); return undefined }
    return entry.page
  }

  /**
   * Writes the page, with every variant made so far, to Redis. A variant made later (the first
   * client asking for br, say) is written back the same way, keeping the expiry and only while
   * the entry exists, so no instance compresses that page for that encoding again.
   */
  async function store (key: string, page: CachedPage, writeBack: boolean): Promise<unknown> {
    const value = page.toStored()
    return await health.run(async () => writeBack ? await redis.set(key, value, 'KEEPTTL', 'XX') : await redis.set(key, value, 'EX', ttl))
  }

  /** Files a page under its Redis key: variants made later are written back there. */
  function storedAt (page: CachedPage, key: string): CachedPage {
    return page.persistWith(() => { store(key, page, true).catch(() => {}) })
  }

  /** Loads in progress, by cache key: the single flight every concurrent miss joins. */
  const inflight = new Map<string, Promise<CachedPage>>()

  function loadOnce (key: string, load: () => Promise<string>, cacheable = true): Promise<CachedPage> {
    const running = inflight.get(key)
    if (running !== undefined) return running
    const flight = (async () => {
      let page: CachedPage
      try {
        page = new CachedPage(await load())
      } catch (err) {
        inflight.delete(key)
        throw err
      }
      if (!cacheable) {
        inflight.delete(key)
        return page
      }
      storedAt(page, key)
      // Answered at once; the flight stays open until the page is in Redis, so a request that
      // missed just before the write joins it instead of loading again.
      store(key, page, false).catch((err: Error) => {
        fastify.log.debug({ err: { message: err.message } }, 'page cache write failed')
      }).finally(() => { inflight.delete(key) })
      return page
    })()
    inflight.set(key, flight)
    return flight
  }

  function bypass (key: string, load: () => Promise<string>, err: unknown): Promise<PageLookup> {
    tally.bypass++
    fastify.log.debug({ err: { message: (err as Error).message } }, 'page cache bypassed')
    return loadOnce(`bypass:${key}`, load, false).then((page) => ({ page, cache: 'BYPASS' as const }))
  }

  const cache: PageCache = {
    recall (alias) {
      const version = versions.current()
      if (version === undefined) return undefined
      const page = fromMemory(alias, version)
      if (page !== undefined) { tally.hit++; tally.memory++ }
      return page
    },

    async get (query, load, alias) {
      const memoryKey = alias ?? query
      let version: string
      try {
        version = await versions.resolve()
      } catch (err) {
        return await bypass(query, load, err)
      }
      const remembered = fromMemory(memoryKey, version)
      if (remembered !== undefined) {
        tally.hit++; tally.memory++
        return { page: remembered, cache: 'HIT', tier: 'memory' }
      }

      const key = `${PAGE_KEY_PREFIX}${version}:${createHash('sha256').update(query).digest('base64url').slice(0, 32)}`
      let stored: Buffer | null
      try {
        stored = await health.run(async () => await redis.getBuffer(key))
      } catch (err) {
        // Redis down, timing out, refusing or paused after a failure: answer from MySQL,
        // never fail or wait longer.
        return await bypass(key, load, err)
      }
      const hit = stored === null ? undefined : CachedPage.fromStored(stored)
      if (hit !== undefined) {
        tally.hit++
        storedAt(hit, key)
        remember(memoryKey, hit, version)
        return { page: hit, cache: 'HIT', tier: 'redis' }
      }
      tally.miss++
      const page = await loadOnce(key, async () => await load(version))
      remember(memoryKey, page, version)
      return { page, cache: 'MISS' }
    }
  }

  fastify.decorate('pageCache', cache)
}

export default fp(pageCache, { name: 'page-cache', dependencies: ['redis', 'metrics'] })
