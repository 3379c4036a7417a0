import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { asOpsRoute } from '../src/lib/ops-route.js'

/**
 * Applies the operations-route rules (src/lib/ops-route.ts) to every route that declares
 * `config: { ops: true }`. Registered before any route, so it sees them all; plugins that
 * register third-party routes (the Swagger UI) apply the same rules to those themselves.
 */
async function opsRoutes (fastify: FastifyInstance) {
  fastify.addHook('onRoute', (route) => {
    if (route.config?.ops === true) asOpsRoute(route)
  })
}

export default fp(opsRoutes, { name: 'ops-routes' })
