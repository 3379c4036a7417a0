// The seeded catalog: grocery categories and the words product names are built from, a small
// seeded PRNG, and the row generator. Everything here is pure and deterministic: the same seed
// gives the same products in the same order on any machine.

export interface CategoryWords {
  /** The value stored in `products.category` (and used by `?category=`). */
  slug: string
  /** Words in front of the item ("Organic", "Farm Fresh"); '' means none. */
  qualifiers: readonly string[]
  /** Item names, or an item with pack sizes of its own (milk comes in litres, paneer in grams). */
  items: ReadonlyArray<string | ItemWords>
  /** Pack sizes, smallest first: a larger pack gets a higher part of the price band. */
  packs: readonly string[]
  /** Price band in rupees, inside [PRICE_MIN, PRICE_MAX]. */
  price: readonly [number, number]
}

export interface ItemWords {
  name: string
  packs: readonly string[]
}

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

/**
 * Regions a few products are named after ("Coorg Premium Coffee Beans 250g"): each one is in
 * about 1 name in 3,000, so search has rare words (about 330 products each per million) beside
 * the common ones ("Organic", "Fresh": a tenth of the catalog each).
 */
export const ORIGINS: readonly string[] = ['Ratnagiri', 'Coorg', 'Nashik', 'Wayanad', 'Munnar', 'Kutch', 'Malnad', 'Sikkim', 'Lahaul', 'Bhimtal', 'Araku', 'Chettinad']
/** Share of products whose name starts with one of ORIGINS. */
export const ORIGIN_RATE = 0.004

