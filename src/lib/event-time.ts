/**
 * Instants at microsecond precision, for webhook `occurred_at` values. A JavaScript Date holds
 * milliseconds only, so `…00.0009Z` and `…00.0001Z` would both become `…00.000Z` and compare
 * equal; here an instant is a bigint of microseconds since the epoch (UTC), parsed from the
 * RFC 3339 text and written to MySQL as a `DATETIME(6)` literal. Pure code, no I/O.
 */

/** Microseconds since 1970-01-01T00:00:00Z. */
export type Micros = bigint

// date-time of RFC 3339 §5.6: the separator and the zone letter may be lower case.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

/** The earliest and latest instants a portable DATETIME column holds (years 1000–9999). */
const MIN = BigInt(Date.UTC(1000, 0, 1)) * 1000n
const MAX = BigInt(Date.UTC(9999, 11, 31, 23, 59, 59, 999)) * 1000n + 999n

export type ParseResult = { ok: true, micros: Micros } | { ok: false, reason: string }

/**
 * Parses an RFC 3339 date-time with a zone. Digits past the microsecond are dropped (truncated,
 * so an instant never moves later than it was sent). Leap seconds, impossible dates and instants
 * outside the years 1000–9999 (UTC) are refused.
 */
export function parseInstant (text: string): ParseResult {
  const m = RFC3339.exec(text)
  if (m === null) return { ok: false, reason: 'must be an RFC 3339 date-time with a time zone' }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number)
  const fraction = (m[7] ?? '').slice(0, 6).padEnd(6, '0')
  const offsetMinutes = m[8] !== undefined ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]))
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59 ||
      Number(m[10] ?? 0) > 23 || Number(m[11] ?? 0) > 59) {
    return { ok: false, reason: 'must be a valid date and time (no leap seconds)' }
  }
  const local = Date.UTC(year, month - 1, day, hour, minute, second)
  const check = new Date(local)
  // Date.UTC maps years 0–99 to 1900–1999; those are outside the range below anyway.
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) {
    return { ok: false, reason: 'must be a valid date and time (no leap seconds)' }
  }
  const micros = (BigInt(local) - BigInt(offsetMinutes) * 60_000n) * 1000n + BigInt(fraction)
  if (year < 1000 || micros < MIN || micros > MAX) {
    return { ok: false, reason: 'must be an instant between the years 1000 and 9999 (UTC)' }
  }
  return { ok: true, micros }
}

/** Milliseconds since the epoch → microseconds. */
export function fromMillis (ms: number): Micros {
  return BigInt(Math.trunc(ms)) * 1000n
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** `YYYY-MM-DD HH:MM:SS.ffffff` (UTC): a literal MySQL and MariaDB read into DATETIME(6). */
export function toSqlDateTime (micros: Micros): string {
  // floor division: instants before 1970 are negative
  let seconds = micros / 1_000_000n
  if (seconds * 1_000_000n > micros) seconds -= 1n
  const frac = micros - seconds * 1_000_000n
  const d = new Date(Number(seconds) * 1000)
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(Number(frac), 6)}`
}

/**
 * A `DATETIME(6)` value read as text (`YYYY-MM-DD HH:MM:SS[.ffffff]`, UTC) → ISO 8601 with `Z`:
 * three fraction digits when the microseconds are whole milliseconds, six otherwise.
 */
export function sqlToIso (text: string): string {
  const [date, time] = text.split(' ')
  const [clock, fraction = ''] = time.split('.')
  const frac = fraction.padEnd(6, '0')
  return `${date}T${clock}.${frac.endsWith('000') ? frac.slice(0, 3) : frac}Z`
}

/** A `DATETIME(6)` value read as text → ISO 8601 with milliseconds (the service's own clock times). */
export function sqlToIsoMillis (text: string): string {
  const [date, time] = text.split(' ')
  const [clock, fraction = ''] = time.split('.')
  return `${date}T${clock}.${fraction.padEnd(3, '0').slice(0, 3)}Z`
}
