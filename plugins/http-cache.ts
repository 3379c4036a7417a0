import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Config } from '../src/config.js'
import { etagMatches, type CachedPage, type CacheResult, type CacheTier } from '../src/lib/cached-page.js'
import { negotiate } from '../src/lib/content-encoding.js'

declare module 'fastify' {
  interface FastifyReply {
    /**
     * Sends a finished page the HTTP-caching way: the representation the client accepts (br,
     * gzip or identity) with its own strong ETag, `cache-control`, `vary: accept-encoding`,
     * `x-cache` and `x-cache-tier` when given; a matching If-None-Match gets a 304 without a body.
     */
    sendPage: (page: CachedPage, cache?: CacheResult, tier?: CacheTier) => FastifyReply
  }
}

export interface HttpCacheOptions {
  /** max-age and stale-while-revalidate of every cacheable response. */
  ttlSeconds: number
}

export function httpCacheOptions (config: Config): HttpCacheOptions {
  return { ttlSeconds: config.CACHE_TTL_SECONDS }
}

const CONTENT_TYPE = 'application/json; charset=utf-8'

/**
 * ETag, 304, Cache-Control and content-encoding for every cacheable route, in one place. The
 * page carries its bytes and validators (src/lib/cached-page.ts); this only chooses and sends.
 */
async function httpCache (fastify: FastifyInstance, opts: HttpCacheOptions) {
  const cacheControl = `public, max-age=${opts.ttlSeconds}, stale-while-revalidate=${opts.ttlSeconds}`

  fastify.decorateReply('sendPage', function sendPage (this: FastifyReply, page: CachedPage, cache?: CacheResult, tier?: CacheTier) {
    const headers = this.request.headers
    const variant = page.variant(negotiate(headers['accept-encoding']))
    this.header('etag', variant.etag).header('cache-control', cacheControl).header('vary', 'accept-encoding')
    if (cache !== undefined) this.header('x-cache', cache)
    if (tier !== undefined) this.header('x-cache-tier', tier)
    if (etagMatches(headers['if-none-match'], variant.etag)) return this.code(304).send()
    this.header('content-type', CONTENT_TYPE)
    // The text itself when uncompressed: Node writes a string body in one piece with the
    // headers, where a buffer takes a second chunk in the same write.
    if (variant.body === undefined || variant.encoding === undefined) return this.send(page.body)
    return this.header('content-encoding', variant.encoding).send(variant.body)
  })
}

export default fp(httpCache, { name: 'http-cache' })
