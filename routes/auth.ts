import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Problem } from '../src/schemas/problem.js'
import { TokenInfo } from '../src/schemas/token.js'
import { NO_STORE_HEADER, documented } from '../src/schemas/openapi.js'

const auth: FastifyPluginAsyncTypebox = async (fastify) => {
  for (const url of ['/auth/token', '/test-auth']) {
    const alias = url !== '/auth/token'
    fastify.get(url, {
      schema: {
        tags: ['supplier'],
        operationId: alias ? 'getSupplierTokenAlias' : 'getSupplierToken',
        summary: alias
          ? 'Alias of GET /auth/token (kept for existing callers)'
          : 'Supplier access token metadata (cache, then provider); never the token itself',
        description: 'Obtains the supplier access token through the token manager (shared cache, then the OAuth2 provider) ' +
          'and shows when it expires and where it came from. The token itself is never sent.',
        ...(alias ? { deprecated: true } : {}),
        response: {
          200: documented(TokenInfo, 'The current supplier token\'s metadata', NO_STORE_HEADER),
          502: documented(Problem, 'The OAuth2 provider could not issue a token; the next call tries again (application/problem+json)')
        }
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
