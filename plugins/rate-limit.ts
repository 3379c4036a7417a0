import fp from 'fastify-plugin'
import fastifyRateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit'
import createError from '@fastify/error'
import { Counter } from 'prom-client'
import type { FastifyInstance, RouteOptions } from 'fastify'
import type { Config } from '../src/config.js'
import { RedisSkippedError } from '../src/lib/redis-health.js'

export interface RateLimitOptions {
  /** Requests per window per client IP. */
  max: number
  timeWindowMs: number
  /** Paths (exact, or a prefix when ending in `*`) that are never limited. */
  exempt?: string[]
  /** At most one "store unavailable" warning per this many ms. */
  warnIntervalMs?: number
}

/** The operations routes: scraped, probed and browsed by machines and operators, never limited. */
export const EXEMPT_PATHS = ['/metrics', '/health', '/ready', '/docs', '/docs/*']

export function rateLimitOptions (config: Config): RateLimitOptions {
  return { max: config.RATE_LIMIT_MAX, timeWindowMs: config.RATE_LIMIT_WINDOW_MS, exempt: EXEMPT_PATHS }
}

export const RateLimitedError = createError('FL_RATE_LIMITED', 'Rate limit of %d requests per %s exceeded; retry in %s', 429)

/** Redis keys: `rate-limit:v1:<client>` for the global budget, `…:<METHOD><url>:<client>` per route. */
const KEY_PREFIX = 'rate-limit:v1:'

/**
 * Fixed window: the first hit of a window creates the counter with the window as its expiry.
 * A counter found without an expiry (an interrupted earlier write) gets one, so no client is
 * ever locked out for good. Returns the count and the milliseconds left in the window.
 */
const INCREMENT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }
`

type IncrementCommand = (key: string, windowMs: number) => Promise<[number, number]>

function isExempt (url: string, exempt: string[]): boolean {
  return exempt.some((p) => p.endsWith('*') ? url.startsWith(p.slice(0, -1)) : url === p)
}

function windowLabel (ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`
  if (ms % 60_000 === 0) return `${ms / 60_000} min`
  if (ms % 1000 === 0) return `${ms / 1000} s`
  return `${ms} ms`
}

/**
 * Per-client-IP rate limit shared by every instance through Redis. The client is `request.ip`,
 * which honours TRUST_PROXY (X-Forwarded-For only when a proxy is trusted); IPv6 clients are
 * grouped by /64. When Redis fails the limiter lets requests through (fail open), skips Redis
 * for a moment so a stalled server adds no latency, and warns at most once a minute.
 */
async function rateLimit (fastify: FastifyInstance, opts: RateLimitOptions) {
  const exempt = opts.exempt ?? EXEMPT_PATHS
  const warnIntervalMs = opts.warnIntervalMs ?? 60_000
  const health = fastify.redisHealth
  const redis = fastify.redis as typeof fastify.redis & { flRateLimitIncrement?: IncrementCommand }
  if (redis.flRateLimitIncrement === undefined) {
    redis.defineCommand('flRateLimitIncrement', { numberOfKeys: 1, lua: INCREMENT_SCRIPT })
  }
  const increment = (redis.flRateLimitIncrement as IncrementCommand).bind(redis)

  const limited = new Counter({
    name: 'rate_limit_exceeded_total',
    help: 'Requests refused with 429 by the rate limiter',
    registers: [fastify.metricsRegistry]
  })
  const failedOpen = new Counter({
    name: 'rate_limit_fail_open_total',
    help: 'Requests let through unchecked because the rate-limit store (Redis) was unavailable',
    registers: [fastify.metricsRegistry]
  })

  let lastWarning = Number.NEGATIVE_INFINITY
  let suppressed = 0

  function storeFailed (err: Error & { code?: string }): void {
    const now = Date.now()
    if (now - lastWarning < warnIntervalMs) { suppressed++; return }
    lastWarning = now
    fastify.log.warn({ err: { code: err.code, message: err.message }, suppressedSinceLastWarning: suppressed },
      'rate-limit store (Redis) unavailable; letting requests through unchecked')
    suppressed = 0
  }

  class RedisWindowStore implements FastifyRateLimitStore {
    private readonly prefix: string
    // @fastify/rate-limit constructs the root store with its settings; children get a prefix.
    constructor (prefix?: unknown) {
      this.prefix = typeof prefix === 'string' ? prefix : KEY_PREFIX
    }

    incr (key: string, callback: (error: Error | null, result?: { current: number, ttl: number }) => void, timeWindow: number): void {
      health.run(async () => await increment(this.prefix + key, timeWindow)).then(
        ([current, ttl]) => { callback(null, { current, ttl }) },
        (err: Error) => {
          failedOpen.inc()
          if (!(err instanceof RedisSkippedError)) storeFailed(err)
          callback(err)
        }
      )
    }

    child (routeOptions: RouteOptions & { routeInfo?: { method?: string, url?: string } }): FastifyRateLimitStore {
      const info = routeOptions.routeInfo ?? routeOptions
      return new RedisWindowStore(`${this.prefix}${String(info.method ?? '')}${info.url ?? ''}:`)
    }
  }

  // Runs before @fastify/rate-limit's own onRoute hook, so the ops routes are exempt even when
  // their module (or a third-party plugin such as the Swagger UI) did not say so.
  fastify.addHook('onRoute', (route) => {
    if (route.config?.rateLimit === undefined && isExempt(route.url ?? route.path, exempt)) {
      route.config = { ...route.config, rateLimit: false }
    }
  })

  await fastify.register(fastifyRateLimit, {
    global: true,
    max: opts.max,
    timeWindow: opts.timeWindowMs,
    hook: 'onRequest',
    skipOnError: true,
    store: RedisWindowStore as unknown as NonNullable<Parameters<typeof fastifyRateLimit>[1]['store']>,
    onExceeded: () => { limited.inc() },
    errorResponseBuilder: (_request, context) => {
      const seconds = Math.max(1, Math.ceil(context.ttl / 1000))
      return Object.assign(new RateLimitedError(context.max, windowLabel(opts.timeWindowMs), `${seconds} s`), {
        retryAfter: seconds,
        problem: { limit: context.max, windowSeconds: opts.timeWindowMs / 1000 }
      })
    }
  })

  // Requests for unknown paths never pass through onRoute; they draw on the same budget, so
  // scanning for URLs is limited like any other traffic.
  const limitUnrouted = fastify.rateLimit()
  fastify.addHook('onRequest', async function rateLimitUnrouted (request, reply) {
    if (request.is404 && !isExempt(request.url.split('?')[0], exempt)) await limitUnrouted.call(fastify, request, reply)
  })
}

export default fp(rateLimit, { name: 'rate-limit', dependencies: ['redis', 'metrics'] })
