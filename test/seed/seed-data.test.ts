import { test } from 'tap'
import fc from 'fast-check'
import {
  CREATED_SPAN_MS, PRICE_MAX, PRICE_MIN, STOCK_MAX,
  ProductGenerator, Sfc32, formatDateTime, formatPrice, hashSeed
} from '../../seed/data.js'
import { CATEGORIES, CATEGORY_SLUGS } from '../../seed/catalog-words.js'

const UNTIL = Date.UTC(2026, 10, 1)

function take (seed: string, n: number, until = UNTIL) {
  const g = new ProductGenerator(seed, until)
  return Array.from({ length: n }, () => ({ ...g.next() }))
}

test('the catalog has about 20 grocery categories, each with its own words', async (t) => {
  t.ok(CATEGORIES.length >= 18 && CATEGORIES.length <= 22, `${CATEGORIES.length} categories`)
  t.equal(new Set(CATEGORY_SLUGS).size, CATEGORY_SLUGS.length, 'slugs are unique')
  for (const slug of ['vegetables', 'fruits', 'dairy', 'bakery', 'spices', 'grains', 'pulses', 'oils', 'beverages', 'snacks']) {
    t.ok(CATEGORY_SLUGS.includes(slug), `has ${slug}`)
  }
  for (const c of CATEGORIES) {
    t.match(c.slug, /^[a-z]+(-[a-z]+)*$/, `${c.slug} is a lowercase slug`)
    t.ok(c.price[0] >= PRICE_MIN && c.price[1] <= PRICE_MAX, `${c.slug} price band inside ${PRICE_MIN}-${PRICE_MAX}`)
  }
})

test('the same seed gives the same products and another seed different ones', async (t) => {
  const a = take('42', 2000)
  t.same(take('42', 2000), a, 'identical sequence for the same seed')
  const b = take('43', 2000)
  const same = a.filter((p, i) => p.name === b[i].name && p.pricePaise === b[i].pricePaise).length
  t.ok(same < 40, `only chance coincidences between seeds 42 and 43 (${same} of 2000)`)
  t.same(new ProductGenerator('42', UNTIL).restart().next(), take('42', 1)[0], 'restart goes back to the first product')
})

test('generated products stay inside the documented ranges', async (t) => {
  const products = take('ranges', 100_000)
  const byCategory = new Map(CATEGORIES.map((c) => [c.slug, c]))
  let outOfStock = 0
  const categories = new Map<string, number>()
  let bad = 0
  for (const p of products) {
    const c = byCategory.get(p.category)
    const price = p.pricePaise / 100
    const ok = c !== undefined &&
      Number.isInteger(p.pricePaise) && price >= PRICE_MIN && price <= PRICE_MAX &&
      price >= c.price[0] - 0.01 && price <= c.price[1] + 0.01 &&
      Number.isInteger(p.stock) && p.stock >= 0 && p.stock <= STOCK_MAX &&
      Number.isInteger(p.createdAtMs) && p.createdAtMs >= UNTIL - CREATED_SPAN_MS && p.createdAtMs < UNTIL &&
      c.items.some((i) => typeof i === 'string'
        ? c.packs.some((pack) => p.name.endsWith(`${i} ${pack}`))
        : i.packs.some((pack) => p.name.endsWith(`${i.name} ${pack}`)))
    if (!ok) bad++
    if (p.stock === 0) outOfStock++
    categories.set(p.category, (categories.get(p.category) ?? 0) + 1)
  }
  t.equal(bad, 0, 'every product has a known category, its words, a price in its band, stock and created_at in range')
  t.equal(categories.size, CATEGORIES.length, 'every category is used')
  for (const [slug, n] of categories) t.ok(n > 4000 && n < 6000, `${slug} gets about 1/20 of the rows (${n})`)
  t.ok(outOfStock > 4000 && outOfStock < 6000, `about 5% out of stock (${outOfStock})`)
  const span = Math.max(...products.map((p) => p.createdAtMs)) - Math.min(...products.map((p) => p.createdAtMs))
  t.ok(span > CREATED_SPAN_MS * 0.99, 'created_at covers the two years')
})

test('formatDateTime writes the UTC DATETIME(3) literal of any instant', async (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: Date.UTC(2099, 11, 31) }), (ms) => {
    return formatDateTime(ms) === new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
  }), { numRuns: 20_000 })
  t.equal(formatDateTime(Date.UTC(2025, 2, 1, 10, 0, 0, 5)), '2025-03-01 10:00:00.005')
})

test('formatPrice writes paise as a two-decimal literal', async (t) => {
  t.equal(formatPrice(500), '5.00')
  t.equal(formatPrice(4250), '42.50')
  t.equal(formatPrice(500_000), '5000.00')
  t.equal(formatPrice(1207), '12.07')
  fc.assert(fc.property(fc.integer({ min: 0, max: 99_999_999 }), (p) => {
    const s = formatPrice(p)
    return /^\d+\.\d\d$/.test(s) && Math.round(Number(s) * 100) === p
  }))
})

test('the PRNG is uniform enough and seeds spread', async (t) => {
  const r = new Sfc32('uniform')
  const buckets = new Array<number>(10).fill(0)
  for (let i = 0; i < 100_000; i++) buckets[r.below(10)]++
  for (const b of buckets) t.ok(b > 9500 && b < 10500, `bucket ${b} near 10000`)
  const hashes = new Set(Array.from({ length: 1000 }, (_, i) => hashSeed(String(i))))
  t.equal(hashes.size, 1000, 'distinct seeds hash apart')
})
