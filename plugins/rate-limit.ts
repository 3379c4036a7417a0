// Longer than most plugins: its two Lua scripts and the two store adapters @fastify/rate-limit
// needs (per-request and leased counting, chosen by RATE_LIMIT_COUNTING) sit beside the
// registration that uses them; the counting itself is src/lib/rate-limit-lease.ts.
import fp from 'fastify-plugin'
import fastifyRateLimit, { normalizeIP, type FastifyRateLimitStore } from '@fastify/rate-limit'
import createError from '@fastify/error'
import { Counter, Gauge } from 'prom-client'
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import type { Config } from '../src/config.js'
import { withProblem } from '../src/lib/errors.js'
import { defineScript } from '../src/lib/redis-script.js'
import { LeasedWindowCounter, type LeaseReply } from '../src/lib/rate-limit-lease.js'

export interface RateLimitOptions {
  /** Requests per window per client IP. */
  max: number
  timeWindowMs: number
  /** At most one "store unavailable" warning per this many ms. */
  warnIntervalMs?: number
  /**
   * `leased` (default): each instance takes quota from the shared Redis counter in chunks and
   * counts locally (src/lib/rate-limit-lease.ts), so the common request makes no Redis call.
   * `per-request`: one Redis call per request, exact to the request, on the request's path.
   */
  counting?: 'leased' | 'per-request'
  /** Clients tracked locally per generation (leased counting); see LeasedWindowCounter. */
  maxTrackedClients?: number
}

export function rateLimitOptions (config: Config): RateLimitOptions {
  return {
    max: config.RATE_LIMIT_MAX,
    timeWindowMs: config.RATE_LIMIT_WINDOW_MS,
    counting: config.RATE_LIMIT_COUNTING
  }
}

export const RateLimitedError = createError('FL_RATE_LIMITED', 'Rate limit of %d requests per %s exceeded; retry in %s', 429)

/**
 * Redis keys: `rate-limit:v1:<client>` for the global budget, `…:<METHOD><url>:<client>` per route.
 * Each counter is one key and both scripts touch only KEYS[1], so on a Redis Cluster every
 * counter lives whole in one slot (a client's counters may sit on different nodes; nothing
 * reads two at once). The count is exact while that slot's master lives; a failover can lose
 * the increments the old master had not yet sent to its replica (replication is asynchronous),
 * which can only admit more in that window, like the fail-open of an outage.
 */
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

/**
 * A lease of ARGV[1] units from the same fixed-window counter: the counter grows by the units
 * (an instance may use those of them at or below the limit), and the reply carries the
 * window's remaining ms. Instances counting per request and by lease can share one counter
 * (a rolling upgrade between the two counts every request once).
 */
const LEASE_SCRIPT = `
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return { total, ttl }
`

/** Policy names of the RateLimit fields: the service-wide limit, or a route's own. */
const DEFAULT_POLICY = '"default"'
const ROUTE_POLICY = '"route"'

/** The draft's `w`: whole seconds, at least 1. */
function windowSeconds (ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000))
}

