import { test, type Test } from 'tap'
import fc from 'fast-check'
import { SORTS, type Sort } from '../../src/schemas/product.js'
import { decodeCursor, encodeCursor, filterDigest, readCursor, type CursorPayload } from '../../src/lib/cursor.js'

const digest = filterDigest('price', { category: 'fruits' })

function raw (text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url')
}

function expectInvalid (t: Test, cursor: string, pattern: RegExp = /malformed/): void {
  t.throws(() => decodeCursor(cursor), { code: 'FL_INVALID_CURSOR', statusCode: 400, message: pattern }, JSON.stringify(cursor))
}

test('a cursor round-trips its sort, position and digest for every sort', async (t) => {
  const samples: CursorPayload[] = [
    { sort: 'id', value: null, id: 1, digest },
    { sort: '-id', value: null, id: Number.MAX_SAFE_INTEGER, digest },
    { sort: 'price', value: '0.00', id: 7, digest },
    { sort: '-price', value: '99999999.99', id: 8, digest },
    { sort: 'createdAt', value: '2024-02-29T23:59:59.999Z', id: 9, digest },
    { sort: '-createdAt', value: '1970-01-01T00:00:00.000Z', id: 10, digest }
  ]
  for (const payload of samples) {
    const cursor = encodeCursor(payload)
    t.match(cursor, /^[A-Za-z0-9_-]+$/, 'base64url text')
    t.same(decodeCursor(cursor), payload, payload.sort)
  }
})

test('decoding refuses anything but the exact format', async (t) => {
  const good = `1|price|12.50|42|${digest}`
  t.same(decodeCursor(raw(good)), { sort: 'price', value: '12.50', id: 42, digest })
  expectInvalid(t, '')
  expectInvalid(t, 'not base64!')
  expectInvalid(t, raw(good) + '=', /malformed/)
  expectInvalid(t, raw(good).slice(0, -1) + '+')
  expectInvalid(t, raw(good).slice(0, -1) + '/')
  expectInvalid(t, 'a'.repeat(600))
  expectInvalid(t, raw(good.replace(/^1/, '2')))
  expectInvalid(t, raw(good.replace('price', 'name')))
  expectInvalid(t, raw(good + '|extra'))
  expectInvalid(t, raw(good.replace('|42|', '|0|')))
  expectInvalid(t, raw(good.replace('|42|', '|042|')))
  expectInvalid(t, raw(good.replace('|42|', '|-42|')))
  expectInvalid(t, raw(good.replace('|42|', '|9007199254740993|')))
  expectInvalid(t, raw(good.replace('|42|', '|4.2|')))
  expectInvalid(t, raw(good.replace(digest, digest.slice(1))))
  expectInvalid(t, raw(good.replace('12.50', '12.5')))
  expectInvalid(t, raw(good.replace('12.50', '12.505')))
  expectInvalid(t, raw(good.replace('12.50', '012.50')))
  expectInvalid(t, raw(good.replace('12.50', '1e3')))
  expectInvalid(t, raw(good.replace('12.50', '')))
  expectInvalid(t, raw(`1|id|5|42|${digest}`), /malformed/)
  expectInvalid(t, raw(`1|createdAt|2024-02-30T00:00:00.000Z|42|${digest}`))
  expectInvalid(t, raw(`1|createdAt|2024-02-01T00:00:00Z|42|${digest}`))
  expectInvalid(t, raw(`1|createdAt|2024-02-01 00:00:00.000|42|${digest}`))
  expectInvalid(t, raw(`1|-createdAt|12.50|42|${digest}`))
})

test('a non-canonical base64url spelling of a valid cursor is refused', async (t) => {
  const cursor = encodeCursor({ sort: 'id', value: null, id: 5, digest })
  // The last character carries padding bits when the length is not a multiple of 3 bytes:
  // find a sibling spelling that decodes to the same bytes.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const last = cursor[cursor.length - 1]
  const siblings = [...alphabet].map((c) => cursor.slice(0, -1) + c)
    .filter((s) => s !== cursor && Buffer.from(s, 'base64url').equals(Buffer.from(cursor, 'base64url')))
  t.ok(siblings.length > 0 || Buffer.from(cursor, 'base64url').length % 3 === 0, `siblings of ${last}`)
  for (const sibling of siblings) expectInvalid(t, sibling)
})

