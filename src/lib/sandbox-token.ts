import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Access tokens of the built-in sandbox supplier. They are stateless (`sbx.<expiry>.<nonce>.<mac>`,
 * an HMAC over expiry and nonce), so every instance of the service configured with the same
 * sandbox credentials accepts the tokens any of them issued, whichever instance is called.
 */

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
