import { test } from 'tap'
import fc from 'fast-check'
import {
  MAX_RETRY_WAIT_MS, backoffDelay, isRetryableStatus, parseHttpDate, parseRetryAfter, retryDelay, secondsUntil
} from '../../src/lib/backoff.js'

const NOW = Date.UTC(2025, 2, 1, 10, 0, 0) // Sat, 01 Mar 2025 10:00:00 GMT

test('backoffDelay waits base, 2×base, 4×base', async (t) => {
  t.same([0, 1, 2].map((i) => backoffDelay(i, 1000)), [1000, 2000, 4000])
  t.same([0, 1, 2].map((i) => backoffDelay(i, 50)), [50, 100, 200])
})

test('backoffDelay keeps doubling past the third retry but never beyond 30 s', async (t) => {
  t.equal(backoffDelay(3, 1000), 8000)
  t.equal(backoffDelay(5, 1000), MAX_RETRY_WAIT_MS)
  t.equal(backoffDelay(0, 60_000), MAX_RETRY_WAIT_MS)
})

test('backoffDelay is 0 for a base of 0', async (t) => {
  t.equal(backoffDelay(2, 0), 0)
})

test('backoffDelay never decreases from one retry to the next and stays within the cap', async (t) => {
  fc.assert(fc.property(fc.nat(20), fc.nat(100_000), (i, base) => {
    const a = backoffDelay(i, base)
    const b = backoffDelay(i + 1, base)
    return a <= b && b <= MAX_RETRY_WAIT_MS && a >= 0
  }))
})

test('only network-like statuses are retryable', async (t) => {
  for (const s of [408, 429, 500, 502, 503, 504]) t.ok(isRetryableStatus(s), `${s} is retried`)
  for (const s of [200, 301, 400, 401, 403, 404, 409, 422, 501, 505]) t.notOk(isRetryableStatus(s), `${s} is final`)
})

test('parseRetryAfter reads delay-seconds', async (t) => {
  t.equal(parseRetryAfter('3', NOW), 3000)
  t.equal(parseRetryAfter(' 0 ', NOW), 0)
  t.equal(parseRetryAfter(['2', '9'], NOW), 2000, 'the first of repeated headers')
})

test('parseRetryAfter caps long waits at 30 s', async (t) => {
  t.equal(parseRetryAfter('120', NOW), 30_000)
  t.equal(parseRetryAfter('99999999999999999999999', NOW), 30_000)
  t.equal(parseRetryAfter('Sat, 01 Mar 2025 11:00:00 GMT', NOW), 30_000)
})

test('parseRetryAfter reads the three HTTP-date forms', async (t) => {
  t.equal(parseRetryAfter('Sat, 01 Mar 2025 10:00:05 GMT', NOW), 5000, 'IMF-fixdate')
  t.equal(parseRetryAfter('Saturday, 01-Mar-25 10:00:07 GMT', NOW), 7000, 'RFC 850')
  t.equal(parseRetryAfter('Sat Mar  1 10:00:09 2025', NOW), 9000, 'asctime')
})

test('parseRetryAfter treats a date in the past as no wait', async (t) => {
  t.equal(parseRetryAfter('Sat, 01 Mar 2025 09:59:00 GMT', NOW), 0)
  t.equal(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', NOW), 0)
})

test('parseRetryAfter ignores absent and malformed values', async (t) => {
  for (const v of [undefined, '', '-1', '1.5', 'soon', '3 seconds', 'Sat, 31 Feb 2025 10:00:00 GMT',
    'Sat, 01 Mar 2025 10:00:05 CET', '2025-03-01T10:00:05Z', 'Sat, 01 Foo 2025 10:00:05 GMT']) {
    t.equal(parseRetryAfter(v, NOW), undefined, JSON.stringify(v))
  }
})

test('parseRetryAfter never returns a negative wait or one above the cap', async (t) => {
  fc.assert(fc.property(fc.string(), fc.integer({ min: 0, max: 4e12 }), (value, now) => {
    const ms = parseRetryAfter(value, now)
    return ms === undefined || (ms >= 0 && ms <= MAX_RETRY_WAIT_MS)
  }))
  fc.assert(fc.property(fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }), (d) => {
    return parseRetryAfter(d.toUTCString(), NOW) === Math.min(Math.max(0, Math.floor(d.getTime() / 1000) * 1000 - NOW), MAX_RETRY_WAIT_MS)
  }))
})

test('parseHttpDate reads two-digit years as at most 50 years ahead', async (t) => {
  t.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW), Date.UTC(1994, 10, 6, 8, 49, 37))
  t.equal(parseHttpDate('Monday, 06-Nov-70 08:49:37 GMT', NOW), Date.UTC(2070, 10, 6, 8, 49, 37))
  t.equal(parseHttpDate('Monday, 06-Nov-76 08:49:37 GMT', NOW), Date.UTC(1976, 10, 6, 8, 49, 37))
})

test('retryDelay prefers a valid Retry-After over the backoff', async (t) => {
  t.equal(retryDelay(0, 1000, '5', NOW), 5000)
  t.equal(retryDelay(2, 1000, '0', NOW), 0)
  t.equal(retryDelay(1, 1000, 'garbage', NOW), 2000, 'malformed header: backoff')
  t.equal(retryDelay(2, 1000, undefined, NOW), 4000)
})

test('secondsUntil rounds up and is at least 1', async (t) => {
  t.equal(secondsUntil(NOW + 10_000, NOW), 10)
  t.equal(secondsUntil(NOW + 9_001, NOW), 10)
  t.equal(secondsUntil(NOW + 300, NOW), 1)
  t.equal(secondsUntil(NOW - 5_000, NOW), 1)
  t.equal(secondsUntil(Number.NaN, NOW), 1)
})
