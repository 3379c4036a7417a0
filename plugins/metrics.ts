import fp from 'fastify-plugin'
import metrics from 'fastify-metrics'
import promClient, { Gauge, Registry } from 'prom-client'
import { RequestHistogram, type HistogramSeries } from '../src/lib/request-histogram.js'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { buildInfo } from '../src/lib/build-info.js'
import { sharedResult } from '../src/lib/shared-result.js'

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

/** The route template (`/api/products/:id`), never the raw URL: bounded label cardinality. */
function routeLabel (request: FastifyRequest): string {
  if (request.is404) return NOT_FOUND_ROUTE
  return request.routeOptions.config.statsId ?? request.routeOptions.url ?? NOT_FOUND_ROUTE
}

/** Methods left out of the histogram (preflights, probes), as fastify-metrics does by default. */
const UNMEASURED_METHODS = new Set(['HEAD', 'OPTIONS', 'TRACE', 'CONNECT'])

/**
 * The request histogram, observed once per response. Each (method, route, status) series is
 * found once per route and status and kept (src/lib/request-histogram.ts), so a response costs
 * two Map lookups and one `observe`; the duration is Fastify's own (`reply.elapsedTime`, from the
 * request's arrival), so no timer is started per request.
 */
function requestHistogram (fastify: FastifyInstance, registry: Registry): void {
  const histogram = new RequestHistogram('http_request_duration_seconds', 'request duration in seconds', DURATION_BUCKETS)
  registry.registerMetric(histogram.asMetric())
  // Per route (its config object, one per route and method) and status; unmatched requests
  // share one route object, so their method is part of the inner key.
  const byRoute = new WeakMap<object, Map<string, HistogramSeries>>()
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const config = request.routeOptions.config
    if (!UNMEASURED_METHODS.has(request.method) && config.disableMetrics !== true) {
      let statuses = byRoute.get(config)
      if (statuses === undefined) {
        statuses = new Map()
        byRoute.set(config, statuses)
      }
      const method = request.method
      const status = reply.statusCode
      const key = request.is404 ? `${method} ${status}` : String(status)
      let series = statuses.get(key)
      if (series === undefined || series.labels.method !== method) {
        series = histogram.series({ method, route: routeLabel(request), status_code: status })
        statuses.set(key, series)
      }
      series.observe(reply.elapsedTime / 1000)
    }
    done()
  })
}

/**
 * Prometheus metrics: default process metrics (fastify-metrics) and the
 * `http_request_duration_seconds` histogram (method, route template, status_code), served with
 * every metric other plugins register in `fastify.metricsRegistry` at `GET /metrics`. The scrape
 * itself is neither measured, logged (below warn), rate limited nor documented; it is rendered at
 * most once per second whatever the number of scrapers (a scrape sees figures at most 1 s old),
 * and a flood of scrapes is answered at a bounded pace (src/lib/scrape-queue.ts), never refused.
 */
async function metricsPlugin (fastify: FastifyInstance) {
  const registry = new Registry()
  fastify.decorate('metricsRegistry', registry)
  await fastify.register(metrics.default, {
    endpoint: null,
    promClient,
    defaultMetrics: { enabled: true, register: registry },
    // Per-route metrics are observed by requestHistogram: fastify-metrics' own start a timer and
    // build a label object on every request, a measurable share of a cached page's cost.
    routeMetrics: { enabled: false }
  })
  requestHistogram(fastify, registry)
  // Which build runs where: one series of value 1 (joined onto other series in dashboards).
  new Gauge({
    name: 'farmlokal_build_info',
    help: 'The running build: package version, git commit and Node version; always 1',
    labelNames: ['version', 'commit', 'node'] as const,
    registers: [registry]
  }).set(buildInfo(), 1)
  // The rendering is kept as bytes: every scrape of that second sends the same Buffer, with no
  // re-encoding of the text and no byte count per scrape.
  const render = sharedResult(async () => Buffer.from(await registry.metrics()), METRICS_REUSE_MS)
  fastify.get('/metrics', {
    exposeHeadRoute: false,
    // An operations route (unlimited, paced, quiet: src/lib/ops-route.ts), never shed, not measured itself.
    config: { ops: true, shed: false, disableMetrics: true },
    schema: {
      tags: ['operations'],
      operationId: 'getMetrics',
      summary: 'Prometheus metrics (text exposition format)',
      description: 'Default process metrics; `http_request_duration_seconds` (histogram by `method`, `route` template ' +
        'and `status_code`); `products_cache_requests_total{result}`, `oauth_token_fetches_total`, ' +
        '`supplier_requests_total{outcome}`, `supplier_retries_total`, `supplier_circuit_state` (0 closed, 1 half-open, ' +
        '2 open) and `webhook_events_total{result}`. Not rate limited, not logged below warn, not measured itself.',
      produces: ['text/plain; version=0.0.4; charset=utf-8'],
      response: {
        200: {
          type: 'string',
          description: 'The metrics in the Prometheus text format',
          headers: { 'cache-control': { type: 'string', description: '`no-store`' } },
          examples: ['# HELP supplier_circuit_state 0 closed, 1 half-open, 2 open\n# TYPE supplier_circuit_state gauge\nsupplier_circuit_state 0\n']
        }
      }
    }
  }, async (_request, reply) => {
    reply.type(registry.contentType).header('cache-control', 'no-store')
    return await render()
  })
}

export default fp(metricsPlugin, { name: 'metrics' })
