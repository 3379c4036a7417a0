import { test } from 'tap'
import fc from 'fast-check'
import { SORTS } from '../../src/schemas/product.js'
import { encodeCursor, filterDigest } from '../../src/lib/cursor.js'
import {
  buildPageStatement, canonicalQuery, INDEX_PLAN, normaliseListQuery, normalisePrices, toSqlDatetime
} from '../../src/lib/keyset.js'

test('price bounds are normalised to cents without changing which prices match', async (t) => {
  t.same(normalisePrices('10', '20'), { minPrice: '10.00', maxPrice: '20.00' })
  t.same(normalisePrices('10.5', '20.25'), { minPrice: '10.50', maxPrice: '20.25' })
  t.same(normalisePrices('.5', '5.'), { minPrice: '0.50', maxPrice: '5.00' })
  // an inclusive lower bound rounds up to the next cent, an upper bound down
  t.same(normalisePrices('10.001', '10.009'), { minPrice: '10.01', maxPrice: '10.00' })
  t.same(normalisePrices('10.0100000', '10.0199999'), { minPrice: '10.01', maxPrice: '10.01' })
  t.same(normalisePrices(undefined, undefined), {})
  t.same(normalisePrices('0', undefined), { minPrice: '0.00' })
  // beyond DECIMAL(10,2): a lower bound matches nothing, an upper bound is no bound
  t.same(normalisePrices('123456789012', undefined), { minPrice: '100000000.00' })
  t.same(normalisePrices(undefined, '99999999.99'), {})
  t.same(normalisePrices(undefined, '99999999.98'), { maxPrice: '99999999.98' })
  t.same(normalisePrices(undefined, '1000000000000000000000'), {})
})

test('minPrice 0 with leading zeros keeps a 0.00 bound', async (t) => {
  t.same(normalisePrices('000', '007.50'), { minPrice: '0.00', maxPrice: '7.50' })
})

test('exotic or negative prices are a 400 naming the parameter', async (t) => {
  for (const bad of ['1e3', '1E3', '0x10', '+5', ' 5', '5 ', 'Infinity', 'NaN', '', '.', '1.2.3', '1,5', '١٢', '5e', '--1']) {
    t.throws(() => normalisePrices(bad, undefined), { statusCode: 400, code: 'FL_INVALID_QUERY', message: /^querystring\/minPrice must be a plain decimal number/ }, JSON.stringify(bad))
    t.throws(() => normalisePrices(undefined, bad), { statusCode: 400, message: /^querystring\/maxPrice must be a plain decimal number/ }, JSON.stringify(bad))
  }
  for (const negative of ['-1', '-0', '-.5', '-0.01']) {
    t.throws(() => normalisePrices(negative, undefined), { statusCode: 400, message: /^querystring\/minPrice must be >= 0/ }, negative)
  }
})

test('minPrice > maxPrice is a 400, compared exactly before rounding', async (t) => {
  t.throws(() => normalisePrices('20', '10'), { statusCode: 400, message: /minPrice must be <= maxPrice/ })
  t.throws(() => normalisePrices('10.0000001', '10'), { statusCode: 400, message: /minPrice must be <= maxPrice/ })
  t.same(normalisePrices('10.00', '10'), { minPrice: '10.00', maxPrice: '10.00' }, 'equal bounds are fine')
  // valid (min <= max) but no cent lies between: an empty range, not an error
  t.same(normalisePrices('10.001', '10.002'), { minPrice: '10.01', maxPrice: '10.00' })
})

test('a limit that is not a finite integer from 1 to 100 is a 400 even past the schema', async (t) => {
  for (const limit of [Infinity, -Infinity, Number.NaN, 0, 101, 1.5]) {
    t.throws(() => normaliseListQuery({ limit }), { statusCode: 400, message: 'querystring/limit must be an integer from 1 to 100' }, String(limit))
  }
  t.equal(normaliseListQuery({ limit: 100 }).limit, 100)
  t.equal(normaliseListQuery({ limit: 1 }).limit, 1)
})

