import Type, { type Static } from 'typebox'

/** GET /external/products: the supplier's product feed, live or the last good copy. */
export const ExternalProducts = Type.Object({
  data: Type.Unknown({ description: "The supplier's JSON body, as it sent it" }),
  source: Type.Union([Type.Literal('live'), Type.Literal('stale')], {
    description: '`live`: fetched for this request; `stale`: the last good response, served while the supplier fails or the circuit is open'
  }),
  fetchedAt: Type.String({ format: 'date-time', description: 'When this body arrived from the supplier' })
}, {
  examples: [{ data: { products: [{ sku: 'TOM-1KG', price: 42.5 }] }, source: 'live', fetchedAt: '2025-03-01T10:00:00.000Z' }]
})

export type ExternalProducts = Static<typeof ExternalProducts>
