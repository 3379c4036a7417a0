import fp from 'fastify-plugin'
import metrics from 'fastify-metrics'
import promClient, { Gauge, Registry } from 'prom-client'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { buildInfo } from '../src/lib/build-info.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * This instance's Prometheus registry. Plugins register the metrics they own in it
     * (`registers: [fastify.metricsRegistry]`), so several instances in one process never clash.
     */
    metricsRegistry: Registry
  }
}

/** The `route` label of requests that matched no route: one series however many URLs. */
export const NOT_FOUND_ROUTE = '__not_found__'

/**
 * Latency buckets in seconds: a cached page answers in well under a millisecond, a database
 * page in a few, a supplier call with retries in seconds.
 */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** The route template (`/api/products/:id`), never the raw URL: bounded label cardinality. */
function routeLabel (request: FastifyRequest): string {
  if (request.is404) return NOT_FOUND_ROUTE
  return request.routeOptions.config.statsId ?? request.routeOptions.url ?? NOT_FOUND_ROUTE
}

/**
 * Prometheus metrics: default process metrics and the `http_request_duration_seconds`
 * histogram (method, route template, status_code), served with every metric other plugins
 * register in `fastify.metricsRegistry` at `GET /metrics`. The scrape itself is neither
 * measured, logged (below warn), rate limited nor documented.
 */
async function metricsPlugin (fastify: FastifyInstance) {
  const registry = new Registry()
  fastify.decorate('metricsRegistry', registry)
  await fastify.register(metrics.default, {
    endpoint: null,
    promClient,
    defaultMetrics: { enabled: true, register: registry },
    routeMetrics: {
      enabled: { histogram: true, summary: false },
      // Unmatched requests are measured too, grouped under one route label.
      registeredRoutesOnly: false,
      invalidRouteGroup: NOT_FOUND_ROUTE,
      routeBlacklist: ['/metrics'],
      overrides: {
        labels: { getRouteLabel: routeLabel },
        histogram: { buckets: DURATION_BUCKETS, registers: [registry] },
        // fastify-metrics builds the summary even when disabled: keep it out of every registry.
        summary: { registers: [] }
      }
    }
  })
  // Which build runs where: one series of value 1 (joined onto other series in dashboards).
  new Gauge({
    name: 'farmlokal_build_info',
    help: 'The running build: package version, git commit and Node version; always 1',
    labelNames: ['version', 'commit', 'node'] as const,
    registers: [registry]
  }).set(buildInfo(), 1)
  fastify.get('/metrics', {
    logLevel: 'warn',
    exposeHeadRoute: false,
    config: { rateLimit: false, disableMetrics: true },
    schema: { hide: true }
  }, async (_request, reply) => {
    reply.type(registry.contentType).header('cache-control', 'no-store')
    return await registry.metrics()
  })
}

export default fp(metricsPlugin, { name: 'metrics' })
