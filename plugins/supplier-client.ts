import { EventEmitter } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import CircuitBreaker from 'opossum'
import { Counter, Gauge } from 'prom-client'
import { Agent } from 'undici'
import type { FastifyInstance } from 'fastify'
import { supplierSettings, type Config } from '../src/config.js'
import { retryDelay, secondsUntil } from '../src/lib/backoff.js'
import { SupplierCallError, SupplierUnavailableError } from '../src/lib/supplier-errors.js'
import { withProblem, type ProblemExtras } from '../src/lib/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    supplierClient: SupplierClient
  }
}

export type CircuitState = 'closed' | 'half-open' | 'open'

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
  /** The breaker's state and, while open, when (epoch ms) its next trial may run. */
  circuit (): { state: CircuitState, nextTrialAt: number | undefined }
  /** Emits `state` with the new CircuitState at every breaker transition. */
  readonly events: EventEmitter
}

export interface SupplierClientOptions {
  /**
   * Supplier base URL, or a function giving it from the port the service listens on (the
   * built-in sandbox lives on this very service); resolved at the first call after listen.
   */
  baseUrl: string | ((port?: number) => string)
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

export function supplierClientOptions (config: Config): SupplierClientOptions {
  return {
    baseUrl: config.SUPPLIER_BASE_URL !== undefined
      ? supplierSettings(config).baseUrl
      : (port?: number) => supplierSettings(config, port).baseUrl,
    timeoutMs: config.SUPPLIER_TIMEOUT_MS,
    retries: config.SUPPLIER_RETRIES,
    retryBaseMs: config.SUPPLIER_RETRY_BASE_MS,
    breakerResetMs: config.BREAKER_RESET_MS,
    deadlineMs: config.SUPPLIER_DEADLINE_MS
  }
}

interface LiveFeed { data: unknown, fetchedAt: string }

/** One call's overall deadline: an epoch ms and a signal that fires then (or on close). */
interface CallBudget { until: number, signal: AbortSignal }

/** Redis key of the last good response (bump v1 when its shape changes). */
export const LAST_GOOD_KEY = 'supplier:v1:products:last-good'

const OUTCOMES = ['success', 'failure', 'timeout', 'client_error', 'rejected', 'fallback'] as const
type Outcome = typeof OUTCOMES[number]
const STATE_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 }

/*
 * Why a small loop rather than undici's RetryAgent: its retries share one AbortSignal for the
 * whole sequence, so a per-attempt deadline covering connect, headers and body can only be
 * approximated by idle timers (headersTimeout/bodyTimeout restart on every chunk); a failure
 * after the headers is resumed with Range requests a JSON feed does not support; and the 401
 * token refresh and the breaker's half-open trial without retries need hooks it does not have.
 */