test('list query defaults: sort id, limit 20, no filters, first page', async (t) => {
  const q = normaliseListQuery({})
  t.equal(q.sort, 'id')
  t.equal(q.limit, 20)
  t.same(q.filters, {})
  t.equal(q.after, null)
  t.equal(q.digest, filterDigest('id', {}))
})

test('equivalent spellings share one canonical query, different pages do not', async (t) => {
  const a = canonicalQuery(normaliseListQuery({ minPrice: '5', maxPrice: '10.5', category: 'fruits', sort: 'price', limit: 20 }))
  const b = canonicalQuery(normaliseListQuery({ sort: 'price', category: 'fruits', maxPrice: '10.50', minPrice: '5.00' }))
  t.equal(a, b)
  const others = [
    { minPrice: '5', maxPrice: '10.5', category: 'fruits', sort: 'price' as const, limit: 21 },
    { minPrice: '5', maxPrice: '10.5', category: 'Fruits', sort: 'price' as const },
    { minPrice: '5', maxPrice: '10.5', category: 'fruits', sort: '-price' as const },
    { minPrice: '5.01', maxPrice: '10.5', category: 'fruits', sort: 'price' as const },
    { maxPrice: '10.5', category: 'fruits', sort: 'price' as const }
  ]
  for (const o of others) t.not(canonicalQuery(normaliseListQuery(o)), a, JSON.stringify(o))
  const digest = filterDigest('price', { category: 'fruits', minPrice: '5.00', maxPrice: '10.50' })
  const cursor = encodeCursor({ sort: 'price', value: '7.00', id: 3, digest })
  t.not(canonicalQuery(normaliseListQuery({ minPrice: '5', maxPrice: '10.5', category: 'fruits', sort: 'price', cursor })), a, 'the cursor is part of the page')
})

test('a cursor is checked against the normalised filters and sort of the request', async (t) => {
  const digest = filterDigest('-createdAt', { category: 'fruits', minPrice: '5.00' })
  const cursor = encodeCursor({ sort: '-createdAt', value: '2024-05-06T07:08:09.010Z', id: 77, digest })
  t.same(normaliseListQuery({ sort: '-createdAt', category: 'fruits', minPrice: '5', cursor }).after, { value: '2024-05-06T07:08:09.010Z', id: 77 })
  t.same(normaliseListQuery({ sort: '-createdAt', category: 'fruits', minPrice: '5.000', cursor, limit: 50 }).after?.id, 77, 'another limit or spelling keeps the listing')
  t.throws(() => normaliseListQuery({ sort: 'createdAt', category: 'fruits', minPrice: '5', cursor }), { statusCode: 400, message: /sort=-createdAt, not sort=createdAt/ })
  t.throws(() => normaliseListQuery({ sort: '-createdAt', category: 'fruits', cursor }), { statusCode: 400, message: /other filters/ })
  t.throws(() => normaliseListQuery({ sort: '-createdAt', category: 'fruits', minPrice: '5', maxPrice: '9', cursor }), { statusCode: 400, message: /other filters/ })
  t.throws(() => normaliseListQuery({ sort: '-createdAt', category: 'dairy', minPrice: '5', cursor }), { statusCode: 400, message: /other filters/ })
})

const filterSets = [
  {},
  { category: 'fruits' },
  { minPrice: '1' },
  { maxPrice: '9' },
  { minPrice: '1', maxPrice: '9' },
  { category: 'fruits', minPrice: '1', maxPrice: '9' },
  { category: 'fruits', maxPrice: '9' }
]

