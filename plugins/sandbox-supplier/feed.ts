import Type from 'typebox'

/** The shapes of the sandbox's token endpoint and product feed, and the feed it serves. */

export const TokenRequest = Type.Object({
  grant_type: Type.String({ minLength: 1, maxLength: 64 }),
  scope: Type.Optional(Type.String({ maxLength: 512 }))
}, { description: 'application/x-www-form-urlencoded (RFC 6749 §4.4.2)' })

export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  scope: Type.Optional(Type.String())
})

const SandboxProduct = Type.Object({
  sku: Type.String(),
  name: Type.String(),
  category: Type.String(),
  price: Type.Number(),
  unit: Type.String(),
  stock: Type.Integer()
})

export const SandboxFeed = Type.Object({
  supplier: Type.String(),
  currency: Type.String(),
  products: Type.Array(SandboxProduct),
  generatedAt: Type.String({ format: 'date-time' })
})

export const FEED = [
  { sku: 'SBX-001', name: 'Organic Tomatoes', category: 'vegetables', price: 42.5, unit: 'kg', stock: 120 },
  { sku: 'SBX-002', name: 'Alphonso Mangoes', category: 'fruits', price: 320, unit: 'dozen', stock: 40 },
  { sku: 'SBX-003', name: 'A2 Cow Milk', category: 'dairy', price: 68, unit: 'litre', stock: 200 },
  { sku: 'SBX-004', name: 'Brown Eggs', category: 'poultry', price: 96, unit: 'dozen', stock: 75 },
  { sku: 'SBX-005', name: 'Wildflower Honey', category: 'pantry', price: 249.99, unit: '500 g', stock: 30 }
]
