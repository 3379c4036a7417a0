import fp from 'fastify-plugin'
import fastifyRedis from '@fastify/redis'
import { Redis } from 'ioredis'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'
import { RedisHealth } from '../src/lib/redis-health.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Shared by every Redis caller: after a failure all of them skip Redis for a moment. */
    redisHealth: RedisHealth
  }
}

export interface RedisPluginOptions {
  url: string
  /** Prepended to every key (isolates environments or test files sharing one Redis). */
  keyPrefix?: string
  /** Upper bound for one command, connection included (kept by the shared health state). */
  commandTimeoutMs?: number
  /** How long start-up waits for a first connection before going on degraded. */
  startWaitMs?: number
  /** After a failed command every caller leaves Redis alone this long (then one probe). */
  pauseAfterFailureMs?: number
}

export function redisOptions (config: Config): RedisPluginOptions {
  return { url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX }
}

/**
 * ioredis options chosen so that a Redis outage degrades the service instead of hanging it:
 * - `enableOfflineQueue: false`: while disconnected a command fails at once instead of waiting
 *   in an unbounded queue for a reconnection that may take minutes;
 * - `maxRetriesPerRequest: 1`: a command is not replayed for minutes on a failing connection;
 *   its deadline (`commandTimeoutMs`) is kept by the shared health state (src/lib/redis-health.ts),
 *   which tells a stalled Redis from a stalled event loop; the client's own `commandTimeout` is
 *   only a backstop that frees commands a black-holed connection never answers;
 * - `retryStrategy` never gives up: reconnection goes on in the background, backing off to at
 *   most 1 s, so the cache is back within about a second of Redis returning;
 * - `connectTimeout` bounds each connection attempt.
 */
function commandTimeoutMs (opts: RedisPluginOptions): number {
  return opts.commandTimeoutMs ?? 300
}

export function redisClientOptions (opts: RedisPluginOptions) {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: Math.max(3000, 10 * commandTimeoutMs(opts)),
    connectTimeout: 1000,
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 1000),
    keyPrefix: opts.keyPrefix ?? '',
    lazyConnect: true,
    enableAutoPipelining: true
  }
}

async function redisPlugin (fastify: FastifyInstance, opts: RedisPluginOptions) {
  const client = new Redis(opts.url, redisClientOptions(opts))
  const health = new RedisHealth({ pauseMs: opts.pauseAfterFailureMs ?? 1000, timeoutMs: commandTimeoutMs(opts) })
  fastify.decorate('redisHealth', health)

  // Errors are logged once per outage, not once per reconnection attempt.
  let down = false
  client.on('error', (err: Error & { code?: string }) => {
    if (down) return
    down = true
    fastify.log.warn({ code: err.code, message: err.message }, 'Redis unavailable; caching degrades to MySQL, rate limits fail open')
  })
  client.on('ready', () => {
    health.succeeded()
    if (down) fastify.log.info('Redis connection restored')
    down = false
  })

  const connected = await Promise.race([
    client.connect().then(() => true, () => false),
    new Promise<boolean>((resolve) => setTimeout(resolve, opts.startWaitMs ?? 2000, false).unref())
  ])

  if (connected) {
    // The client is ready, so @fastify/redis decorates it at once.
    await fastify.register(fastifyRedis, { client, closeClient: false })
    // QUIT needs a Redis that answers; when it is down or stalled, drop the socket instead.
    fastify.addHook('onClose', async () => { await client.quit().catch(() => { client.disconnect() }) })
  } else {
    // Started while Redis is down: keep the same client (it reconnects on its own) instead of
    // failing start-up; every user of Redis already copes with failed commands.
    fastify.log.warn('Redis is unreachable at start; going on without it until it answers')
    fastify.decorate('redis', client as FastifyInstance['redis'])
    fastify.addHook('onClose', async () => { client.disconnect() })
  }
}

export default fp(redisPlugin, { name: 'redis' })