test('every (filter, sort) shape is one statement with the expanded keyset condition and its planned index', async (t) => {
  const shapes = new Set<string>()
  for (const filters of filterSets) {
    for (const sort of SORTS) {
      const first = buildPageStatement(normaliseListQuery({ ...filters, sort, limit: 10 }))
      const column = sort.replace('-', '')
      const value = column === 'id' ? null : column === 'price' ? '5.00' : '2024-01-02T03:04:05.006Z'
      const digest = normaliseListQuery({ ...filters, sort }).digest
      const cursor = encodeCursor({ sort, value, id: 42, digest })
      const next = buildPageStatement(normaliseListQuery({ ...filters, sort, limit: 10, cursor }))
      shapes.add(first.shape)
      const label = `${JSON.stringify(filters)} ${sort}`
      for (const st of [first, next]) {
        t.equal(st.sql.split('?').length - 1, st.params.length, `${label}: one parameter per placeholder`)
        t.equal(st.params[st.params.length - 1], '11', `${label}: LIMIT limit + 1`)
        t.notMatch(st.sql, /\(\s*\w+\s*,\s*id\s*\)\s*[<>]/, `${label}: no row constructor`)
        t.match(st.sql, `FORCE INDEX (${INDEX_PLAN[st.shape].indexes.map((i) => i === 'PRIMARY' ? '`PRIMARY`' : i).join(', ')})`, label)
        t.equal(/\bOFFSET\b|COUNT\(/i.test(st.sql), false, `${label}: no OFFSET, no COUNT`)
      }
      const desc = sort.startsWith('-')
      const op = desc ? '<' : '>'
      const dir = desc ? 'DESC' : 'ASC'
      t.match(first.sql, column === 'id' ? `ORDER BY id ${dir}` : `ORDER BY ${column === 'price' ? 'price' : 'created_at'} ${dir}, id ${dir}`, label)
      if (column === 'id') {
        t.match(next.sql, `id ${op} ?`, label)
      } else {
        const col = column === 'price' ? 'price' : 'created_at'
        t.match(next.sql, `(${col} ${op} ? OR (${col} = ? AND id ${op} ?))`, label)
        t.ok(next.params.includes(column === 'price' ? '5.00' : '2024-01-02 03:04:05.006'), `${label}: cursor value as the column's literal`)
      }
      t.ok(next.params.includes('42'), `${label}: cursor id`)
    }
  }
  t.equal(shapes.size, 12, 'four filter shapes x three sort columns')
})

test('a plan without indexes leaves the choice to the optimiser', async (t) => {
  const st = buildPageStatement(normaliseListQuery({ minPrice: '1', sort: '-createdAt' }), { ...INDEX_PLAN['price:createdAt'], indexes: [] })
  t.notMatch(st.sql, /FORCE INDEX/)
  t.match(st.sql, /^SELECT p\.id, .* FROM \(SELECT id FROM products WHERE price >= \? ORDER BY created_at DESC, id DESC LIMIT \?\) AS k STRAIGHT_JOIN products p ON p\.id = k\.id ORDER BY p\.created_at DESC, p\.id DESC$/)
})

test('toSqlDatetime writes an ISO instant as a UTC DATETIME literal', async (t) => {
  t.equal(toSqlDatetime('2024-01-02T03:04:05.006Z'), '2024-01-02 03:04:05.006')
})

test('property: any plain decimal bounds normalise without throwing and keep min <= max ordering exact', async (t) => {
  const decimal = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 14n }), fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 6 }))
    .map(([whole, fraction]) => fraction === '' ? String(whole) : `${whole}.${fraction}`)
  fc.assert(fc.property(decimal, decimal, (a, b) => {
    const exact = (s: string): number => Number(s)
    try {
      const out = normalisePrices(a, b)
      if (exact(a) > exact(b) + 1e-9) return false
      if (out.minPrice !== undefined && !/^\d+\.\d{2}$/.test(out.minPrice)) return false
      if (out.maxPrice !== undefined && !/^\d+\.\d{2}$/.test(out.maxPrice)) return false
      // rounding never widens the range: min rounds up, max rounds down
      return (out.minPrice === undefined || Number(out.minPrice) >= Math.min(exact(a), 100000000) - 1e-9) &&
        (out.maxPrice === undefined || Number(out.maxPrice) <= exact(b) + 1e-9)
    } catch (err) {
      return (err as { statusCode?: number }).statusCode === 400 && exact(a) >= exact(b)
    }
  }), { numRuns: 2000 })
  t.pass()
})
