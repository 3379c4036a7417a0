import Type, { type Static } from 'typebox'
import { PriceParam } from './product.js'

export const CategoryCount = Type.Object({
  category: Type.String({ examples: ['fruits'] }),
  count: Type.Integer({ minimum: 1, description: 'Products of this category matching the query', examples: [49876] })
}, { additionalProperties: false })

export type CategoryCount = Static<typeof CategoryCount>

export const CategoryCounts = Type.Object({
  data: Type.Array(CategoryCount, {
    description: 'One entry per category with at least one matching product, ordered by category'
  })
}, {
  additionalProperties: false,
  examples: [{ data: [{ category: 'dairy', count: 49811 }, { category: 'fruits', count: 49876 }] }]
})

export type CategoryCounts = Static<typeof CategoryCounts>

export const CategoryQuery = Type.Object({
  q: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 100,
    description: 'Count only products matching this search (same rules as `q` of GET /api/products)',
    examples: ['organic', 'organic tom']
  })),
  minPrice: Type.Optional(PriceParam('Lowest price, inclusive')),
  maxPrice: Type.Optional(PriceParam('Highest price, inclusive'))
}, { additionalProperties: false })

export type CategoryQuery = Static<typeof CategoryQuery>
