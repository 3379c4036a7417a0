import { createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import createError from '@fastify/error'
import { Counter } from 'prom-client'
import { Agent, request } from 'undici'
import type { FastifyInstance } from 'fastify'
import { supplierSettings, type Config } from '../src/config.js'
import {
  basicAuthorization, fingerprint, isUsable, parseStoredToken, parseTokenResponse, secondsLeft,
  storedToken, type StoredToken
} from '../src/lib/token-policy.js'
import { acquireLock, dropTokenIfCurrent, releaseLock } from '../src/lib/token-lock.js'
import { isRetryableStatus } from '../src/lib/backoff.js'

declare module 'fastify' {
  interface FastifyInstance {
    oauthToken: OauthToken
  }
}

/** An access token with what callers may show about it. */
export interface AccessToken {
  accessToken: string
  tokenType: string
  /** Epoch ms at which the token expires, as issued by the provider. */
  expiresAt: number
  /** Whole seconds left until then. */
  expiresIn: number
  /** Where this call found it: fetched now, shared through Redis, or this process's copy. */
  source: 'provider' | 'redis' | 'memory'
  /** First 12 hex digits of sha256(token): names the token without revealing it. */
  fingerprint: string
}

export interface OauthToken {
  /**
   * A token that is not about to expire: from Redis, else (Redis down) this process's copy,
   * else from the provider, once for all concurrent callers and instances. Rejects with a 502
   * TokenUnavailableError when the provider cannot issue one; the next call tries again.
   */
  getToken (): Promise<AccessToken>
  /** Drops the cached token (Redis and memory) if it is still `accessToken` (or unconditionally when omitted), so the next getToken() fetches a new one. */
  invalidate (accessToken?: string): Promise<void>
}

export const TokenUnavailableError = createError(
  'FL_TOKEN_UNAVAILABLE', 'The OAuth provider could not issue an access token: %s', 502
)

export interface OauthTokenOptions {
  /**
   * Token endpoint, or a function giving it from the port the service listens on (the built-in
   * sandbox lives on this very service); resolved at the first call after listen.
   */
  tokenUrl: string | ((port?: number) => string)
  /** What the shared cache entry is named after, with the client id and scope (never the secret). */
  cacheIdentity: string
  clientId: string
  clientSecret: string
  scope?: string
  /** Deadline for one token request: connect, headers and body. */
  timeoutMs: number
  /** How long the cross-instance fetch lock lives if its holder dies (default timeoutMs + 1 s). */
  lockTtlMs?: number
  /** How often an instance waiting for another's fetch looks for the token (ms). */
  lockPollMs?: number
  /** Lifetime assumed when the provider sends no expires_in (RFC 6749 only recommends it). */
  defaultExpiresInSeconds?: number
}

export function oauthTokenOptions (config: Config): OauthTokenOptions {
  const settings = supplierSettings(config)
  // Only the sandbox's default token URL depends on the port the service ends up listening on.
  const fixed = !settings.sandbox || config.OAUTH_TOKEN_URL !== undefined
  return {
    tokenUrl: fixed ? settings.tokenUrl : (port?: number) => supplierSettings(config, port).tokenUrl,
    cacheIdentity: fixed ? settings.tokenUrl : 'sandbox',
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    ...(settings.scope !== undefined ? { scope: settings.scope } : {}),
    timeoutMs: config.SUPPLIER_TIMEOUT_MS
  }
}

/** Redis keys of the shared token and of the fetch lock (bump v1 when the entry's shape changes). */
export function tokenCacheKeys (opts: Pick<OauthTokenOptions, 'cacheIdentity' | 'clientId' | 'scope'>): { token: string, lock: string } {
  const id = createHash('sha256')
    .update([opts.cacheIdentity, opts.clientId, opts.scope ?? ''].join('\n'))
    .digest('hex')
    .slice(0, 16)
  return { token: `oauth:v1:token:${id}`, lock: `oauth:v1:lock:${id}` }
}

/** The endpoint without credentials or query, fit for a log line. */
function loggable (url: string): string {
  try {
    const u = new URL(url)
    return u.origin + u.pathname
  } catch {
    return '[invalid url]'
  }
}

async function oauthToken (fastify: FastifyInstance, opts: OauthTokenOptions) {
  const keys = tokenCacheKeys(opts)
  const lockTtlMs = opts.lockTtlMs ?? opts.timeoutMs + 1000
  const pollMs = opts.lockPollMs ?? 25
  const defaultExpiresIn = opts.defaultExpiresInSeconds ?? 300
  const redis = fastify.redis
  // Every Redis call goes through the shared health state: after a failure the token store and
  // lock are skipped (this process's copy serves) until Redis answers again.
  const health = fastify.redisHealth
  const viaHealth = async <T>(command: () => Promise<T>): Promise<T> => await health.run(command)

  const agent = new Agent({
    connections: 4,
    // The per-request AbortSignal below is the real deadline; these only back it up.
    connect: { timeout: opts.timeoutMs },
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: 4_000,
    maxResponseSize: 64 * 1024
  })
  const fetches = new Counter({
    name: 'oauth_token_fetches_total',
    help: 'Requests made to the OAuth2 token endpoint (client credentials grant)',
    registers: [fastify.metricsRegistry]
  })
  const failures = new Counter({
    name: 'oauth_token_fetch_failures_total',
    help: 'Token requests that produced no usable token (error status, timeout, bad body, unreachable)',
    registers: [fastify.metricsRegistry]
  })

  // Aborted on close: cancels a token request in flight and any wait for another instance.
  const closing = new AbortController()

  /** This process's copy: served while Redis is unavailable. */
  let memory: StoredToken | undefined
  /** The lookup in progress, joined by every concurrent caller (in-process single flight). */
  let inflight: Promise<AccessToken> | undefined
  /** Bumped by invalidate(): callers after it never join a lookup that started before it. */
  let generation = 0
  let inflightGeneration = -1
  let resolvedTokenUrl: string | undefined

  function tokenUrl (): string {
    if (resolvedTokenUrl !== undefined) return resolvedTokenUrl
    if (typeof opts.tokenUrl === 'string') {
      resolvedTokenUrl = opts.tokenUrl
      return resolvedTokenUrl
    }
    const address = fastify.server.address()
    if (address !== null && typeof address === 'object') {
      resolvedTokenUrl = opts.tokenUrl(address.port)
      return resolvedTokenUrl
    }
    // Not listening (yet): the configured port, not remembered.
    return opts.tokenUrl()
  }

  function view (token: StoredToken, source: AccessToken['source']): AccessToken {
    return {
      accessToken: token.accessToken,
      tokenType: token.tokenType,
      expiresAt: token.expiresAt,
      expiresIn: secondsLeft(token, Date.now()),
      source,
      fingerprint: fingerprint(token.accessToken)
    }
  }

  /**
   * A failed token request. `transient` marks failures worth retrying after a wait (the
   * endpoint unreachable or timed out, a 5xx, 408 or 429), as the supplier client does.
   */
  function unavailable (endpoint: string, reason: string, status?: number, transient = false): Error {
    failures.inc()
    fastify.log.warn({ tokenEndpoint: loggable(endpoint), status, reason }, 'OAuth token request failed')
    return Object.assign(new TokenUnavailableError(reason), { transient })
  }

  /** One client-credentials request (RFC 6749 §4.4) with client_secret_basic. */
  async function fetchFromProvider (): Promise<StoredToken> {
    if (closing.signal.aborted) throw new TokenUnavailableError('the service is shutting down')
    const url = tokenUrl()
    const form = new URLSearchParams({ grant_type: 'client_credentials' })
    if (opts.scope !== undefined) form.set('scope', opts.scope)
    const signal = AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), closing.signal])
    const sentAt = Date.now()
    fetches.inc()
    let status: number
    let body: unknown
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: agent,
        signal,
        headers: {
          authorization: basicAuthorization(opts.clientId, opts.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json'
        },
        body: form.toString()
      })
      status = res.statusCode
      if (status < 200 || status >= 300) {
        await res.body.dump().catch(() => {})
        throw unavailable(url, `the token endpoint answered ${status}`, status, isRetryableStatus(status))
      }
      const text = await res.body.text()
      try {
        body = JSON.parse(text)
      } catch {
        throw unavailable(url, 'the token endpoint answered malformed JSON', status)
      }
    } catch (err) {
      if (err instanceof TokenUnavailableError) throw err
      if (closing.signal.aborted) throw new TokenUnavailableError('the service is shutting down')
      if (signal.aborted) throw unavailable(url, `the token endpoint did not answer within ${opts.timeoutMs} ms`, undefined, true)
      const code = (err as { code?: string }).code ?? (err as Error).name
      throw unavailable(url, `the token endpoint could not be reached (${code})`, undefined, true)
    }
    const parsed = parseTokenResponse(body, defaultExpiresIn)
    if (typeof parsed === 'string') throw unavailable(url, parsed, status)
    const token = storedToken(parsed.accessToken, parsed.tokenType, parsed.expiresInSeconds, sentAt)
    if (token.expiresAt <= Date.now()) throw unavailable(url, 'the token expired before it arrived', status)
    fastify.log.debug({ fingerprint: fingerprint(token.accessToken), expiresIn: parsed.expiresInSeconds }, 'OAuth token issued')
    return token
  }

  /** Keeps a token in memory and, best effort, in Redis until its refresh time. */
  async function store (token: StoredToken): Promise<void> {
    memory = token
    const ttlMs = token.refreshAt - Date.now()
    if (ttlMs < 1) return
    try {
      await viaHealth(async () => await redis.set(keys.token, JSON.stringify(token), 'PX', ttlMs))
    } catch {
      // Redis unavailable: the memory copy serves this process.
    }
  }

  async function fromProvider (): Promise<AccessToken> {
    const token = await fetchFromProvider()
    await store(token)
    return view(token, 'provider')
  }

  /** Redis is unavailable: this process's copy, else a fetch (still one per process). */
  async function withoutRedis (): Promise<AccessToken> {
    if (isUsable(memory, Date.now())) return view(memory, 'memory')
    return await fromProvider()
  }

  /** Resolves after `ms`, or at once when the service is closing. */
  async function pause (ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done () {
        clearTimeout(timer)
        closing.signal.removeEventListener('abort', done)
        resolve()
      }
      closing.signal.addEventListener('abort', done)
    })
  }

  /**
   * Redis holds no usable token: one instance takes the lock and asks the provider, the others
   * watch for the token to appear. If the holder fails or dies, its lock is released or expires
   * and a waiter takes it; the wait is bounded by the lock's lifetime in any case.
   */
  async function withLock (): Promise<AccessToken> {
    const deadline = Date.now() + lockTtlMs + 4 * pollMs
    for (;;) {
      let owner: string | undefined
      try {
        owner = await viaHealth(async () => await acquireLock(redis, keys.lock, lockTtlMs))
      } catch {
        return await withoutRedis()
      }
      if (owner !== undefined) {
        try {
          // Another instance may have stored a token between our read and taking the lock.
          const current = parseStoredToken(await viaHealth(async () => await redis.get(keys.token)).catch(() => null))
          if (isUsable(current, Date.now())) {
            memory = current
            return view(current, 'redis')
          }
          return await fromProvider()
        } finally {
          const held = owner
          await viaHealth(async () => await releaseLock(redis, keys.lock, held)).catch(() => false)
        }
      }
      if (Date.now() >= deadline) return await fromProvider()
      await pause(pollMs)
      if (closing.signal.aborted) throw new TokenUnavailableError('the service is shutting down')
      let current: StoredToken | undefined
      try {
        current = parseStoredToken(await viaHealth(async () => await redis.get(keys.token)))
      } catch {
        return await withoutRedis()
      }
      if (isUsable(current, Date.now())) {
        memory = current
        return view(current, 'redis')
      }
    }
  }

  async function lookUp (): Promise<AccessToken> {
    let cached: StoredToken | undefined
    try {
      cached = parseStoredToken(await viaHealth(async () => await redis.get(keys.token)))
    } catch {
      return await withoutRedis()
    }
    if (isUsable(cached, Date.now())) {
      memory = cached
      return view(cached, 'redis')
    }
    return await withLock()
  }

  function getToken (): Promise<AccessToken> {
    if (inflight === undefined || inflightGeneration !== generation) {
      // Cleared on settle, failure included, so the next call after a failure tries again.
      const lookup: Promise<AccessToken> = lookUp().finally(() => {
        if (inflight === lookup) inflight = undefined
      })
      inflight = lookup
      inflightGeneration = generation
    }
    return inflight
  }

  async function invalidate (accessToken?: string): Promise<void> {
    generation++
    if (accessToken === undefined || memory?.accessToken === accessToken) memory = undefined
    try {
      if (accessToken === undefined) await viaHealth(async () => await redis.del(keys.token))
      else await viaHealth(async () => await dropTokenIfCurrent(redis, keys.token, accessToken))
    } catch {
      // Redis unavailable: nothing shared to drop; the memory copy is gone already.
    }
  }

  fastify.decorate('oauthToken', { getToken, invalidate })
  fastify.addHook('onClose', async () => {
    closing.abort()
    await agent.close()
  })
}

export default fp(oauthToken, { name: 'oauth-token', dependencies: ['redis', 'metrics'] })
