// Longer than most plugins: it holds what the OpenAPI document says beyond the route schemas
// (shared responses, headers, tags, the UI's own security policy) as data, next to the code
// that applies it.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify'
import type { Config } from '../src/config.js'
import { Problem } from '../src/schemas/problem.js'
import { SHARED_SCHEMAS } from '../src/schemas/index.js'
import { RATE_LIMIT_HEADERS } from '../src/schemas/openapi.js'
import { sharedSchemas } from '../src/lib/openapi-refs.js'
import { asOpsRoute } from '../src/lib/ops-route.js'

export interface DocsOptions {
  title: string
  version: string
  /** Swagger UI at this path, the document at `<prefix>/json`. */
  routePrefix: string
  /** Routes under these prefixes are left out of the document (test doubles, internals). */
  hiddenPrefixes: string[]
}

/** The service's own version, from the package.json above this file (in source or dist/). */
export function packageVersion (): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string, version?: string }
      if (pkg.name === 'farmlokal-service' && typeof pkg.version === 'string') return pkg.version
    } catch { /* not here: look one level up */ }
    dir = path.dirname(dir)
  }
  return '0.0.0'
}

export function docsOptions (_config: Config): DocsOptions {
  return { title: 'FarmLokal service', version: packageVersion(), routePrefix: '/docs', hiddenPrefixes: ['/sandbox'] }
}

/** Descriptions of the tags the route modules use; a tag no operation uses is left out. */
const TAGS = [
  { name: 'catalog', description: 'The product catalog: keyset-paged, filtered, sorted and cached' },
  { name: 'products', description: 'The product catalog: keyset-paged, filtered, sorted and cached' },
  { name: 'orders', description: 'Order status as moved by the order webhooks' },
  { name: 'webhooks', description: 'Order updates pushed by order providers (Standard Webhooks signatures)' },
  { name: 'supplier', description: 'The external supplier API behind OAuth2, retries and a circuit breaker' },
  { name: 'auth', description: 'The supplier access token as held by the token manager' },
  { name: 'operations', description: 'Health and readiness probes' }
]

const RateLimited = {
  ...Problem,
  description: 'Rate limit exceeded for this client IP (application/problem+json); retry after `retry-after` seconds',
  headers: {
    ...RATE_LIMIT_HEADERS,
    'retry-after': { type: 'integer', description: 'Seconds to wait before retrying' }
  }
}

const Unexpected = { ...Problem, description: 'Unexpected error (application/problem+json); details are logged with the request id, never sent' }

const RETRY_AFTER = { 'retry-after': { type: 'integer', description: 'Seconds to wait before retrying' } }

const Overloaded = {
  ...Problem,
  description: 'The service is overloaded or a dependency is unavailable (application/problem+json)',
  headers: RETRY_AFTER
}

/** Set on every response by plugins/operations.ts: the caller's own id, or one generated. */
const REQUEST_ID = { 'x-request-id': { type: 'string', description: 'The request id (the caller\'s `x-request-id`, or a generated UUID); logs carry it' } }

/** Descriptions of the responses a route declares without one. */
const STATUS_DESCRIPTIONS: Record<string, string> = {
  200: 'OK',
  304: 'Not Modified: the representation matches `if-none-match`; no body',
  400: 'Invalid request: the detail names the parameter (application/problem+json)',
  401: 'Missing or invalid signature (application/problem+json)',
  404: 'Not found (application/problem+json)',
  409: 'Conflict (application/problem+json)',
  413: 'Body too large (application/problem+json)',
  415: 'Unsupported content type (application/problem+json)',
  502: 'An upstream party failed (application/problem+json)',
  503: 'A dependency is unavailable; retry after `retry-after` seconds (application/problem+json)'
}

type ResponseMap = Record<string, Record<string, unknown>>

/**
 * The document as the route schemas say, plus what the service adds to every route: the
 * rate-limit headers and 429 on limited routes, 503 when overloaded (routes that are shed),
 * 500 on unexpected errors.
 * The route schemas themselves are never modified.
 */
function documentRoute (schema: FastifySchema | undefined, route: RouteOptions): FastifySchema {
  const declared = (schema?.response ?? {}) as ResponseMap
  const limited = route.config?.rateLimit !== false
  const response: ResponseMap = {}
  for (const [status, body] of Object.entries(declared)) {
    const headers = body.headers as Record<string, unknown> | undefined
    const error = status.startsWith('4') || status.startsWith('5')
    // A bare Problem says only what a problem is: the status code says more.
    const described = body !== (Problem as unknown) && typeof body.description === 'string'
    response[status] = {
      ...body,
      description: described ? body.description : STATUS_DESCRIPTIONS[status] ?? body.description,
      headers: { ...(limited && !error ? RATE_LIMIT_HEADERS : {}), ...(status === '503' ? RETRY_AFTER : {}), ...headers }
    }
  }
  if (limited) response['429'] ??= RateLimited
  if (route.config?.shed !== false) response['503'] ??= Overloaded
  response['500'] ??= Unexpected
  for (const [status, body] of Object.entries(response)) {
    response[status] = { ...body, headers: { ...REQUEST_ID, ...(body.headers as Record<string, unknown> | undefined) } }
  }
  return { ...schema, response }
}

