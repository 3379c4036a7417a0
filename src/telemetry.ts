/**
 * OpenTelemetry tracing, loaded before the service with `node --import ./dist/src/telemetry.js`
 * (the Dockerfile and `npm start` do). It is on only when OTEL_EXPORTER_OTLP_ENDPOINT is set
 * (and OTEL_SDK_DISABLED is not `true`); otherwise this module returns at once and loads nothing.
 *
 * When on: spans for every Fastify request (@fastify/otel, which continues an incoming
 * `traceparent`), outgoing undici requests (the OAuth token and supplier calls, which carry
 * `traceparent` onward), ioredis commands and mysql2 queries, exported in batches over
 * OTLP/HTTP (JSON) to `$OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces`. The standard OTEL_* variables
 * (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_HEADERS, OTEL_BSP_*, OTEL_TRACES_SAMPLER ...) apply.
 */
import { TELEMETRY_SHUTDOWN } from './lib/trace-context.js'

/** Routes polled by probes and scrapers: a span for each would drown the useful ones. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics'])

async function startTracing (): Promise<void> {
  const { register } = await import('node:module')
  const { createAddHookMessageChannel } = await import('import-in-the-middle')
  // ESM imports of instrumented packages go through this loader hook; only the modules the
  // instrumentations name are wrapped (the message channel tells the hook which).
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel()
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions)

  const [
    { NodeTracerProvider, BatchSpanProcessor },
    { OTLPTraceExporter },
    { resourceFromAttributes },
    { registerInstrumentations },
    { FastifyOtelInstrumentation },
    { UndiciInstrumentation },
    { IORedisInstrumentation },
    { MySQL2Instrumentation },
    { buildInfo }
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/instrumentation'),
    import('@fastify/otel'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/instrumentation-ioredis'),
    import('@opentelemetry/instrumentation-mysql2'),
    import('./lib/build-info.js')
  ])

  const info = buildInfo()
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': process.env.OTEL_SERVICE_NAME ?? 'farmlokal-service',
      'service.version': info.version,
      ...(info.commit !== 'unknown' ? { 'vcs.ref.head.revision': info.commit } : {})
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())]
  })
  // The global tracer provider, AsyncLocalStorage context and W3C trace-context propagation.
  provider.register()

  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: ({ url }) => UNTRACED_PATHS.has(url.split('?')[0]),
        // "GET /external/products" rather than "request": the route template, never the raw URL.
        requestHook: (span, request) => {
          span.updateName(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`)
        }
      }),
      new UndiciInstrumentation(),
      new IORedisInstrumentation(),
      new MySQL2Instrumentation()
    ]
  })
  await waitForAllMessagesAcknowledged()

  ;(globalThis as Record<symbol, unknown>)[TELEMETRY_SHUTDOWN] = async () => { await provider.shutdown() }
}

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? ''
if (endpoint.trim() !== '' && process.env.OTEL_SDK_DISABLED?.toLowerCase() !== 'true') {
  await startTracing()
}