test('readCursor refuses a cursor issued for another sort or other filters', async (t) => {
  const cursor = encodeCursor({ sort: 'price', value: '10.00', id: 3, digest })
  t.same(readCursor(cursor, 'price', digest), { value: '10.00', id: 3 })
  t.throws(() => readCursor(cursor, '-price', filterDigest('-price', { category: 'fruits' })),
    { statusCode: 400, message: /issued for sort=price, not sort=-price/ })
  t.throws(() => readCursor(cursor, 'price', filterDigest('price', { category: 'dairy' })),
    { statusCode: 400, message: /other filters/ })
})

test('the filter digest changes with the sort and with every filter', async (t) => {
  const base = { category: 'fruits', minPrice: '1.00', maxPrice: '9.00' }
  const digests = new Set([
    filterDigest('price', base),
    filterDigest('-price', base),
    filterDigest('price', { ...base, category: 'dairy' }),
    filterDigest('price', { ...base, minPrice: '1.01' }),
    filterDigest('price', { ...base, maxPrice: '9.01' }),
    filterDigest('price', { minPrice: '1.00', maxPrice: '9.00' }),
    filterDigest('price', { category: 'fruits', maxPrice: '9.00' }),
    filterDigest('price', { category: 'fruits', minPrice: '9.00' })
  ])
  t.equal(digests.size, 8)
  t.equal(filterDigest('price', base), filterDigest('price', { ...base }), 'stable')
})

test('encodeCursor refuses a payload that could not be decoded again', async (t) => {
  t.throws(() => encodeCursor({ sort: 'price', value: '1.5', id: 1, digest }), TypeError)
  t.throws(() => encodeCursor({ sort: 'id', value: '1', id: 1, digest }), TypeError)
  t.throws(() => encodeCursor({ sort: 'id', value: null, id: 0, digest }), TypeError)
  t.throws(() => encodeCursor({ sort: 'id', value: null, id: 1.5, digest }), TypeError)
})

const sortArb = fc.constantFrom<Sort>(...SORTS)
const payloadArb = fc.record({
  sort: sortArb,
  id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  cents: fc.integer({ min: 0, max: 9_999_999_999 }),
  time: fc.integer({ min: 0, max: Date.UTC(9999, 11, 31) }),
  digest: fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), minLength: 16, maxLength: 16 })
}).map(({ sort, id, cents, time, digest }): CursorPayload => {
  const column = sort.replace('-', '')
  const value = column === 'id' ? null : column === 'price' ? `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}` : new Date(time).toISOString()
  return { sort, value, id, digest }
})

test('property: every valid payload survives encode then decode unchanged', async (t) => {
  fc.assert(fc.property(payloadArb, (payload) => {
    const decoded = decodeCursor(encodeCursor(payload))
    return JSON.stringify(decoded) === JSON.stringify(payload)
  }), { numRuns: 2000 })
  t.pass()
})

test('property: arbitrary text or bytes never decode to anything but a valid cursor or a 400', async (t) => {
  const check = (input: string): boolean => {
    try {
      const decoded = decodeCursor(input)
      // Whatever decodes must be the canonical encoding of what it decoded to.
      return encodeCursor(decoded) === input
    } catch (err) {
      const e = err as { code?: string, statusCode?: number }
      return e.code === 'FL_INVALID_CURSOR' && e.statusCode === 400
    }
  }
  fc.assert(fc.property(fc.string({ maxLength: 80 }), check), { numRuns: 3000 })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 60 }), (bytes) => check(Buffer.from(bytes).toString('base64url'))), { numRuns: 3000 })
  // Mutations of a real cursor: one character changed.
  const cursor = encodeCursor({ sort: '-createdAt', value: '2025-01-02T03:04:05.678Z', id: 1234, digest })
  fc.assert(fc.property(fc.nat({ max: cursor.length - 1 }), fc.constantFrom(...'ABCabc012-_'), (i, c) => check(cursor.slice(0, i) + c + cursor.slice(i + 1))), { numRuns: 2000 })
  t.pass()
})