/** The route's schema as the document shows it: shared shapes replaced by references. */
function referShared (schema: FastifySchema, refer: ReturnType<typeof sharedSchemas>['refer']): FastifySchema {
  const response: ResponseMap = {}
  for (const [status, body] of Object.entries((schema.response ?? {}) as ResponseMap)) {
    response[status] = refer(body, { response: true }) as Record<string, unknown>
  }
  return { ...schema, ...(schema.body !== undefined ? { body: refer(schema.body) } : {}), response }
}

/**
 * Error responses are problem documents: labelled with their real media type. Only the tags
 * some operation uses are listed.
 */
function finishDocument (document: Record<string, unknown>): Record<string, unknown> {
  const paths = (document.paths ?? {}) as Record<string, Record<string, { responses?: ResponseMap, tags?: string[] }>>
  const used = new Set<string>()
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      for (const tag of operation.tags ?? []) used.add(tag)
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const content = response.content as Record<string, unknown> | undefined
        // Whatever a route produces when it succeeds (JSON, Prometheus text), errors are problems.
        const media = content === undefined ? undefined : content['application/json'] ?? Object.values(content)[0]
        if (Number(status.slice(0, 1)) >= 4 && media !== undefined && content?.['application/problem+json'] === undefined) {
          response.content = { 'application/problem+json': media }
        }
      }
    }
  }
  const tags = (document.tags ?? []) as Array<{ name: string }>
  document.tags = tags.filter((tag) => used.has(tag.name))
  return document
}

/**
 * OpenAPI 3.1 document generated from the TypeBox route schemas (`/docs/json`) and the Swagger
 * UI (`/docs`). The UI gets a content security policy of its own; the API keeps the strict one.
 */
async function docs (fastify: FastifyInstance, opts: DocsOptions) {
  const hiddenByPrefix = (url: string): boolean =>
    url.startsWith(opts.routePrefix) || opts.hiddenPrefixes.some((p) => url.startsWith(p))

  // The shared shapes, named: `components.schemas` of the document, referenced wherever a
  // route's schema uses one of them.
  const shared = sharedSchemas(SHARED_SCHEMAS)
  for (const schema of shared.registered) fastify.addSchema(schema)

  /** The OpenAPI document as sent, serialized once (routes no longer change after start-up). */
  let documentBytes: Buffer | undefined
  fastify.addHook('onRoute', (route) => {
    if (!route.url.startsWith(opts.routePrefix)) return
    // The document and the UI's files are operations routes (registered by @fastify/swagger-ui,
    // so the rules are applied here): unlimited, and a flood of fetches is answered at a bounded pace.
    asOpsRoute(route)
    // @fastify/swagger-ui re-serializes the (cached) document for every request; a flood of
    // `/docs/json` requests would keep the event loop busy with it. Serve one Buffer instead:
    // serialized and encoded once, its length known, so a fetch costs one socket write.
    if (route.url === `${opts.routePrefix}/json`) {
      route.handler = async function documentJson (_request, reply) {
        documentBytes ??= Buffer.from(JSON.stringify(fastify.swagger()))
        return await reply.type('application/json; charset=utf-8').send(documentBytes)
      }
    }
  })

  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: opts.title,
        version: opts.version,
        description: 'Catalog and integrations backend of FarmLokal. Every 4xx/5xx is an RFC 9457 problem ' +
          '(`application/problem+json`). API routes are rate limited per client IP and report the ' +
          '`x-ratelimit-*` headers and the IETF draft\'s `RateLimit-Policy` and `RateLimit`.'
      },
      tags: TAGS
    },
    // Shared schemas are listed under their own name (their `$id`) rather than `def-<n>`.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}`
    },
    transform: ({ schema, url, route }) => ({
      url,
      schema: hiddenByPrefix(url) ? { ...schema, hide: true } : referShared(documentRoute(schema, route), shared.refer)
    }),
    transformObject: (documentObject) => {
      const document = 'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject
      return finishDocument(document as Record<string, unknown>)
    }
  })

  await fastify.register(swaggerUi, {
    routePrefix: opts.routePrefix,
    uiConfig: { docExpansion: 'list', deepLinking: true, displayRequestDuration: true },
    // The UI's own policy (its inline scripts by hash), minus the upgrade to https, which would
    // break the page on a plain-HTTP deployment.
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, '')
  })
}

export default fp(docs, { name: 'docs' })
