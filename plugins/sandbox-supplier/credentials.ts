import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * The sandbox supplier's credentials: the client it accepts and the access tokens it issues.
 * Tokens are stateless (`sbx.<expiry>.<nonce>.<mac>`, an HMAC over expiry and nonce), so every
 * instance of the service configured with the same sandbox credentials accepts the tokens any
 * of them issued, whichever instance is called.
 */

/** The client the sandbox accepts when OAUTH_CLIENT_ID / OAUTH_CLIENT_SECRET are not set. */
export const SANDBOX_CLIENT_ID = 'farmlokal-sandbox'
export const SANDBOX_CLIENT_SECRET = 'sandbox-secret-not-for-production'

/** The signing key, derived from the sandbox client credentials. */
export function sandboxTokenKey (clientId: string, clientSecret: string): Buffer {
  return createHash('sha256').update(`farmlokal-sandbox-token\n${clientId}\n${clientSecret}`).digest()
}

function mac (key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url')
}

/** A token valid until `expiresAt` (epoch ms). */
export function issueSandboxToken (key: Buffer, expiresAt: number): string {
  const payload = `${Math.floor(expiresAt).toString(36)}.${randomBytes(12).toString('base64url')}`
  return `sbx.${payload}.${mac(key, payload)}`
}

/** True when `token` was issued with `key` and has not expired at `now`. */
export function verifySandboxToken (key: Buffer, token: string, now: number = Date.now()): boolean {
  const parts = token.split('.')
  if (parts.length !== 4 || parts[0] !== 'sbx') return false
  const payload = `${parts[1]}.${parts[2]}`
  const expected = Buffer.from(mac(key, payload))
  const given = Buffer.from(parts[3])
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false
  const expiresAt = parseInt(parts[1], 36)
  return Number.isFinite(expiresAt) && now < expiresAt
}

/** Compares two secrets in constant time whatever their lengths. */
export function sameSecret (a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb)
}

/**
 * Reads client_secret_basic credentials (RFC 6749 §2.3.1: each part form-encoded, then
 * base64); undefined when the header is absent or malformed.
 */
export function parseBasicAuthorization (header: string | undefined): { clientId: string, clientSecret: string } | undefined {
  if (header === undefined) return undefined
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header)
  if (match === null) return undefined
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '))
    } catch {
      return undefined
    }
  }
  const clientId = decode(decoded.slice(0, colon))
  const clientSecret = decode(decoded.slice(colon + 1))
  if (clientId === undefined || clientSecret === undefined) return undefined
  return { clientId, clientSecret }
}