async function supplierClient (fastify: FastifyInstance, opts: SupplierClientOptions) {
  const staleTtlSeconds = opts.staleTtlSeconds ?? 24 * 60 * 60
  const deadlineMs = opts.deadlineMs ?? 20_000
  const health = fastify.redisHealth
  const agent = new Agent({
    connections: opts.connections ?? 16,
    // Our own deadline per attempt (below) is the real bound; these only back it up.
    connect: { timeout: opts.timeoutMs },
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: 4_000,
    maxResponseSize: opts.maxResponseBytes ?? 10 * 1024 * 1024
  })

  const requests = new Counter({
    name: 'supplier_requests_total',
    help: 'Calls for the supplier product feed by outcome: success, failure (retries exhausted or ' +
      'unusable answer), timeout (last attempt timed out), client_error (a 3xx/4xx not retried), ' +
      'rejected (circuit open: the supplier was not called); fallback counts stale responses served, ' +
      'in addition to the outcome that caused them',
    labelNames: ['outcome'],
    registers: [fastify.metricsRegistry]
  })
  for (const outcome of OUTCOMES) requests.labels(outcome).inc(0)
  const retriesTotal = new Counter({
    name: 'supplier_retries_total',
    help: 'Attempts made to the supplier after a transient failure (the first attempt not counted)',
    registers: [fastify.metricsRegistry]
  })
  const circuitGauge = new Gauge({
    name: 'supplier_circuit_state',
    help: 'Supplier circuit breaker: 0 closed, 1 half-open, 2 open',
    registers: [fastify.metricsRegistry]
  })
  circuitGauge.set(0)

  // Aborted on close: cancels attempts in flight and waits between retries.
  const closing = new AbortController()
  let resolvedBaseUrl: string | undefined
  /** This instance's copy of the last good response (Redis holds the shared one). */
  let lastGood: LiveFeed | undefined
  /** The call in progress, shared by concurrent callers. */
  let inflight: Promise<SupplierProducts> | undefined

  function baseUrl (): string {
    if (resolvedBaseUrl !== undefined) return resolvedBaseUrl
    if (typeof opts.baseUrl === 'string') {
      resolvedBaseUrl = opts.baseUrl.replace(/\/+$/, '')
      return resolvedBaseUrl
    }
    const address = fastify.server.address()
    if (address !== null && typeof address === 'object') {
      resolvedBaseUrl = opts.baseUrl(address.port)
      return resolvedBaseUrl
    }
    // Not listening yet (e.g. inject): the configured port, not remembered.
    return opts.baseUrl()
  }

  /** The call's deadline passed (or the service is closing) while waiting for `what`. */
  function budgetSpent (budget: CallBudget, what: string, cause?: unknown): SupplierCallError {
    if (closing.signal.aborted) return new SupplierCallError('closing', 'the service is shutting down', { cause })
    return new SupplierCallError('deadline', `the call's deadline of ${deadlineMs} ms passed ${what}`, { cause })
  }

  /**
   * The token, waited for no longer than the call's deadline. The lookup itself is shared with
   * other callers and bounded by its own timeout, so it is left to finish for them.
   */
  async function accessToken (budget: CallBudget): Promise<string> {
    const lookup = fastify.oauthToken.getToken()
    let onAbort: (() => void) | undefined
    const spent = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(budgetSpent(budget, 'while obtaining the access token'))
      if (budget.signal.aborted) onAbort()
      else budget.signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return (await Promise.race([lookup, spent])).accessToken
    } catch (err) {
      if (err instanceof SupplierCallError) throw err
      // The provider's unavailability is transient (network, timeout, 5xx) or final (4xx,
      // malformed answer), as the token manager tells.
      const transient = (err as { transient?: unknown }).transient === true
      throw new SupplierCallError('token', 'no access token could be obtained', { cause: err, transient })
    } finally {
      lookup.catch(() => {})
      if (onAbort !== undefined) budget.signal.removeEventListener('abort', onAbort)
    }
  }

  /**
   * One GET, bounded as a whole by timeoutMs (or by what is left of the call's deadline, when
   * less); resolves with the parsed JSON body.
   */
  async function attempt (url: URL, token: string, budget: CallBudget): Promise<unknown> {
    const deadline = new AbortController()
    let timedOut = false
    const timer = setTimeout(() => { timedOut = true; deadline.abort() }, Math.max(0, Math.min(opts.timeoutMs, budget.until - Date.now())))
    const onClose = () => deadline.abort()
    budget.signal.addEventListener('abort', onClose)
    try {
      const res = await agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'GET',
        headers: { accept: 'application/json', authorization: `Bearer ${token}` },
        signal: deadline.signal
      })
      const status = res.statusCode
      if (status >= 200 && status < 300) {
        const text = await res.body.text()
        try {
          return JSON.parse(text) as unknown
        } catch {
          throw new SupplierCallError('bad-response', `supplier answered ${status} with a body that is not JSON`, { status })
        }
      }
      await res.body.dump().catch(() => {})
      if (status === 401) throw new SupplierCallError('unauthorized', 'supplier rejected the access token (401)', { status })
      const retryAfter = res.headers['retry-after']
      throw new SupplierCallError('status', `supplier answered ${status}`, { status, ...(retryAfter !== undefined ? { retryAfter } : {}) })
    } catch (err) {
      if (err instanceof SupplierCallError) throw err
      if (closing.signal.aborted) throw new SupplierCallError('closing', 'the service is shutting down', { cause: err })
      if (budget.signal.aborted && !timedOut) throw budgetSpent(budget, 'during an attempt', err)
      const code = (err as { code?: string }).code
      if (timedOut || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
        throw new SupplierCallError('timeout', `supplier did not answer within ${opts.timeoutMs} ms`, { cause: err })
      }
      if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') throw new SupplierCallError('bad-response', 'supplier body is too large', { cause: err })
      throw new SupplierCallError('network', `supplier unreachable (${code ?? (err as Error).name})`, { cause: err })
    } finally {
      clearTimeout(timer)
      budget.signal.removeEventListener('abort', onClose)
    }
  }

  /**
   * The whole attempt sequence the breaker guards: up to `retries` retries of transient failures
   * (the token's included) with backoff, and one token refresh on a 401, all within the call's
   * deadline: a wait that would end past it is not begun. The half-open trial is a single
   * attempt, so that a supplier still down is found out at once.
   */
  async function fetchLive (budget: CallBudget): Promise<LiveFeed> {
    const url = new URL(baseUrl() + '/products')
    const retries = breaker.halfOpen ? 0 : opts.retries
    let refreshed = false
    for (let retry = 0; ; retry++) {
      try {
        const token = await accessToken(budget)
        let data: unknown
        try {
          data = await attempt(url, token, budget)
        } catch (err) {
          if (!(err instanceof SupplierCallError) || err.kind !== 'unauthorized' || refreshed) throw err
          refreshed = true
          fastify.log.info('supplier rejected the access token; retrying once with a fresh one')
          await fastify.oauthToken.invalidate(token).catch(() => {})
          data = await attempt(url, await accessToken(budget), budget)
        }
        return { data, fetchedAt: new Date().toISOString() }
      } catch (err) {
        const failure = err as SupplierCallError
        if (!(failure instanceof SupplierCallError) || !failure.retryable || retry >= retries) throw failure
        const waitMs = retryDelay(retry, opts.retryBaseMs, failure.retryAfter)
        const leftMs = budget.until - Date.now()
        if (waitMs >= leftMs) {
          fastify.log.warn({ attempt: retry + 1, reason: failure.message, waitMs, leftMs }, 'supplier attempt failed; the next would start past the deadline')
          throw failure
        }
        retriesTotal.inc()
        fastify.log.warn({ attempt: retry + 1, reason: failure.message, waitMs }, 'supplier attempt failed; retrying')
        await sleep(waitMs, undefined, { signal: budget.signal }).catch((cause: unknown) => {
          throw budgetSpent(budget, 'while waiting to retry', cause)
        })
      }
    }
  }

  const breaker = new CircuitBreaker<[CallBudget], LiveFeed>(fetchLive, {
    name: 'supplier',
    // Each attempt has its own deadline that really cancels it; opossum's timer would not.
    timeout: false,
    resetTimeout: opts.breakerResetMs,
    // A call fails only once every retry has failed too (SUPPLIER_RETRIES + 1 transient failures
    // in a row, over several seconds) or its deadline passed: that alone shows the supplier is
    // down, so any failed call opens the circuit. Answers that say nothing about its health (4xx)
    // are filtered out below. Opossum judges by counts in a rolling window, and a call longer
    // than the window falls out of it before it fails; load() therefore also opens the circuit
    // itself on such a failure.
    errorThresholdPercentage: 0,
    volumeThreshold: 1,
    rollingCountTimeout: 10_000,
    errorFilter: (err: unknown) => err instanceof SupplierCallError && err.definite
  })

  let state: CircuitState = 'closed'
  let nextTrialAt: number | undefined
  const events = new EventEmitter()
  function transition (next: CircuitState) {
    state = next
    nextTrialAt = next === 'open' ? Date.now() + opts.breakerResetMs : undefined
    circuitGauge.set(STATE_VALUE[next])
    events.emit('state', next)
  }
  breaker.on('open', () => {
    transition('open')
    fastify.log.warn({ retryInMs: opts.breakerResetMs }, 'supplier circuit opened; calls fail fast until a trial')
  })
  breaker.on('halfOpen', () => {
    transition('half-open')
    fastify.log.info('supplier circuit half-open; the next call is a trial')
  })
  breaker.on('close', () => {
    transition('closed')
    fastify.log.info('supplier circuit closed')
  })

  async function remember (live: LiveFeed): Promise<void> {
    lastGood = live
    try {
      await health.run(async () => await fastify.redis.set(LAST_GOOD_KEY, JSON.stringify(live), 'EX', staleTtlSeconds))
    } catch (err) {
      fastify.log.debug({ err }, 'could not keep the supplier response in Redis; kept in memory only')
    }
  }

  function parseKept (raw: string | null): LiveFeed | undefined {
    if (raw === null) return undefined
    try {
      const kept = JSON.parse(raw) as Partial<LiveFeed>
      if (typeof kept.fetchedAt === 'string' && 'data' in kept) return { data: kept.data, fetchedAt: kept.fetchedAt }
    } catch {}
    return undefined
  }

  /** The newest good response known: shared in Redis, or this instance's own copy. */
  async function recall (): Promise<LiveFeed | undefined> {
    const shared = await health.run(async () => await fastify.redis.get(LAST_GOOD_KEY)).then(parseKept, () => undefined)
    if (shared === undefined) return lastGood
    if (lastGood === undefined) return shared
    return Date.parse(lastGood.fetchedAt) > Date.parse(shared.fetchedAt) ? lastGood : shared
  }

  function outcomeOf (err: unknown): Outcome {
    if ((err as { code?: string }).code === 'EOPENBREAKER') return 'rejected'
    if (err instanceof SupplierCallError) {
      if (err.kind === 'timeout' || err.kind === 'deadline') return 'timeout'
      if (err.definite) return 'client_error'
    }
    return 'failure'
  }

  function unavailable (err: unknown): Error & ProblemExtras {
    const reason = (err as { code?: string }).code === 'EOPENBREAKER'
      ? 'the circuit is open after repeated failures'
      : err instanceof SupplierCallError ? err.message : 'the call failed'
    return withProblem(new SupplierUnavailableError(reason), {
      retryAfter: state === 'open' && nextTrialAt !== undefined ? secondsUntil(nextTrialAt) : 1,
      problem: { circuit: state }
    })
  }

  /** Runs `fetchLive` under the breaker within a fresh deadline of `deadlineMs`. */
  async function fireWithin (): Promise<LiveFeed> {
    const timer = new AbortController()
    const budget: CallBudget = { until: Date.now() + deadlineMs, signal: AbortSignal.any([timer.signal, closing.signal]) }
    const clock = setTimeout(() => timer.abort(), deadlineMs)
    try {
      return await breaker.fire(budget)
    } catch (err) {
      // A call that failed for the supplier's sake (not a 4xx it meant, not our shutdown) opens
      // the circuit, however long it took.
      if (err instanceof SupplierCallError && !err.definite && !breaker.opened) breaker.open()
      throw err
    } finally {
      clearTimeout(clock)
    }
  }

  async function load (): Promise<SupplierProducts> {
    let failure: unknown
    try {
      const live = await fireWithin()
      requests.labels('success').inc()
      await remember(live)
      return { data: live.data, source: 'live', fetchedAt: live.fetchedAt }
    } catch (err) {
      failure = err
    }
    requests.labels(outcomeOf(failure)).inc()
    const stale = await recall()
    if (stale !== undefined) {
      requests.labels('fallback').inc()
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
    },
    circuit: () => ({ state, nextTrialAt }),
    events
  } satisfies SupplierClient)

  fastify.addHook('onClose', async () => {
    closing.abort()
    breaker.shutdown()
    await agent.close()
  })
}

export default fp(supplierClient, { name: 'supplier-client', dependencies: ['oauth-token', 'redis', 'metrics'] })
