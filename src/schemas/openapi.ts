/**
 * What the OpenAPI document says about a response beyond its body: a description and the
 * headers it carries. Route modules wrap a response schema in `documented(...)`; the body
 * schema (and so validation, serialisation and the handler's types) stays the same.
 */

/** A response header as @fastify/swagger documents it. */
export interface HeaderDoc { type: 'string' | 'integer', description: string }

export function documented<T extends object> (schema: T, description: string, headers?: Record<string, HeaderDoc>): T {
  return { ...schema, description, ...(headers !== undefined ? { headers } : {}) }
}

/** Headers of the cached, validated representations (product pages, one product). */
export const CACHE_HEADERS: Record<string, HeaderDoc> = {
  etag: { type: 'string', description: 'Strong validator of these bytes; send it back as `if-none-match` to get a 304' },
  'cache-control': { type: 'string', description: '`public, max-age=<CACHE_TTL_SECONDS>, stale-while-revalidate=<CACHE_TTL_SECONDS>`' },
  vary: { type: 'string', description: '`accept-encoding`: the representation depends on it' },
  'content-encoding': { type: 'string', description: '`br` or `gzip` when `accept-encoding` allows it (each with its own `etag`); absent otherwise' }
}

/** Where a catalog page came from. */
export const X_CACHE_HEADER: Record<string, HeaderDoc> = {
  'x-cache': { type: 'string', description: '`HIT`: served from the page cache; `MISS`: read from MySQL, then cached; `BYPASS`: Redis unavailable, read from MySQL' },
  'x-cache-tier': { type: 'string', description: 'On a `HIT`: `memory` (this instance) or `redis` (shared)' }
}

/** Responses that must not be stored by caches. */
export const NO_STORE_HEADER: Record<string, HeaderDoc> = {
  'cache-control': { type: 'string', description: '`no-store`' }
}
