import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'
import { startBudget, withinBudget, type CallBudget } from '../src/lib/call-budget.js'
import { withProblem, type ProblemExtras } from '../src/lib/errors.js'
import { lastGoodStore, type LiveFeed } from '../src/lib/last-good.js'
import { withRetries, type RetryObserver } from '../src/lib/retry-policy.js'
import { attemptGet, supplierAgent } from '../src/lib/supplier-attempt.js'
import { CIRCUIT_STATE_VALUE, SupplierBreaker, isRejection } from '../src/lib/supplier-breaker.js'
import { resolveUrl, type SupplierEndpoint, type UrlSource } from '../src/lib/supplier-endpoint.js'
import { SupplierCallError, SupplierUnavailableError } from '../src/lib/supplier-errors.js'
import { outcomeOf, supplierMetrics } from '../src/lib/supplier-metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    supplierClient: SupplierClient
  }
}

/** The supplier's product feed as GET /external/products serves it. */
export interface SupplierProducts {
  /** The supplier's JSON body, as it sent it. */
  data: unknown
  /** `live`: fetched for this call; `stale`: the last good response, kept for outages. */
  source: 'live' | 'stale'
  /** When that body arrived from the supplier (ISO 8601). */
  fetchedAt: string
}

export interface SupplierClient {
  /**
   * The product feed: live when the supplier answers (after retries), otherwise the last good
   * response; throws a 503 SupplierUnavailableError (with `retryAfter`) when there is none.
   */
  getProducts (): Promise<SupplierProducts>
}

export interface SupplierClientOptions {
  /** Supplier base URL (the feed is `<baseUrl>/products`). */
  baseUrl: UrlSource
  /** Deadline for one attempt: connect, headers and the whole body. */
  timeoutMs: number
  /** Retries after the first attempt for transient failures. */
  retries: number
  /** Waits before retries: base, 2×base, 4×base … (a Retry-After header replaces them). */
  retryBaseMs: number
  /** How long the breaker stays open before one trial request. */
  breakerResetMs: number
  /**
   * The longest one call may take in all: attempts, waits between them and obtaining the token
   * (default 20 s). Past it the call ends with the stale copy or a 503, never later.
   */
  deadlineMs?: number
  /** How long the last good response is kept in Redis for fallback. */
  staleTtlSeconds?: number
  /** Largest supplier body accepted. */
  maxResponseBytes?: number
  /** Sockets to the supplier. */
  connections?: number
}

export function supplierClientOptions (config: Config, endpoint: SupplierEndpoint): SupplierClientOptions {
  return {
    baseUrl: endpoint.baseUrl,
    timeoutMs: config.SUPPLIER_TIMEOUT_MS,
    retries: config.SUPPLIER_RETRIES,
    retryBaseMs: config.SUPPLIER_RETRY_BASE_MS,
    breakerResetMs: config.BREAKER_RESET_MS,
    deadlineMs: config.SUPPLIER_DEADLINE_MS
  }
}

/**
 * The road of one call: the breaker (src/lib/supplier-breaker.ts) runs `fetchLive` within the
 * call's deadline (call-budget.ts); `fetchLive` obtains the token and makes attempts
 * (supplier-attempt.ts) under the retry policy (retry-policy.ts), refreshing the token once on
 * a 401. A failed call falls back to the last good response (last-good.ts).
 */
