/**
 * Retry timing for calls to the supplier: which answers are worth another attempt, how long to
 * wait before it, and how a `Retry-After` header (RFC 9110 §10.2.3) changes that wait.
 * Pure functions; times are milliseconds unless a name says otherwise.
 */

/** No single wait, whatever the supplier asks for, is longer than this. */
export const MAX_RETRY_WAIT_MS = 30_000

/** Answers that describe a passing condition; every other 3xx/4xx is final. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

export function isRetryableStatus (status: number): boolean {
  return RETRYABLE_STATUSES.has(status)
}

/**
 * The wait before retry number `retryIndex + 1`: base, 2×base, 4×base, … (never above the cap).
 */
export function backoffDelay (retryIndex: number, baseMs: number, capMs: number = MAX_RETRY_WAIT_MS): number {
  if (!Number.isFinite(baseMs) || baseMs <= 0) return 0
  return Math.min(baseMs * 2 ** Math.max(0, retryIndex), capMs)
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']

// The three HTTP-date forms a recipient must accept (RFC 9110 §5.6.7).
const IMF_FIXDATE = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/
const RFC_850 = /^[A-Za-z]{6,9}, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/
const ASCTIME = /^[A-Za-z]{3} ([A-Za-z]{3}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/

function utc (year: number, monthName: string, day: number, h: number, m: number, s: number): number | undefined {
  const month = MONTHS.indexOf(monthName.toLowerCase())
  if (month < 0 || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return undefined
  const time = Date.UTC(year, month, day, h, m, Math.min(s, 59))
  // Date.UTC rolls 31 Feb over into March; such a date is not a date.
  return new Date(time).getUTCDate() === day ? time : undefined
}

/**
 * Parses an HTTP-date into epoch milliseconds (undefined when it is not one). Two-digit years of
 * the obsolete RFC 850 form are read as the latest year that is not more than 50 years ahead.
 */
export function parseHttpDate (value: string, nowMs: number = Date.now()): number | undefined {
  const text = value.trim()
  let m = IMF_FIXDATE.exec(text)
  if (m !== null) return utc(Number(m[3]), m[2], Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]))
  m = RFC_850.exec(text)
  if (m !== null) {
    const thisYear = new Date(nowMs).getUTCFullYear()
    let year = Math.floor(thisYear / 100) * 100 + Number(m[3])
    if (year > thisYear + 50) year -= 100
    return utc(year, m[2], Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]))
  }
  m = ASCTIME.exec(text)
  if (m !== null) return utc(Number(m[6]), m[1], Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]))
  return undefined
}

/**
 * How long a `Retry-After` value asks us to wait, in milliseconds: delay-seconds or an HTTP-date
 * (a date in the past means "now"), capped at `capMs`. Undefined when the header is absent or
 * malformed, so that the caller keeps its own backoff.
 */
export function parseRetryAfter (
  value: string | string[] | undefined, nowMs: number = Date.now(), capMs: number = MAX_RETRY_WAIT_MS
): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value
  if (raw === undefined) return undefined
  const text = raw.trim()
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, capMs)
  const at = parseHttpDate(text, nowMs)
  if (at === undefined) return undefined
  return Math.min(Math.max(0, at - nowMs), capMs)
}

/**
 * The wait before retry number `retryIndex + 1`: the supplier's `Retry-After` when it sent a
 * valid one, otherwise the exponential backoff.
 */
export function retryDelay (
  retryIndex: number, baseMs: number, retryAfter?: string | string[], nowMs: number = Date.now()
): number {
  return parseRetryAfter(retryAfter, nowMs) ?? backoffDelay(retryIndex, baseMs)
}

/** Whole seconds from now until `atMs`, at least 1: the value of an outgoing `retry-after`. */
export function secondsUntil (atMs: number, nowMs: number = Date.now()): number {
  const seconds = Math.ceil((atMs - nowMs) / 1000)
  return Number.isFinite(seconds) && seconds > 1 ? seconds : 1
}
