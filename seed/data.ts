// The row generator of the seeded catalog: its ranges, a small seeded PRNG, the generator that
// draws products from the words of seed/catalog-words.ts, and the DECIMAL and DATETIME text of a
// row. Everything here is pure and deterministic: the same seed gives the same products in the
// same order on any machine.
import { CATEGORIES, ORIGINS } from './catalog-words.js'

export const PRICE_MIN = 5
export const PRICE_MAX = 5000
export const STOCK_MAX = 1000
/** Share of products seeded out of stock (stock 0). */
export const OUT_OF_STOCK_RATE = 0.05
/** created_at is spread uniformly over the two years (730 days) before the reference time. */
export const CREATED_SPAN_MS = 730 * 24 * 3600 * 1000
/**
 * The end of the created_at range when a seed is given. A fixed instant rather than "now", so
 * a seeded catalog is identical whenever it is generated; unseeded runs end at the current time.
 */
export const SEEDED_REFERENCE_TIME = Date.UTC(2026, 10, 1)
/** Share of products whose name starts with one of ORIGINS. */
export const ORIGIN_RATE = 0.004

/** Items with their packs resolved, per category, in CATEGORIES order. */
const RESOLVED = CATEGORIES.map((c) => ({
  category: c,
  items: c.items.map((i) => typeof i === 'string' ? { name: i, packs: c.packs } : i)
}))

for (const { category: c } of RESOLVED) {
  if (c.price[0] < PRICE_MIN || c.price[1] > PRICE_MAX || c.price[0] >= c.price[1]) {
    throw new Error(`price band of ${c.slug} is outside ${PRICE_MIN}-${PRICE_MAX}`)
  }
}

/**
 * A 32-bit hash of a seed string (FNV-1a followed by a murmur-style finaliser), so any text
 * (`--seed 42`, `--seed demo`) selects a PRNG state.
 */
export function hashSeed (seed: string, salt = 0): number {
  let h = (0x811c9dc5 ^ salt) >>> 0
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128 bits of state, passes
 * PractRand, a handful of integer operations per number.
 */
export class Sfc32 {
  private a: number
  private b: number
  private c: number
  private d = 1

  constructor (seed: string) {
    this.a = hashSeed(seed, 1)
    this.b = hashSeed(seed, 2)
    this.c = hashSeed(seed, 3)
    // The first outputs of a freshly seeded state are poorly mixed: discard them.
    for (let i = 0; i < 15; i++) this.nextUint32()
  }

  nextUint32 (): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** A float in [0, 1). */
  next (): number {
    return this.nextUint32() / 4294967296
  }

  /** An integer in [0, n). */
  below (n: number): number {
    return Math.floor(this.next() * n)
  }
}

/** One generated product (the object is reused between calls: copy what you keep). */
export interface GeneratedProduct {
  name: string
  category: string
  /** Price in paise (hundredths of a rupee). */
  pricePaise: number
  stock: number
  /** created_at in epoch milliseconds, UTC. */
  createdAtMs: number
}

/**
 * Generates products from a seed. Each product consumes the same number of PRNG draws, so the
 * n-th product depends only on the seed and n.
 */
export class ProductGenerator {
  private readonly rng: Sfc32
  private readonly start: number
  private readonly product: GeneratedProduct = { name: '', category: '', pricePaise: 0, stock: 0, createdAtMs: 0 }

  /** `until`: the end of the created_at range (epoch ms). */
  constructor (private readonly seed: string, private readonly until: number) {
    this.rng = new Sfc32(seed)
    this.start = until - CREATED_SPAN_MS
  }

  /** A generator back at the first product of the same sequence. */
  restart (): ProductGenerator {
    return new ProductGenerator(this.seed, this.until)
  }

  next (): GeneratedProduct {
    const r = this.rng
    const { category: c, items } = RESOLVED[r.below(RESOLVED.length)]
    const qualifier = c.qualifiers[r.below(c.qualifiers.length)]
    const item = items[r.below(items.length)]
    const packIndex = r.below(item.packs.length)
    const pack = item.packs[packIndex]
    const p = this.product
    p.name = qualifier === '' ? `${item.name} ${pack}` : `${qualifier} ${item.name} ${pack}`
    p.category = c.slug
    // Log-uniform inside the category's band, larger packs in the upper part of it.
    const [lo, hi] = c.price
    const position = (packIndex + r.next()) / item.packs.length
    const paise = Math.round(lo * Math.pow(hi / lo, position) * 100)
    p.pricePaise = Math.min(Math.max(paise, PRICE_MIN * 100), PRICE_MAX * 100)
    const stockDraw = r.next()
    p.stock = stockDraw < OUT_OF_STOCK_RATE ? 0 : 1 + Math.floor((stockDraw - OUT_OF_STOCK_RATE) / (1 - OUT_OF_STOCK_RATE) * STOCK_MAX)
    p.createdAtMs = this.start + Math.floor(r.next() * CREATED_SPAN_MS)
    const origin = r.next()
    if (origin < ORIGIN_RATE) p.name = `${ORIGINS[Math.floor(origin / ORIGIN_RATE * ORIGINS.length)]} ${p.name}`
    return p
  }
}

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'))
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'))
const DAY_MS = 86_400_000
const dayPrefixes = new Map<number, string>()

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC: the DATETIME(3) literal, built without a Date per row. */
export function formatDateTime (ms: number): string {
  const day = Math.floor(ms / DAY_MS)
  let prefix = dayPrefixes.get(day)
  if (prefix === undefined) {
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 10) + ' '
    dayPrefixes.set(day, prefix)
  }
  let rest = ms - day * DAY_MS
  const millis = rest % 1000
  rest = (rest - millis) / 1000
  const seconds = rest % 60
  rest = (rest - seconds) / 60
  const minutes = rest % 60
  const hours = (rest - minutes) / 60
  return `${prefix}${PAD2[hours]}:${PAD2[minutes]}:${PAD2[seconds]}.${PAD3[millis]}`
}

/** Paise as the DECIMAL(10,2) literal `123.45`. */
export function formatPrice (paise: number): string {
  return `${Math.floor(paise / 100)}.${PAD2[paise % 100]}`
}
