import Fastify, { type FastifyInstance, type FastifyServerOptions, type RawRequestDefaultExpression } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './config.js'
import { traceLogFields } from './lib/trace-context.js'
import { deferredChildLogger } from './lib/request-logger.js'

import errors, { clientErrorHandler, frameworkErrors } from '../plugins/errors.js'
import opsRoutes from '../plugins/ops-routes.js'
import metrics from '../plugins/metrics.js'
import mysql, { mysqlOptions } from '../plugins/mysql.js'
import redis, { redisOptions } from '../plugins/redis.js'
import operations, { operationsOptions } from '../plugins/operations.js'
import rateLimit, { rateLimitOptions } from '../plugins/rate-limit.js'
import docs, { docsOptions } from '../plugins/docs.js'
import pageCache, { pageCacheOptions } from '../plugins/page-cache.js'
import httpCache, { httpCacheOptions } from '../plugins/http-cache.js'
import catalog, { catalogOptions } from '../plugins/catalog.js'
import sandboxSupplier, { chooseSupplier } from '../plugins/sandbox-supplier.js'
import oauthToken, { oauthTokenOptions } from '../plugins/oauth-token.js'
import supplierClient, { supplierClientOptions } from '../plugins/supplier-client.js'
import webhookVerification, { webhookVerificationOptions } from '../plugins/webhook-verification.js'
import webhookIdempotency, { webhookIdempotencyOptions } from '../plugins/webhook-idempotency.js'
import orders from '../plugins/orders.js'

import healthRoutes from '../routes/health.js'
import productRoutes from '../routes/products.js'
import categoryRoutes from '../routes/categories.js'
import authRoutes from '../routes/auth.js'
import externalRoutes from '../routes/external.js'
import webhookRoutes from '../routes/webhooks.js'
import orderRoutes from '../routes/orders.js'

export interface BuildOptions {
  /** Where logs go instead of stdout (tests read them back). */
  logStream?: NodeJS.WritableStream
}

/** Paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["webhook-signature"]',
  'headers.authorization',
  'token', 'accessToken', 'access_token', 'clientSecret', 'client_secret', 'secret',
  '*.token', '*.accessToken', '*.access_token', '*.clientSecret', '*.client_secret', '*.secret',
  '*.password', 'password'
]

/** A caller's request id is kept only when it is this short and plain (it reaches logs and headers). */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/

/**
 * The request id: the caller's `x-request-id` when it is at most 64 characters of letters, digits
 * and `. _ : -`, otherwise a new UUID. Fastify reads no header itself (`requestIdHeader: false`),
 * so an over-long or unsafe value never becomes the id; plugins/operations.ts echoes the id back.
 */
export function requestId (req: RawRequestDefaultExpression): string {
  const given = req.headers['x-request-id']
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : crypto.randomUUID()
}

function trustProxy (value: string | undefined): FastifyServerOptions['trustProxy'] {
  if (value === undefined || value === 'false') return false
  if (value === 'true') return true
  // a hop count; Fastify accepts it though its type lists only strings and booleans
  if (/^\d+$/.test(value)) return Number(value) as unknown as string
  return value.split(',').map((s) => s.trim())
}

function loggerOptions (config: Config, opts: BuildOptions): FastifyServerOptions['logger'] {
  const base = {
    level: config.LOG_LEVEL,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // trace_id and span_id of the active span, when tracing is on (src/telemetry.ts)
    mixin: traceLogFields
  }
  if (opts.logStream !== undefined) return { ...base, stream: opts.logStream }
  if (config.LOG_PRETTY) {
    return { ...base, transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
  }
  return base
}

/**
 * Builds the service from its plugins and routes. Plugins come first, in dependency order;
 * routes last. Tests call this exactly as server.ts does.
 */
export async function buildApp (config: Config, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(config, opts),
    // request.log makes its pino child only when something is logged (src/lib/request-logger.ts).
    childLoggerFactory: deferredChildLogger,
    trustProxy: trustProxy(config.TRUST_PROXY),
    requestIdHeader: false,
    genReqId: requestId,
    // The largest body any route accepts; the webhook route narrows its own limit.
    bodyLimit: 64 * 1024,
    // Shutdown: stop accepting, finish in-flight requests, then drop idle keep-alive sockets.
    forceCloseConnections: 'idle',
    // Requests arriving while draining get a 503 problem from plugins/operations.ts.
    return503OnClosing: false,
    // Routing errors and HTTP the parser refuses leave as problem+json too.
    frameworkErrors,
    clientErrorHandler,
    // Node answers an HTTP/1.1 request without Host with a bare 400 of its own; let it through
    // to plugins/errors.ts, which refuses it with a problem+json 400.
    http: { requireHostHeader: false },
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 72_000,
    pluginTimeout: 30_000,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: true, useDefaults: true, allErrors: false } }
  }).withTypeProvider<TypeBoxTypeProvider>()

  // What every other part relies on.
  await app.register(errors)
  // Before every route: operations routes get their rules from their `ops` flag.
  await app.register(opsRoutes)
  // Before every plugin that adds routes, so that the document and the route inventory see them all.
  await app.register(docs, docsOptions(config))
  await app.register(metrics)
  await app.register(mysql, mysqlOptions(config))
  await app.register(redis, redisOptions(config))
  await app.register(operations, operationsOptions(config))
  await app.register(rateLimit, rateLimitOptions(config))

  // Domain plugins, each decorated onto the instance.
  await app.register(pageCache, pageCacheOptions(config))
  await app.register(httpCache, httpCacheOptions(config))
  await app.register(catalog, catalogOptions(config))
  const supplier = chooseSupplier(config, app.server)
  if (supplier.sandbox !== undefined) await app.register(sandboxSupplier, supplier.sandbox)
  await app.register(oauthToken, oauthTokenOptions(config, supplier.endpoint))
  await app.register(supplierClient, supplierClientOptions(config, supplier.endpoint))
  await app.register(webhookVerification, webhookVerificationOptions(config))
  await app.register(webhookIdempotency, webhookIdempotencyOptions(config))
  await app.register(orders)

  // Routes: HTTP only, one module per resource.
  await app.register(healthRoutes)
  await app.register(productRoutes)
  await app.register(categoryRoutes)
  await app.register(authRoutes)
  await app.register(externalRoutes)
  await app.register(webhookRoutes)
  await app.register(orderRoutes)

  return app
}