export const CATEGORIES: readonly CategoryWords[] = [
  {
    slug: 'vegetables',
    qualifiers: ['', 'Organic', 'Fresh', 'Farm Fresh', 'Local', 'Hydroponic', 'Premium'],
    items: ['Tomatoes', 'Onions', 'Potatoes', 'Carrots', 'Cauliflower', 'Cabbage', 'Spinach', 'Okra', 'Brinjal', 'Green Chillies', 'Capsicum', 'Cucumber', 'Bottle Gourd', 'Bitter Gourd', 'French Beans', 'Green Peas', 'Ginger', 'Garlic',
      { name: 'Coriander Leaves', packs: ['100g', '250g', '500g'] }, { name: 'Methi Leaves', packs: ['100g', '250g', '500g'] }],
    packs: ['250g', '500g', '1kg', '2kg'],
    price: [10, 400]
  },
  {
    slug: 'fruits',
    qualifiers: ['', 'Organic', 'Fresh', 'Farm Fresh', 'Premium', 'Handpicked'],
    items: [{ name: 'Bananas', packs: ['6 pcs', '12 pcs'] }, 'Apples', { name: 'Alphonso Mangoes', packs: ['6 pcs', '12 pcs'] },
      { name: 'Papaya', packs: ['1 pc', '2 pcs'] }, 'Pomegranate', 'Guava', 'Oranges', 'Green Grapes', { name: 'Watermelon', packs: ['1 pc', '2 pcs'] },
      { name: 'Pineapple', packs: ['1 pc', '2 pcs'] }, 'Chikoo', 'Sweet Lime', 'Litchi', 'Custard Apple', { name: 'Kiwi', packs: ['3 pcs', '6 pcs'] }],
    packs: ['500g', '1kg', '2kg'],
    price: [20, 900]
  },
  {
    slug: 'dairy',
    qualifiers: ['', 'Fresh', 'Organic', 'A2', 'Desi', 'Farm Fresh'],
    items: [{ name: 'Toned Milk', packs: ['500ml', '1L'] }, { name: 'Full Cream Milk', packs: ['500ml', '1L'] }, 'Curd', 'Paneer',
      'White Butter', { name: 'Cow Ghee', packs: ['500ml', '1L'] }, { name: 'Buffalo Ghee', packs: ['500ml', '1L'] }, 'Cheese Slices',
      { name: 'Buttermilk', packs: ['200ml', '500ml', '1L'] }, { name: 'Lassi', packs: ['200ml', '500ml', '1L'] },
      { name: 'Fresh Cream', packs: ['200ml', '1L'] }, 'Khoa'],
    packs: ['200g', '500g', '1kg'],
    price: [15, 1200]
  },
  {
    slug: 'bakery',
    qualifiers: ['', 'Fresh', 'Whole Wheat', 'Eggless', 'Homestyle', 'Artisan'],
    items: ['Sandwich Bread', 'Multigrain Bread', { name: 'Pav', packs: ['6 pcs', '12 pcs'] }, 'Rusk', 'Brown Bread',
      { name: 'Croissants', packs: ['2 pcs', '4 pcs', '6 pcs'] }, { name: 'Muffins', packs: ['2 pcs', '4 pcs', '6 pcs'] }, 'Butter Cookies',
      'Fruit Cake', { name: 'Burger Buns', packs: ['4 pcs', '6 pcs'] }, 'Khari', 'Garlic Bread'],
    packs: ['200g', '400g', '800g'],
    price: [20, 600]
  },
  {
    slug: 'spices',
    qualifiers: ['', 'Organic', 'Stone Ground', 'Premium', 'Whole', 'Kerala'],
    items: ['Turmeric Powder', 'Red Chilli Powder', 'Coriander Powder', 'Cumin Seeds', 'Garam Masala', 'Black Pepper', 'Green Cardamom', 'Cloves', 'Cinnamon', 'Mustard Seeds', 'Fenugreek Seeds', 'Asafoetida', 'Kasuri Methi', 'Ajwain'],
    packs: ['50g', '100g', '200g', '500g'],
    price: [10, 2500]
  },
  {
    slug: 'grains',
    qualifiers: ['', 'Organic', 'Premium', 'Unpolished', 'Stone Ground', 'Everyday'],
    items: ['Basmati Rice', 'Sona Masoori Rice', 'Brown Rice', 'Whole Wheat Atta', 'Multigrain Atta', 'Ragi Flour', 'Jowar Flour', 'Bajra', 'Poha', 'Rava', 'Maida', 'Besan', 'Quinoa', 'Foxtail Millet'],
    packs: ['500g', '1kg', '5kg', '10kg'],
    price: [30, 1500]
  },
  {
    slug: 'pulses',
    qualifiers: ['', 'Organic', 'Unpolished', 'Premium', 'Desi'],
    items: ['Toor Dal', 'Moong Dal', 'Chana Dal', 'Urad Dal', 'Masoor Dal', 'Rajma', 'Kabuli Chana', 'Kala Chana', 'Green Moong', 'Lobia', 'Matki'],
    packs: ['500g', '1kg', '2kg', '5kg'],
    price: [40, 900]
  },
  {
    slug: 'oils',
    qualifiers: ['', 'Cold Pressed', 'Wood Pressed', 'Organic', 'Refined', 'Virgin'],
    items: ['Mustard Oil', 'Groundnut Oil', 'Sunflower Oil', 'Coconut Oil', 'Sesame Oil', 'Rice Bran Oil', 'Olive Oil', 'Safflower Oil'],
    packs: ['500ml', '1L', '2L', '5L'],
    price: [80, 3000]
  },
  {
    slug: 'beverages',
    qualifiers: ['', 'Chilled', 'No Added Sugar', 'Natural', 'Fresh'],
    items: ['Mango Juice', 'Tender Coconut Water', 'Lemonade', 'Sugarcane Juice', 'Soda', 'Kokum Sherbet', 'Rose Sharbat', 'Jaljeera', 'Orange Juice', 'Aam Panna'],
    packs: ['200ml', '500ml', '1L', '6 x 200ml'],
    price: [15, 600]
  },
  {
    slug: 'snacks',
    qualifiers: ['', 'Classic', 'Spicy', 'Baked', 'Homemade', 'Roasted'],
    items: ['Banana Chips', 'Aloo Bhujia', 'Navratan Mixture', 'Masala Peanuts', 'Methi Khakhra', 'Chakli', 'Mathri', 'Makhana', 'Potato Chips', 'Chana Jor', 'Murukku', 'Moong Namkeen'],
    packs: ['100g', '200g', '400g', '1kg'],
    price: [10, 500]
  },
  {
    slug: 'dry-fruits',
    qualifiers: ['', 'Premium', 'Organic', 'Roasted', 'Jumbo', 'Salted'],
    items: ['Almonds', 'Cashews', 'Raisins', 'Walnuts', 'Pistachios', 'Medjool Dates', 'Dried Figs', 'Apricots', 'Mixed Dry Fruits'],
    packs: ['100g', '250g', '500g', '1kg'],
    price: [80, 5000]
  },
  {
    slug: 'eggs',
    qualifiers: ['', 'Farm Fresh', 'Free Range', 'Organic', 'Protein Rich'],
    items: ['White Eggs', 'Brown Eggs', 'Country Eggs', 'Omega-3 Eggs', 'Duck Eggs', 'Quail Eggs'],
    packs: ['6 pcs', '12 pcs', '30 pcs'],
    price: [40, 500]
  },
  {
    slug: 'meat',
    qualifiers: ['', 'Fresh', 'Tender', 'Antibiotic Free', 'Halal'],
    items: ['Chicken Curry Cut', 'Chicken Breast', 'Chicken Drumsticks', 'Mutton Curry Cut', 'Mutton Keema', 'Chicken Keema', 'Chicken Sausages', 'Lamb Chops'],
    packs: ['250g', '500g', '1kg'],
    price: [120, 2500]
  },
  {
    slug: 'seafood',
    qualifiers: ['', 'Fresh', 'Cleaned', 'Coastal', 'Premium'],
    items: ['Rohu', 'Pomfret', 'Tiger Prawns', 'Surmai', 'Bangda', 'Hilsa', 'Catla', 'Squid Rings', 'Mud Crab', 'Basa Fillet'],
    packs: ['250g', '500g', '1kg'],
    price: [100, 3000]
  },
  {
    slug: 'frozen',
    qualifiers: ['', 'Frozen', 'Ready to Cook', 'Crispy', 'Homestyle'],
    items: ['Green Peas', 'Sweet Corn', 'Mixed Vegetables', 'Aloo Tikki', 'Veg Momos', 'Malabar Paratha', 'French Fries', 'Chicken Nuggets',
      { name: 'Kulfi', packs: ['4 pcs', '8 pcs'] }, { name: 'Vanilla Ice Cream', packs: ['500ml', '1L'] }],
    packs: ['200g', '400g', '1kg'],
    price: [40, 800]
  },
  {
    slug: 'sweets',
    qualifiers: ['', 'Fresh', 'Pure Ghee', 'Sugar Free', 'Festive', 'Traditional'],
    items: ['Gulab Jamun', 'Rasgulla', 'Kaju Katli', 'Soan Papdi', 'Besan Ladoo', 'Mathura Peda', 'Jalebi', 'Mysore Pak', 'Milk Barfi', 'Peanut Chikki'],
    packs: ['250g', '500g', '1kg'],
    price: [60, 1500]
  },
  {
    slug: 'condiments',
    qualifiers: ['', 'Homemade', 'Organic', 'Tangy', 'Traditional'],
    items: ['Mango Pickle', 'Lime Pickle', 'Mixed Pickle', 'Garlic Pickle', 'Green Chilli Pickle', 'Tomato Ketchup', 'Mint Chutney', 'Tamarind Chutney', 'Wild Honey', 'Jaggery', 'Rock Salt', 'Sugar'],
    packs: ['100g', '250g', '500g', '1kg'],
    price: [5, 700]
  },
  {
    slug: 'tea-coffee',
    qualifiers: ['', 'Organic', 'Premium', 'Estate', 'Strong'],
    items: ['Assam Tea', 'Darjeeling Tea', 'Masala Chai', 'Green Tea', 'Nilgiri Tea', 'Filter Coffee', 'Instant Coffee', 'Coffee Beans', 'Tulsi Tea', 'Chicory Blend'],
    packs: ['100g', '250g', '500g', '1kg'],
    price: [40, 2500]
  },
  {
    slug: 'breakfast',
    qualifiers: ['', 'Crunchy', 'Whole Grain', 'Instant', 'High Protein', 'Organic'],
    items: ['Cornflakes', 'Fruit Muesli', 'Rolled Oats', 'Honey Granola', 'Upma Mix', 'Idli Mix', 'Dosa Batter', 'Peanut Butter', 'Mixed Fruit Jam', 'Wheat Flakes'],
    packs: ['200g', '500g', '1kg'],
    price: [40, 900]
  },
  {
    slug: 'household',
    qualifiers: ['', 'Eco', 'Lemon', 'Herbal', 'Value Pack'],
    items: ['Dishwash Liquid', { name: 'Detergent Powder', packs: ['1kg', '2kg', '4kg'] }, 'Floor Cleaner',
      { name: 'Garbage Bags', packs: ['30 pcs', '60 pcs'] }, { name: 'Kitchen Towels', packs: ['2 rolls', '4 rolls'] }, 'Toilet Cleaner',
      { name: 'Agarbatti', packs: ['100 sticks', '200 sticks'] }, { name: 'Camphor', packs: ['50g', '100g'] },
      { name: 'Scrub Pads', packs: ['3 pcs', '6 pcs'] }, { name: 'Matchboxes', packs: ['10 pcs', '50 pcs'] }],
    packs: ['500ml', '1L', '2L'],
    price: [5, 900]
  }
]

export const CATEGORY_SLUGS: readonly string[] = CATEGORIES.map((c) => c.slug)

// Rows are written unescaped into tab-separated text and SQL string literals, so no word may
// contain a quote, a backslash, a tab or a newline. Checked once when the module loads.
/** Items with their packs resolved, per category, in CATEGORIES order. */
const RESOLVED = CATEGORIES.map((c) => ({
  category: c,
  items: c.items.map((i) => typeof i === 'string' ? { name: i, packs: c.packs } : i)
}))

for (const w of ORIGINS) {
  if (/['"\\\t\r\n]/.test(w)) throw new Error(`seed word ${JSON.stringify(w)} contains a character the loaders do not escape`)
}
for (const { category: c, items } of RESOLVED) {
  for (const w of [c.slug, ...c.qualifiers, ...items.flatMap((i) => [i.name, ...i.packs])]) {
    if (/['"\\\t\r\n]/.test(w)) throw new Error(`seed word ${JSON.stringify(w)} contains a character the loaders do not escape`)
  }
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
