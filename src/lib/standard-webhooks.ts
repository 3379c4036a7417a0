import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Standard Webhooks (https://www.standardwebhooks.com) symmetric signatures:
 * `webhook-signature` carries one or more space-separated `v1,<base64 HMAC-SHA256>` entries
 * computed over `${webhook-id}.${webhook-timestamp}.${raw body}` with the key obtained by
 * base64-decoding the part of the secret after `whsec_`. Pure code, no I/O.
 */

export const SECRET_PREFIX = 'whsec_'
/** Accepted distance between `webhook-timestamp` and our clock, in either direction. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60

/** The HMAC key of a `whsec_…` secret (the prefix is optional, as in the reference libraries). */
export function secretKey (secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new TypeError('webhook secret must be base64 after whsec_')
  const key = Buffer.from(encoded, 'base64')
  if (key.length === 0) throw new TypeError('webhook secret decodes to an empty key')
  return key
}

/** The raw HMAC-SHA256 of `${id}.${timestamp}.${body}`, the body taken byte for byte. */
function digest (key: Buffer, id: string, timestamp: string, body: Buffer): Buffer {
  return createHmac('sha256', key)
    .update(`${id}.${timestamp}.`, 'utf8')
    .update(body)
    .digest()
}

/** One `v1,<base64>` signature (what a sender puts in `webhook-signature`). */
export function sign (key: Buffer, id: string, timestamp: number | string, body: Buffer | string): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
  return `v1,${digest(key, id, String(timestamp), bytes).toString('base64')}`
}

/** Request headers, names in lower case (as Node gives them). */
export type SignatureHeaders = Record<string, string | string[] | undefined>

export type VerifyFailure =
  | 'missing-headers'
  | 'invalid-timestamp'
  | 'timestamp-too-old'
  | 'timestamp-too-new'
  | 'no-matching-signature'

export type VerifyResult = { ok: true, id: string, timestamp: number } | { ok: false, reason: VerifyFailure }

export interface VerifyOptions {
  /** HMAC keys; a signature made with any of them is accepted (rotation on our side). */
  keys: Buffer[]
  headers: SignatureHeaders
  body: Buffer
  /** Our clock, in milliseconds since the epoch. */
  nowMs?: number
  toleranceSeconds?: number
}

/** Human-readable reasons, safe to send back to the caller. */
export const FAILURE_DETAIL: Record<VerifyFailure, string> = {
  'missing-headers': 'webhook-id, webhook-timestamp and webhook-signature headers are required',
  'invalid-timestamp': 'webhook-timestamp must be an integer number of seconds since the epoch',
  'timestamp-too-old': 'webhook-timestamp is older than the accepted tolerance',
  'timestamp-too-new': 'webhook-timestamp is further in the future than the accepted tolerance',
  'no-matching-signature': 'no signature in webhook-signature matches the request'
}

function single (value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value
  return v === undefined || v.trim() === '' ? undefined : v.trim()
}

/**
 * Checks a delivery: headers present, timestamp within the tolerance both ways, and at least one
 * `v1` signature equal (constant-time) to one we compute. Entries of other versions (`v1a`
 * asymmetric signatures, future versions) are skipped, not failed.
 */
export function verify ({ keys, headers, body, nowMs = Date.now(), toleranceSeconds = DEFAULT_TOLERANCE_SECONDS }: VerifyOptions): VerifyResult {
  const id = single(headers['webhook-id'])
  const timestamp = single(headers['webhook-timestamp'])
  const signatures = single(headers['webhook-signature'])
  if (id === undefined || timestamp === undefined || signatures === undefined) return { ok: false, reason: 'missing-headers' }

  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'invalid-timestamp' }
  const seconds = Number(timestamp)
  const now = Math.floor(nowMs / 1000)
  if (seconds < now - toleranceSeconds) return { ok: false, reason: 'timestamp-too-old' }
  if (seconds > now + toleranceSeconds) return { ok: false, reason: 'timestamp-too-new' }

  const expected = keys.map((key) => digest(key, id, timestamp, body))
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',')
    if (comma === -1 || entry.slice(0, comma) !== 'v1') continue
    const given = Buffer.from(entry.slice(comma + 1), 'base64')
    for (const mac of expected) {
      if (given.length === mac.length && timingSafeEqual(given, mac)) return { ok: true, id, timestamp: seconds }
    }
  }
  return { ok: false, reason: 'no-matching-signature' }
}
