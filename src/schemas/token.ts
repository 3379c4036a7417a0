import Type, { type Static } from 'typebox'

/** What GET /auth/token shows about the supplier access token: never the token itself. */
export const TokenInfo = Type.Object({
  tokenType: Type.String({ examples: ['Bearer'] }),
  expiresAt: Type.String({ format: 'date-time', description: 'Expiry as issued by the provider' }),
  expiresIn: Type.Integer({ minimum: 0, description: 'Seconds left until expiry', examples: [3599] }),
  source: Type.Union([Type.Literal('provider'), Type.Literal('redis'), Type.Literal('memory')], {
    description: 'provider: fetched for this call; redis: shared cache; memory: this process (Redis unavailable)'
  }),
  fingerprint: Type.String({ pattern: '^[0-9a-f]{12}$', description: 'First 12 hex digits of sha256(token)' })
}, {
  examples: [{ tokenType: 'Bearer', expiresAt: '2025-03-01T11:00:00.000Z', expiresIn: 3599, source: 'provider', fingerprint: '3f9a1c0be27d' }]
})

export type TokenInfo = Static<typeof TokenInfo>
