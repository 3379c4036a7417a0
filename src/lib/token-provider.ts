import createError from '@fastify/error'
import { Agent, request } from 'undici'
import { isRetryableStatus } from './backoff.js'
import { resolveUrl, type UrlSource } from './supplier-endpoint.js'
import { basicAuthorization, parseTokenResponse, storedToken, type StoredToken } from './token-policy.js'

/**
 * The provider call: one client-credentials request (RFC 6749 §4.4) with client_secret_basic,
 * bounded by its own deadline, read into a token the cache can keep.
 */

export const TokenUnavailableError = createError(
  'FL_TOKEN_UNAVAILABLE', 'The OAuth provider could not issue an access token: %s', 502
)

/** A token request that produced no usable token, for the log and the failure count. */
export interface TokenRequestFailure {
  /** The endpoint without credentials or query. */
  endpoint: string
  reason: string
  status?: number
}

export interface TokenProviderOptions {
  tokenUrl: UrlSource
  clientId: string
  clientSecret: string
  scope?: string
  /** Deadline for one token request: connect, headers and body. */
  timeoutMs: number
  /** Lifetime assumed when the provider sends no expires_in (RFC 6749 only recommends it). */
  defaultExpiresInSeconds: number
  /** Aborted when the service closes: cancels a request in flight. */
  closing: AbortSignal
  /** Called as each request is sent. */
  onRequest?: () => void
  /** Called for each request that produced no usable token (not for one cut by shutdown). */
  onFailure?: (failure: TokenRequestFailure) => void
}

/** The endpoint without credentials or query, fit for a log line. */
export function loggable (url: string): string {
  try {
    const u = new URL(url)
    return u.origin + u.pathname
  } catch {
    return '[invalid url]'
  }
}

export class TokenProvider {
  private readonly opts: TokenProviderOptions
  private readonly agent: Agent

  constructor (opts: TokenProviderOptions) {
    this.opts = opts
    this.agent = new Agent({
      connections: 4,
      // The per-request AbortSignal below is the real deadline; these only back it up.
      connect: { timeout: opts.timeoutMs },
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      keepAliveTimeout: 4_000,
      maxResponseSize: 64 * 1024
    })
  }

  /**
   * A fresh token. Rejects with a TokenUnavailableError whose `transient` says whether waiting
   * and trying again may help (the endpoint unreachable or timed out, a 5xx, 408 or 429).
   */
  async request (): Promise<StoredToken> {
    const { opts } = this
    if (opts.closing.aborted) throw new TokenUnavailableError('the service is shutting down')
    const url = resolveUrl(opts.tokenUrl)
    const form = new URLSearchParams({ grant_type: 'client_credentials' })
    if (opts.scope !== undefined) form.set('scope', opts.scope)
    const signal = AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), opts.closing])
    const sentAt = Date.now()
    opts.onRequest?.()
    let status: number
    let body: unknown
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
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
        throw this.failure(url, `the token endpoint answered ${status}`, status, isRetryableStatus(status))
      }
      const text = await res.body.text()
      try {
        body = JSON.parse(text)
      } catch {
        throw this.failure(url, 'the token endpoint answered malformed JSON', status)
      }
    } catch (err) {
      if (err instanceof TokenUnavailableError) throw err
      if (opts.closing.aborted) throw new TokenUnavailableError('the service is shutting down')
      if (signal.aborted) throw this.failure(url, `the token endpoint did not answer within ${opts.timeoutMs} ms`, undefined, true)
      const code = (err as { code?: string }).code ?? (err as Error).name
      throw this.failure(url, `the token endpoint could not be reached (${code})`, undefined, true)
    }
    const parsed = parseTokenResponse(body, opts.defaultExpiresInSeconds)
    if (typeof parsed === 'string') throw this.failure(url, parsed, status)
    const token = storedToken(parsed.accessToken, parsed.tokenType, parsed.expiresInSeconds, sentAt)
    if (token.expiresAt <= Date.now()) throw this.failure(url, 'the token expired before it arrived', status)
    return token
  }

  async close (): Promise<void> {
    await this.agent.close()
  }

  private failure (url: string, reason: string, status?: number, transient = false): Error {
    this.opts.onFailure?.({ endpoint: loggable(url), reason, ...(status !== undefined ? { status } : {}) })
    return Object.assign(new TokenUnavailableError(reason), { transient })
  }
}
