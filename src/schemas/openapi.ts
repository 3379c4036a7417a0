import Type from 'typebox'

/**
 * What the OpenAPI document says about a response beyond its body: a description and the
 * headers it carries. Route modules wrap a response schema in `documented(...)`; the body
 * schema (and so validation, serialisation and the handler's types) stays the same.
 */

/** A response header as @fastify/swagger documents it. */
export interface HeaderDoc { type: 'string' | 'integer', description: string }

/** The body of a 304: none (the representation matches If-None-Match). */
export const NotModified = Type.Null({ description: 'Not Modified: the representation matches If-None-Match; no body' })

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

/**
 * The rate-limit headers of a limited route (plugins/rate-limit.ts), on its successful
 * responses and its 429: the `x-ratelimit-*` family and, carrying the same figures, the IETF
 * draft's structured `RateLimit-Policy` and `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers)
 * that newer clients and gateways read. Both families are exposed through CORS.
 */
export const RATE_LIMIT_HEADERS: Record<string, HeaderDoc> = {
  'x-ratelimit-limit': { type: 'integer', description: 'Requests allowed per window for this client IP' },
  'x-ratelimit-remaining': { type: 'integer', description: 'Requests left in the current window' },
  'x-ratelimit-reset': { type: 'integer', description: 'Seconds until the window resets' },
  'ratelimit-policy': {
    type: 'string',
    description: 'The quota policy (IETF draft `RateLimit-Policy`): `<policy>;q=<requests per window>;w=<window seconds>`, ' +
      'e.g. `"default";q=1000;w=60`; the policy is `"default"` (the service-wide limit) or `"route"` (a route with a limit of its own)'
  },
  ratelimit: {
    type: 'string',
    description: 'The quota left (IETF draft `RateLimit`): `<policy>;r=<requests remaining>;t=<seconds until the window resets>`, ' +
      'e.g. `"default";r=998;t=42`; the same figures as `x-ratelimit-remaining` and `x-ratelimit-reset`'
  }
}
