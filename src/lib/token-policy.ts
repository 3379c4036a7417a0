import { createHash } from 'node:crypto'

/**
 * The rules of the OAuth2 client-credentials token cache, free of I/O: when a token must be
 * replaced, how a token endpoint's answer is read, how a token is named in logs and responses.
 */

/** Refresh ahead of expiry by this much at most (ms). */
export const MAX_REFRESH_SKEW_MS = 60_000
/** ... and by this share of the token's lifetime when that is less. */
export const REFRESH_SKEW_RATIO = 0.1

/** A token as the cache keeps it (memory and Redis). */
export interface StoredToken {
  accessToken: string
  tokenType: string
  /** Epoch ms at which the provider said the token expires. */
  expiresAt: number
  /** Epoch ms from which the token is no longer handed out (expiresAt minus the skew). */
  refreshAt: number
}

/** How long before expiry a token of this lifetime is replaced: min(60 s, 10% of it). */
export function refreshSkewMs (lifetimeMs: number): number {
  return Math.min(MAX_REFRESH_SKEW_MS, Math.max(0, lifetimeMs) * REFRESH_SKEW_RATIO)
}

/** The cache entry for a token issued at `issuedAt` (epoch ms) that lives `expiresInSeconds`. */
export function storedToken (accessToken: string, tokenType: string, expiresInSeconds: number, issuedAt: number): StoredToken {
  const lifetimeMs = expiresInSeconds * 1000
  const expiresAt = issuedAt + lifetimeMs
  return { accessToken, tokenType, expiresAt, refreshAt: Math.floor(expiresAt - refreshSkewMs(lifetimeMs)) }
}

/** A token may be handed out only before its refresh time (so never expired). */
export function isUsable (token: StoredToken | undefined, now: number): token is StoredToken {
  return token !== undefined && now < token.refreshAt && now < token.expiresAt
}

/** Whole seconds left until expiry, rounded up so a still valid token never says 0. */
export function secondsLeft (token: StoredToken, now: number): number {
  return Math.max(0, Math.ceil((token.expiresAt - now) / 1000))
}

/** First 12 hex digits of sha256(token): names a token without revealing it. */
export function fingerprint (accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('hex').slice(0, 12)
}

/** Reads a cache entry back; anything malformed counts as absent. */
export function parseStoredToken (raw: string | null | undefined): StoredToken | undefined {
  if (raw === null || raw === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const v = value as Record<string, unknown>
  if (typeof v.accessToken !== 'string' || v.accessToken === '' ||
      typeof v.tokenType !== 'string' ||
      typeof v.expiresAt !== 'number' || !Number.isFinite(v.expiresAt) ||
      typeof v.refreshAt !== 'number' || !Number.isFinite(v.refreshAt)) {
    return undefined
  }
  return { accessToken: v.accessToken, tokenType: v.tokenType, expiresAt: v.expiresAt, refreshAt: v.refreshAt }
}

/** The useful part of a successful token response (RFC 6749 §5.1). */
export interface TokenResponse {
  accessToken: string
  tokenType: string
  expiresInSeconds: number
}

/** Longest lifetime believed (a year); anything longer is treated as a provider error. */
const MAX_EXPIRES_IN_SECONDS = 365 * 24 * 60 * 60

/**
 * Validates a token endpoint's JSON body. Returns a reason string when it cannot be used:
 * no `access_token`, a `token_type` other than Bearer, or an `expires_in` that is not a positive
 * number of seconds. A missing `expires_in` (RFC 6749 only recommends it) takes the default.
 */
export function parseTokenResponse (body: unknown, defaultExpiresInSeconds: number): TokenResponse | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body is not a JSON object'
  const b = body as Record<string, unknown>
  if (typeof b.access_token !== 'string' || b.access_token === '') return 'the body has no access_token'
  // RFC 6750 bearer tokens only; the type is case-insensitive (RFC 6749 §5.1).
  if (b.token_type !== undefined && (typeof b.token_type !== 'string' || b.token_type.toLowerCase() !== 'bearer')) {
    return 'the token_type is not Bearer'
  }
  let expiresIn: number = defaultExpiresInSeconds
  if (b.expires_in !== undefined && b.expires_in !== null) {
    // Some providers send the number as a string.
    expiresIn = typeof b.expires_in === 'string' && /^\d+(\.\d+)?$/.test(b.expires_in) ? Number(b.expires_in) : b.expires_in as number
    if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0 || expiresIn > MAX_EXPIRES_IN_SECONDS) {
      return 'the expires_in is not a positive number of seconds'
    }
  }
  return { accessToken: b.access_token, tokenType: 'Bearer', expiresInSeconds: expiresIn }
}

/** `Authorization` value for client_secret_basic (RFC 6749 §2.3.1: each part form-encoded first). */
export function basicAuthorization (clientId: string, clientSecret: string): string {
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+')
  return 'Basic ' + Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')
}
