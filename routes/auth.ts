import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Problem } from '../src/schemas/problem.js'
import { TokenInfo } from '../src/schemas/token.js'

const auth: FastifyPluginAsyncTypebox = async (fastify) => {
  for (const url of ['/auth/token', '/test-auth']) {
    fastify.get(url, {
      schema: {
        tags: ['supplier'],
        summary: 'Supplier access token metadata (cache, then provider); never the token itself',
        response: { 200: TokenInfo, 502: Problem }
      }
    }, async (_request, reply) => {
      const token = await fastify.oauthToken.getToken()
      reply.header('cache-control', 'no-store')
      return {
        tokenType: token.tokenType,
        expiresAt: new Date(token.expiresAt).toISOString(),
        expiresIn: token.expiresIn,
        source: token.source,
        fingerprint: token.fingerprint
      }
    })
  }
}

export default auth
