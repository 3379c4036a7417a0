import Type, { type Static } from 'typebox'

/** The sort orders of the catalog; ties are broken by `id` in the same direction. */
export const SORTS = ['id', '-id', 'price', '-price', 'createdAt', '-createdAt'] as const
/** Every accepted sort: the catalog's, plus `relevance` (best match first, ties by id ascending), which needs `q`. */
export const ALL_SORTS = [...SORTS, 'relevance'] as const
export type Sort = typeof ALL_SORTS[number]

export const Product = Type.Object({
  id: Type.Integer({ minimum: 1, examples: [1] }),
  name: Type.String({ examples: ['Organic Tomatoes 1kg'] }),
  category: Type.String({ examples: ['vegetables'] }),
  price: Type.Number({ minimum: 0, description: 'Rupees, at most 2 decimals', examples: [42.5] }),
  stock: Type.Integer({ minimum: 0, examples: [120] }),
  createdAt: Type.String({ format: 'date-time', description: 'ISO 8601, UTC', examples: ['2025-03-01T10:00:00.000Z'] })
}, {
  additionalProperties: false,
  examples: [{ id: 1, name: 'Organic Tomatoes 1kg', category: 'vegetables', price: 42.5, stock: 120, createdAt: '2025-03-01T10:00:00.000Z' }]
})

export type Product = Static<typeof Product>

export const ProductPage = Type.Object({
  data: Type.Array(Product),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Opaque; pass it as `cursor` with the same filters and sort for the next page. null on the last page.'
  })
}, {
  additionalProperties: false,
  examples: [{
    data: [{ id: 1, name: 'Organic Tomatoes 1kg', category: 'vegetables', price: 42.5, stock: 120, createdAt: '2025-03-01T10:00:00.000Z' }],
    nextCursor: 'eyJ2IjoxLCJrIjpbMV19'
  }]
})

export type ProductPage = Static<typeof ProductPage>

/**
 * Prices travel as strings so that only plain decimals are accepted (checked with a clear
 * message in src/lib/keyset.ts): `12`, `12.5`, `.5`, `12.` are numbers; `1e3`, `0x10`, `+1`,
 * `Infinity`, ` 5` are not.
 */
export const PriceParam = (description: string) => Type.String({
  maxLength: 32,
  description: `${description}; a plain non-negative decimal number (digits with an optional fraction, e.g. 12.50)`,
  examples: ['10', '249.99']
})

export const ProductListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'nextCursor of the previous page' })),
  category: Type.Optional(Type.String({ minLength: 1, maxLength: 64, examples: ['vegetables'] })),
  minPrice: Type.Optional(PriceParam('Lowest price, inclusive')),
  maxPrice: Type.Optional(PriceParam('Highest price, inclusive')),
  sort: Type.Optional(Type.Enum([...ALL_SORTS], {
    description: 'Sort order; ties broken by id in the same direction. Default `id`, or `relevance` when `q` is given; ' +
      '`relevance` (best match first by the full-text score, ties by id ascending) needs `q`; its cursors hold only while the catalog ' +
      'is unchanged (a 400 asks to start again after a catalog change).',
    examples: ['price', 'relevance']
  })),
  q: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 100,
    description: 'Full-text search over the product name, case-insensitive. Every word of 3 or more letters/digits must ' +
      'appear in the name as a whole word, except the last word, which also matches as a prefix (type-ahead: ' +
      '`organic tom` finds "Organic Tomatoes 1kg"). Shorter words and stop words ("the", "with", ...) are ignored; a `q` ' +
      'with no word left is a 400. Combines with every filter and sort; cursors are bound to it.',
    examples: ['organic tom', 'coorg coffee', 'basmati']
  }))
}, { additionalProperties: false })

export type ProductListQuery = Static<typeof ProductListQuery>

export const ProductParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Product id' })
})

export type ProductParams = Static<typeof ProductParams>
