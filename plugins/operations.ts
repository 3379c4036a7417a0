import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import cors from '@fastify/cors'
import helmet, { type HelmetOptions } from 'helmet'
import type { IncomingMessage, ServerResponse } from 'node:http'
import createError from '@fastify/error'
import { Counter } from 'prom-client'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Config } from '../src/config.js'
import { withProblem } from '../src/lib/errors.js'

export interface OperationsOptions {
  /** Origins allowed by CORS, or '*' for any (no credentials either way). */
  corsOrigins: string[] | '*'
  /** Mean event-loop delay (ms) over one sample above which requests are shed with a 503 (0: never). */
  maxEventLoopDelayMs: number
  /** How often the event loop is sampled, in ms. */
  sampleIntervalMs: number
  /** `retry-after` of a shed request, in seconds. */
  retryAfterSeconds: number
}

/** "a, b" → ['a', 'b']; any `*` → '*'. */
export function parseOrigins (value: string): string[] | '*' {
  const origins = value.split(',').map((s) => s.trim().replace(/\/+$/, '')).filter((s) => s !== '')
  return origins.length === 0 || origins.includes('*') ? '*' : origins
}

export function operationsOptions (config: Config): OperationsOptions {
  return {
    corsOrigins: parseOrigins(config.CORS_ORIGINS),
    maxEventLoopDelayMs: config.MAX_EVENT_LOOP_DELAY_MS,
    sampleIntervalMs: 1000,
    retryAfterSeconds: 5
  }
}

export const ShuttingDownError = createError('FL_SHUTTING_DOWN', 'The service is shutting down; retry shortly', 503)
export const OverloadedError = createError('FL_OVERLOADED', 'The service is overloaded (%s); retry shortly', 503)

/**
 * Security headers for a JSON API (the OWASP REST set): it renders nothing, so no sources, no
 * framing, no forms; HSTS; no MIME sniffing; no referrer; CORP. Helmet's headers that only
 * govern HTML documents in a browser window (COOP, Origin-Agent-Cluster, DNS prefetch, IE's
 * download options, Flash/PDF cross-domain policies, the retired XSS auditor) are left out:
 * they protect nothing on a JSON response and cost bytes on every one. The Swagger UI
 * replaces the content security policy on its own routes.
 */
export const SECURITY_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] }
  },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  // CORP governs no-cors embeds only (storefront fetches use CORS); same-site lets sibling
  // subdomains of the storefront embed responses.
  crossOriginResourcePolicy: { policy: 'same-site' },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false
}

/**
 * The headers helmet sets for `options`, computed once. @fastify/helmet runs helmet's middleware
 * anew for every request, which measured here at 26k → 10k req/s on a trivial route; without
 * per-request nonces the headers never change, so they are applied as one precomputed set.
 */
export function securityHeaders (options: HelmetOptions = SECURITY_OPTIONS): Record<string, string> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader (name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    },
    removeHeader (name: string) { delete headers[name.toLowerCase()] }
  }
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (err?: unknown) => {
    if (err instanceof Error) throw err
    if (err !== undefined && err !== null) throw new Error(String(err))
  })
  return headers
}

/** Headers a storefront may read on a cross-origin response. */
const EXPOSED_HEADERS = [
  'etag', 'x-cache', 'x-cache-tier', 'x-request-id', 'retry-after',
  'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'ratelimit-policy', 'ratelimit'
]

/**
 * What sits in front of every route: load shedding (@fastify/under-pressure: a 503 problem with
 * `retry-after` while the event loop is saturated), CORS for the storefront origins, security
 * headers for a JSON API (helmet's), the request id echoed back, and `connection: close`
 * on responses sent while the service drains, so keep-alive clients move to another instance.
 */
async function operations (fastify: FastifyInstance, opts: OperationsOptions) {
  const shed = new Counter({
    name: 'http_requests_shed_total',
    help: 'Requests refused with 503 because the event loop was saturated',
    labelNames: ['reason'] as const,
    registers: [fastify.metricsRegistry]
  })

  await fastify.register(underPressure, {
    maxEventLoopDelay: opts.maxEventLoopDelayMs,
    sampleInterval: opts.sampleIntervalMs,
    pressureHandler: (request: FastifyRequest, _reply, type, value) => {
      // Routes declaring `shed: false` (liveness, scrapes) answer whatever the load: liveness must
      // not fail because the process is busy, and scrapes show why it is.
      if (request.routeOptions.config.shed === false) return
      shed.inc({ reason: type })
      const detail = type === 'eventLoopDelay' && Number.isFinite(value) ? `event loop delay ${Math.round(value ?? 0)} ms` : type
      return Promise.reject(withProblem(new OverloadedError(detail), { retryAfter: opts.retryAfterSeconds }))
    }
  })

  await fastify.register(cors, {
    origin: opts.corsOrigins,
    methods: 'GET, HEAD, POST, OPTIONS',
    // Joined once here: @fastify/cors joins an array again on every response.
    exposedHeaders: EXPOSED_HEADERS.join(', '),
    credentials: false,
    maxAge: 600,
    // A bare OPTIONS (no Origin) is answered 204 rather than a text/plain 400.
    strictPreflight: false,
    logLevel: 'warn'
  })

  const security = securityHeaders()
  let draining = false
  // Callback hooks: they run on every request and never wait for anything.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(security).header('x-request-id', request.id)
    // A request reaching an open keep-alive connection after SIGTERM: a 503 problem, retry elsewhere.
    done(draining ? withProblem(new ShuttingDownError(), { retryAfter: 1 }) : undefined)
  })
  fastify.addHook('preClose', async () => { draining = true })
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close')
    done(null, payload)
  })
}

export default fp(operations, { name: 'operations', dependencies: ['metrics'] })