async function supplierClient (fastify: FastifyInstance, opts: SupplierClientOptions) {
  const deadlineMs = opts.deadlineMs ?? 20_000
  const agent = supplierAgent(opts)
  const metrics = supplierMetrics(fastify.metricsRegistry)
  const lastGood = lastGoodStore({
    redis: fastify.redis,
    health: fastify.redisHealth,
    ttlSeconds: opts.staleTtlSeconds ?? 24 * 60 * 60,
    onStoreError: (err) => fastify.log.debug({ err }, 'could not keep the supplier response in Redis; kept in memory only')
  })
  const retryObserver: RetryObserver = {
    retrying ({ attempt, reason, waitMs }) {
      metrics.retries.inc()
      fastify.log.warn({ attempt, reason, waitMs }, 'supplier attempt failed; retrying')
    },
    givingUp (notice) {
      fastify.log.warn(notice, 'supplier attempt failed; the next would start past the deadline')
    }
  }

  // Aborted on close: cancels attempts in flight and waits between retries.
  const closing = new AbortController()
  /** The call in progress, shared by concurrent callers. */
  let inflight: Promise<SupplierProducts> | undefined

  /** The token, waited for no longer than the call's deadline. */
  async function accessToken (budget: CallBudget): Promise<string> {
    try {
      return (await withinBudget(fastify.oauthToken.getToken(), budget, 'while obtaining the access token')).accessToken
    } catch (err) {
      if (err instanceof SupplierCallError) throw err
      // The provider's unavailability is transient (network, timeout, 5xx) or final (4xx,
      // malformed answer), as the token manager tells.
      const transient = (err as { transient?: unknown }).transient === true
      throw new SupplierCallError('token', 'no access token could be obtained', { cause: err, transient })
    }
  }

  /**
   * The whole attempt sequence the breaker guards, with one token refresh on a 401. The
   * half-open trial is a single attempt, so that a supplier still down is found out at once.
   */
  async function fetchLive (budget: CallBudget): Promise<LiveFeed> {
    const url = new URL(resolveUrl(opts.baseUrl).replace(/\/+$/, '') + '/products')
    const get = async (token: string) => await attemptGet(agent, url, token, opts.timeoutMs, budget)
    const retries = breaker.halfOpen ? 0 : opts.retries
    let refreshed = false
    return await withRetries(async () => {
      const token = await accessToken(budget)
      let data: unknown
      try {
        data = await get(token)
      } catch (err) {
        if (!(err instanceof SupplierCallError) || err.kind !== 'unauthorized' || refreshed) throw err
        refreshed = true
        fastify.log.info('supplier rejected the access token; retrying once with a fresh one')
        await fastify.oauthToken.invalidate(token).catch(() => {})
        data = await get(await accessToken(budget))
      }
      return { data, fetchedAt: new Date().toISOString() }
    }, { retries, retryBaseMs: opts.retryBaseMs }, budget, retryObserver)
  }

  const breaker = new SupplierBreaker(fetchLive, {
    resetMs: opts.breakerResetMs,
    onTransition (state) {
      metrics.circuit.set(CIRCUIT_STATE_VALUE[state])
      if (state === 'open') fastify.log.warn({ retryInMs: opts.breakerResetMs }, 'supplier circuit opened; calls fail fast until a trial')
      else if (state === 'half-open') fastify.log.info('supplier circuit half-open; the next call is a trial')
      else fastify.log.info('supplier circuit closed')
    }
  })

  function unavailable (err: unknown): Error & ProblemExtras {
    const reason = isRejection(err)
      ? 'the circuit is open after repeated failures'
      : err instanceof SupplierCallError ? err.message : 'the call failed'
    return withProblem(new SupplierUnavailableError(reason), {
      retryAfter: breaker.retryAfterSeconds(),
      problem: { circuit: breaker.state }
    })
  }

  /** One call: live within a fresh deadline, else the last good response, else a 503. */
  async function load (): Promise<SupplierProducts> {
    const { budget, end } = startBudget(deadlineMs, closing.signal)
    let live: LiveFeed | undefined
    let failure: unknown
    try {
      live = await breaker.fire(budget)
    } catch (err) {
      failure = err
    } finally {
      end()
    }
    if (live !== undefined) {
      metrics.requests.labels('success').inc()
      await lastGood.remember(live)
      return { data: live.data, source: 'live', fetchedAt: live.fetchedAt }
    }
    metrics.requests.labels(outcomeOf(failure)).inc()
    const stale = await lastGood.recall()
    if (stale !== undefined) {
      metrics.requests.labels('fallback').inc()
      fastify.log.warn({ reason: (failure as Error).message, fetchedAt: stale.fetchedAt }, 'supplier unavailable; serving its last good response')
      return { data: stale.data, source: 'stale', fetchedAt: stale.fetchedAt }
    }
    throw unavailable(failure)
  }

  fastify.decorate('supplierClient', {
    // Concurrent callers share one call to the supplier instead of each starting their own.
    getProducts () {
      inflight ??= load().finally(() => { inflight = undefined })
      return inflight
    }
  } satisfies SupplierClient)

  fastify.addHook('onClose', async () => {
    closing.abort()
    breaker.shutdown()
    await agent.close()
  })
}

export default fp(supplierClient, { name: 'supplier-client', dependencies: ['oauth-token', 'redis', 'metrics'] })
