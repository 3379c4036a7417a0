import fp from 'fastify-plugin'
import metrics from 'fastify-metrics'
import promClient, { Registry } from 'prom-client'
import type { FastifyInstance } from 'fastify'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * This instance's Prometheus registry. Plugins register the metrics they own in it
     * (`registers: [fastify.metricsRegistry]`), so several instances in one process never clash.
     */
    metricsRegistry: Registry
  }
}

async function metricsPlugin (fastify: FastifyInstance) {
  const registry = new Registry()
  fastify.decorate('metricsRegistry', registry)
  await fastify.register(metrics.default, {
    endpoint: null,
    promClient,
    defaultMetrics: { enabled: true, register: registry },
    routeMetrics: {
      enabled: { histogram: true, summary: false },
      registeredRoutesOnly: false,
      invalidRouteGroup: '__unknown__',
      routeBlacklist: ['/metrics'],
      overrides: { histogram: { registers: [registry] }, summary: { registers: [registry] } }
    }
  })
  fastify.get('/metrics', { logLevel: 'warn', config: { rateLimit: false }, schema: { hide: true } as object }, async (_request, reply) => {
    reply.type(registry.contentType)
    return await registry.metrics()
  })
}

export default fp(metricsPlugin, { name: 'metrics' })
