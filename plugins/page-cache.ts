import { createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import { Counter } from 'prom-client'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../src/config.js'
import { CATALOG_VERSION_KEY } from '../src/lib/catalog-version.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Redis cache of finished product pages (JSON text + ETag), with single-flight loads. */
    pageCache: PageCache
  }
}

export interface PageCacheOptions {
  ttlSeconds: number
}

export function pageCacheOptions (config: Config): PageCacheOptions {
  return { ttlSeconds: config.CACHE_TTL_SECONDS }
}

/** A page as sent: its exact bytes and their strong validator. */
export interface CachedPage {
  body: string
  etag: string
}

/** HIT: from Redis; MISS: loaded (and stored); BYPASS: Redis unavailable, loaded without it. */
export type CacheResult = 'HIT' | 'MISS' | 'BYPASS'

export interface PageCache {
  ttlSeconds: number
  /**
   * The page identified by `query` (a canonical string of everything the page depends on):
   * from Redis when cached under the current catalog version, else from `load`. Concurrent
   * misses for one key in this process share a single `load`. Redis errors or timeouts never
   * fail the call: the page is then loaded without the cache (BYPASS).
   */
  get: (query: string, load: () => Promise<string>) => Promise<{ page: CachedPage, cache: CacheResult }>
  /**
   * Sends a page with its ETag and Cache-Control; a matching If-None-Match gets 304 without a
   * body instead.
   */
  send: (request: FastifyRequest, reply: FastifyReply, page: CachedPage) => FastifyReply
}

/** Bump when the stored value's layout changes. */
export const PAGE_KEY_PREFIX = 'products:v1:'

/** Strong ETag of a body: the first 128 bits of its SHA-256, base64url. */
export function pageOf (body: string): CachedPage {
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` }
}

/** Stored value: `<etag>\n<body>`; the ETag never contains a newline. */
function serialise (page: CachedPage): string {
  return `${page.etag}\n${page.body}`
}

function deserialise (value: string): CachedPage | undefined {
  const cut = value.indexOf('\n')
  if (cut < 3 || value[0] !== '"') return undefined
  return { etag: value.slice(0, cut), body: value.slice(cut + 1) }
}

/**
 * If-None-Match uses the weak comparison (RFC 9110 13.1.2): `W/` is ignored, `*` matches any
 * current representation, a list matches when any member does.
 */
export function etagMatches (header: string | undefined, etag: string): boolean {
  if (header === undefined || header === '') return false
  if (header.trim() === '*') return true
  const opaque = etag.replace(/^W\//, '')
  for (const candidate of header.split(',')) {
    if (candidate.trim().replace(/^W\//, '') === opaque) return true
  }
  return false
}

/**
 * One round trip for a lookup: reads the catalog version and the page stored under it.
 * KEYS[1] is the version key, KEYS[2] the page key prefix (both carry the client's key prefix);
 * returns { version } on a miss, { version, page } on a hit.
 */
const LOOKUP_SCRIPT = `
local version = redis.call('GET', KEYS[1]) or '0'
local page = redis.call('GET', KEYS[2] .. version .. ':' .. ARGV[1])
if page then return { version, page } end
return { version }
`

interface LookupClient {
  pageLookup: (versionKey: string, pagePrefix: string, digest: string) => Promise<string[]>
}

async function pageCache (fastify: FastifyInstance, opts: PageCacheOptions) {
  const redis = fastify.redis
  if (typeof (redis as unknown as Partial<LookupClient>).pageLookup !== 'function') {
    redis.defineCommand('pageLookup', { numberOfKeys: 2, lua: LOOKUP_SCRIPT })
  }
  const lookup = (redis as unknown as LookupClient).pageLookup.bind(redis)
  const ttl = opts.ttlSeconds
  const cacheControl = `public, max-age=${ttl}, stale-while-revalidate=${ttl}`

  const requests = new Counter({
    name: 'products_cache_requests_total',
    help: 'Product page cache lookups by result (hit, miss, bypass when Redis is unavailable)',
    labelNames: ['result'] as const,
    registers: [fastify.metricsRegistry]
  })
  for (const result of ['hit', 'miss', 'bypass']) requests.inc({ result }, 0)

  /** Loads in progress, by cache key: the single flight every concurrent miss joins. */
  const inflight = new Map<string, Promise<CachedPage>>()

  function loadOnce (key: string, load: () => Promise<string>, store: ((page: CachedPage) => Promise<unknown>) | undefined): Promise<CachedPage> {
    const running = inflight.get(key)
    if (running !== undefined) return running
    const flight = (async () => {
      try {
        const page = pageOf(await load())
        // The entry stays until the page is in Redis, so a request that missed just before the
        // write still joins this flight instead of loading again.
        if (store !== undefined) {
          await store(page).catch((err: Error) => {
            fastify.log.debug({ err: { message: err.message } }, 'page cache write failed')
          })
        }
        return page
      } finally {
        inflight.delete(key)
      }
    })()
    inflight.set(key, flight)
    return flight
  }

  const health = fastify.redisHealth

  const cache: PageCache = {
    ttlSeconds: ttl,

    async get (query, load) {
      const digest = createHash('sha256').update(query).digest('base64url').slice(0, 32)
      let found: string[]
      try {
        found = await health.run(async () => await lookup(CATALOG_VERSION_KEY, PAGE_KEY_PREFIX, digest))
      } catch (err) {
        // Redis down, timing out, refusing or paused after a failure: answer from MySQL,
        // never fail or wait longer.
        requests.inc({ result: 'bypass' })
        fastify.log.debug({ err: { message: (err as Error).message } }, 'page cache bypassed')
        return { page: await loadOnce(`bypass:${digest}`, load, undefined), cache: 'BYPASS' }
      }
      const [version, stored] = found
      const key = `${PAGE_KEY_PREFIX}${version}:${digest}`
      const hit = stored === undefined ? undefined : deserialise(stored)
      if (hit !== undefined) {
        requests.inc({ result: 'hit' })
        return { page: hit, cache: 'HIT' }
      }
      requests.inc({ result: 'miss' })
      const page = await loadOnce(key, load, async (p) => await redis.set(key, serialise(p), 'EX', ttl))
      return { page, cache: 'MISS' }
    },

    send (request, reply, page) {
      reply.header('etag', page.etag).header('cache-control', cacheControl)
      if (etagMatches(request.headers['if-none-match'], page.etag)) {
        return reply.code(304).send()
      }
      return reply.type('application/json; charset=utf-8').send(page.body)
    }
  }

  fastify.decorate('pageCache', cache)
}

export default fp(pageCache, { name: 'page-cache', dependencies: ['redis', 'metrics'] })
