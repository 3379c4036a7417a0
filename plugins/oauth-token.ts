import { createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import { Counter } from 'prom-client'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'
import type { SupplierEndpoint, UrlSource } from '../src/lib/supplier-endpoint.js'
import { fingerprint, secondsLeft, type StoredToken } from '../src/lib/token-policy.js'
import { TokenProvider, TokenUnavailableError } from '../src/lib/token-provider.js'
import { TokenStore, type TokenSource } from '../src/lib/token-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    oauthToken: OauthToken
  }
}

export { TokenUnavailableError }

/** An access token with what callers may show about it. */
export interface AccessToken {
  accessToken: string
  tokenType: string
  /** Epoch ms at which the token expires, as issued by the provider. */
  expiresAt: number
  /** Whole seconds left until then. */
  expiresIn: number
  /** Where this call found it: fetched now, shared through Redis, or this process's copy. */
  source: TokenSource
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

export interface OauthTokenOptions {
  /** Token endpoint (client credentials grant, client_secret_basic). */
  tokenUrl: UrlSource
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

export function oauthTokenOptions (config: Config, endpoint: SupplierEndpoint): OauthTokenOptions {
  return {
    tokenUrl: endpoint.tokenUrl,
    cacheIdentity: endpoint.cacheIdentity,
    clientId: endpoint.clientId,
    clientSecret: endpoint.clientSecret,
    ...(endpoint.scope !== undefined ? { scope: endpoint.scope } : {}),
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

function view (token: StoredToken, source: TokenSource): AccessToken {
  return {
    accessToken: token.accessToken,
    tokenType: token.tokenType,
    expiresAt: token.expiresAt,
    expiresIn: secondsLeft(token, Date.now()),
    source,
    fingerprint: fingerprint(token.accessToken)
  }
}

async function oauthToken (fastify: FastifyInstance, opts: OauthTokenOptions) {
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
  const provider = new TokenProvider({
    tokenUrl: opts.tokenUrl,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    ...(opts.scope !== undefined ? { scope: opts.scope } : {}),
    timeoutMs: opts.timeoutMs,
    defaultExpiresInSeconds: opts.defaultExpiresInSeconds ?? 300,
    closing: closing.signal,
    onRequest: () => fetches.inc(),
    onFailure: ({ endpoint, status, reason }) => {
      failures.inc()
      fastify.log.warn({ tokenEndpoint: endpoint, status, reason }, 'OAuth token request failed')
    }
  })
  // Every Redis call goes through the shared health state: after a failure the token store and
  // lock are skipped (this process's copy serves) until Redis answers again.
  const store = new TokenStore({
    redis: fastify.redis,
    health: fastify.redisHealth,
    keys: tokenCacheKeys(opts),
    lockTtlMs: opts.lockTtlMs ?? opts.timeoutMs + 1000,
    pollMs: opts.lockPollMs ?? 25,
    closing: closing.signal
  })

  async function issue (): Promise<StoredToken> {
    const token = await provider.request()
    fastify.log.debug({ fingerprint: fingerprint(token.accessToken), expiresIn: secondsLeft(token, Date.now()) }, 'OAuth token issued')
    return token
  }

  /** The lookup in progress, joined by every concurrent caller (in-process single flight). */
  let inflight: Promise<AccessToken> | undefined
  /** Bumped by invalidate(): callers after it never join a lookup that started before it. */
  let generation = 0
  let inflightGeneration = -1

  function getToken (): Promise<AccessToken> {
    if (inflight === undefined || inflightGeneration !== generation) {
      // Cleared on settle, failure included, so the next call after a failure tries again.
      const lookup: Promise<AccessToken> = store.get(issue)
        .then(({ token, source }) => view(token, source))
        .finally(() => {
          if (inflight === lookup) inflight = undefined
        })
      inflight = lookup
      inflightGeneration = generation
    }
    return inflight
  }

  async function invalidate (accessToken?: string): Promise<void> {
    generation++
    await store.drop(accessToken)
  }

  fastify.decorate('oauthToken', { getToken, invalidate })
  fastify.addHook('onClose', async () => {
    closing.abort()
    await provider.close()
  })
}

export default fp(oauthToken, { name: 'oauth-token', dependencies: ['redis', 'metrics'] })
