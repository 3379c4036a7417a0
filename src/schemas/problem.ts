import Type, { type Static } from 'typebox'

/** RFC 9457 problem details, as every 4xx/5xx of the service is sent. */
export const Problem = Type.Object({
  type: Type.String({ examples: ['about:blank'] }),
  title: Type.String({ examples: ['Bad Request'] }),
  status: Type.Integer({ examples: [400] }),
  detail: Type.String({ examples: ['querystring/limit must be <= 100'] }),
  instance: Type.Optional(Type.String()),
  requestId: Type.Optional(Type.String())
}, { additionalProperties: true, description: 'RFC 9457 problem details (application/problem+json)' })

export type Problem = Static<typeof Problem>