function windowLabel (ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`
  if (ms % 60_000 === 0) return `${ms / 60_000} min`
  if (ms % 1000 === 0) return `${ms / 1000} s`
  return `${ms} ms`
}

/** IPv6 clients share a budget per /64 (@fastify/rate-limit's default grouping). */
const IPV6_SUBNET = 64
/** Normalised IPv6 keys remembered (the set is emptied when full). */
const MAX_REMEMBERED_KEYS = 10_000

/**
 * The client's key: its IPv4 address as is, an IPv6 address normalised to its /64 as
 * @fastify/rate-limit's default generator does. That default tests every address against the
 * IPv6 grammar (a large regular expression) on every request; here an IPv4 address (no colon)
 * costs nothing and an IPv6 one is normalised once.
 */
function clientKeys (): (request: FastifyRequest) => string {
  const known = new Map<string, string>()
  return (request) => {
    const ip = request.ip
    if (!ip.includes(':')) return ip
    let key = known.get(ip)
    if (key === undefined) {
      if (known.size >= MAX_REMEMBERED_KEYS) known.clear()
      key = normalizeIP(ip, IPV6_SUBNET)
      known.set(ip, key)
    }
    return key
  }
}

/**
 * Per-client-IP rate limit shared by every instance through Redis. The client is `request.ip`,
 * which honours TRUST_PROXY (X-Forwarded-For only when a proxy is trusted); IPv6 clients are
 * grouped by /64. When Redis fails the limiter lets requests through (fail open), skips Redis
 * for a moment so a stalled server adds no latency, and warns at most once a minute.
 *
 * @fastify/rate-limit does the Fastify side (hooks per route, per-route limits and opt-outs,
 * the x-ratelimit-* headers, 429); the counting lives in a custom store. Its store API
 * (`incr(key, callback, timeWindow, max)`, answered by callback) lets the leased store answer
 * from memory at once and reach Redis only when it holds no quota. The IETF draft's
 * `RateLimit-Policy` and `RateLimit` fields are added in onSend from the x-ratelimit-* values,
 * so both families always agree.
 */
async function rateLimit (fastify: FastifyInstance, opts: RateLimitOptions) {
  const warnIntervalMs = opts.warnIntervalMs ?? 60_000
  const health = fastify.redisHealth
  const increment = defineScript<[number, number]>(fastify.redis, { name: 'flRateLimitIncrement', keys: 1, lua: INCREMENT_SCRIPT })
  const leaseCommand = defineScript<[number, number]>(fastify.redis, { name: 'flRateLimitLease', keys: 1, lua: LEASE_SCRIPT })

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

  const counters = new Set<LeasedWindowCounter>()
  fastify.metricsRegistry.registerMetric(new Gauge({
    name: 'rate_limit_tracked_clients',
    help: 'Client windows held in memory by the rate limiter (leased counting)',
    registers: [],
    collect () {
      let n = 0
      for (const c of counters) n += c.size
      this.set(n)
    }
  }))

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
          // Skipped (another caller found Redis failing) or failed here: either way requests
          // pass unchecked, which the (rate-limited) warning reports.
          storeFailed(err)
          callback(err)
        }
      )
    }

    child (routeOptions: RouteOptions & { routeInfo?: { method?: string, url?: string } }): FastifyRateLimitStore {
      const info = routeOptions.routeInfo ?? routeOptions
      return new RedisWindowStore(`${this.prefix}${String(info.method ?? '')}${info.url ?? ''}:`)
    }
  }

  /**
   * Leased counting: answers from this instance's lease of the shared counter; a Redis call
   * only when the lease is empty (then the request waits for it) or running low (then it is
   * topped up in the background).
   */
  class LeasedWindowStore implements FastifyRateLimitStore {
    private readonly counter: LeasedWindowCounter
    private readonly prefix: string
    // @fastify/rate-limit constructs the root store with its settings; children get a prefix.
    constructor (prefix?: unknown) {
      this.prefix = typeof prefix === 'string' ? prefix : KEY_PREFIX
      const lease = async (key: string, units: number, windowMs: number): Promise<LeaseReply> => {
        try {
          const [total, ttlMs] = await health.run(async () => await leaseCommand(this.prefix + key, units, windowMs))
          return { total, ttlMs }
        } catch (err) {
          storeFailed(err as Error)
          throw err
        }
      }
      this.counter = new LeasedWindowCounter({ lease, maxClients: opts.maxTrackedClients })
      counters.add(this.counter)
    }

    incr (key: string, callback: (error: Error | null, result?: { current: number, ttl: number }) => void, timeWindow: number, max: number): void {
      this.counter.take(key, max, timeWindow, (err, decision) => {
        if (err !== null) failedOpen.inc()
        callback(err, decision)
      })
    }

    child (routeOptions: RouteOptions & { routeInfo?: { method?: string, url?: string } }): FastifyRateLimitStore {
      const info = routeOptions.routeInfo ?? routeOptions
      return new LeasedWindowStore(`${this.prefix}${String(info.method ?? '')}${info.url ?? ''}:`)
    }
  }

  await fastify.register(fastifyRateLimit, {
    global: true,
    max: opts.max,
    timeWindow: opts.timeWindowMs,
    hook: 'onRequest',
    keyGenerator: clientKeys(),
    skipOnError: true,
    store: (opts.counting === 'per-request' ? RedisWindowStore : LeasedWindowStore) as unknown as NonNullable<Parameters<typeof fastifyRateLimit>[1]['store']>,
    onExceeded: () => { limited.inc() },
    errorResponseBuilder: (_request, context) => {
      const seconds = Math.max(1, Math.ceil(context.ttl / 1000))
      return withProblem(new RateLimitedError(context.max, windowLabel(opts.timeWindowMs), `${seconds} s`), {
        retryAfter: seconds,
        problem: { limit: context.max, windowSeconds: opts.timeWindowMs / 1000 }
      })
    }
  })

  // RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers) next to the
  // x-ratelimit-* headers, on every response that carries those (429 included): the policy
  // is the route's own when it sets one, else the service-wide "default".
  const defaultWindow = windowSeconds(opts.timeWindowMs)
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const limit = reply.getHeader('x-ratelimit-limit')
    if (limit !== undefined) {
      const own = request.routeOptions.config?.rateLimit
      const ownLimit = typeof own === 'object' && own !== null
      const routeWindow = ownLimit ? own.timeWindow : undefined
      const policy = ownLimit ? ROUTE_POLICY : DEFAULT_POLICY
      const w = typeof routeWindow === 'number' ? windowSeconds(routeWindow) : defaultWindow
      reply.header('ratelimit-policy', `${policy};q=${String(limit)};w=${w}`)
      reply.header('ratelimit', `${policy};r=${String(reply.getHeader('x-ratelimit-remaining'))};t=${String(reply.getHeader('x-ratelimit-reset'))}`)
    }
    done(null, payload)
  })

  // Requests for unknown paths never pass through onRoute; they draw on the same budget, so
  // scanning for URLs is limited like any other traffic. (Operations routes opt out on the
  // route: `config.ops`, src/lib/ops-route.ts.)
  const limitUnrouted = fastify.rateLimit()
  fastify.addHook('onRequest', function rateLimitUnrouted (request, reply, done) {
    if (!request.is404) { done(); return }
    limitUnrouted.call(fastify, request, reply).then(() => { done() }, done)
  })
}

export default fp(rateLimit, { name: 'rate-limit', dependencies: ['redis', 'metrics'] })
