import fp from 'fastify-plugin'
import metrics from 'fastify-metrics'
import promClient, { Registry } from 'prom-client'
import type { FastifyInstance, FastifyRequest } from 'fastify'

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

/** How long one rendering of /metrics is served to every scrape (ms). */
export const METRICS_REUSE_MS = 1000

/**
 * Renders at most once per `reuseMs`: concurrent callers share the rendering in progress, and
 * later ones reuse its text until it is `reuseMs` old. A flood of scrapes therefore costs one
 * rendering per second, not one per scrape. A failed rendering is not kept.
 */
export function sharedRendering (render: () => Promise<string>, reuseMs: number = METRICS_REUSE_MS, now: () => number = Date.now): () => Promise<string> {
  let current: Promise<string> | undefined
  let startedAt = 0
  return async () => {
    if (current === undefined || now() - startedAt >= reuseMs) {
      startedAt = now()
      const rendering = render()
      current = rendering
      rendering.catch(() => { if (current === rendering) current = undefined })
    }
    return await current
  }
}

/** The route template (`/api/products/:id`), never the raw URL: bounded label cardinality. */
function routeLabel (request: FastifyRequest): string {
  if (request.is404) return NOT_FOUND_ROUTE
  return request.routeOptions.config.statsId ?? request.routeOptions.url ?? NOT_FOUND_ROUTE
}

/**
 * Prometheus metrics: default process metrics and the `http_request_duration_seconds`
 * histogram (method, route template, status_code), served with every metric other plugins
 * register in `fastify.metricsRegistry` at `GET /metrics`. The scrape itself is neither
 * measured, logged (below warn), rate limited nor documented; it is rendered at most once per
 * second whatever the number of scrapers (a scrape sees figures at most 1 s old).
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
  const render = sharedRendering(async () => await registry.metrics())
  fastify.get('/metrics', {
    logLevel: 'warn',
    exposeHeadRoute: false,
    config: { rateLimit: false, disableMetrics: true },
    schema: { hide: true }
  }, async (_request, reply) => {
    reply.type(registry.contentType).header('cache-control', 'no-store')
    return await render()
  })
}

export default fp(metricsPlugin, { name: 'metrics' })
