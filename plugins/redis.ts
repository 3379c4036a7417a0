import fp from 'fastify-plugin'
import fastifyRedis from '@fastify/redis'
import { Cluster, Redis, type ClusterOptions } from 'ioredis'
import type { FastifyInstance } from 'fastify'
import { parseClusterNodes, type ClusterNode, type Config } from '../src/config.js'
import { RedisHealth } from '../src/lib/redis-health.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Shared by every Redis caller: after a failure all of them skip Redis for a moment. */
    redisHealth: RedisHealth
  }
}

export interface RedisPluginOptions {
  url: string
  /**
   * Seed nodes of a Redis Cluster: when given, the client is an ioredis `Cluster` on them and
   * `url` is not used (REDIS_CLUSTER_NODES).
   */
  clusterNodes?: ClusterNode[]
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
  return {
    url: config.REDIS_URL,
    ...(config.REDIS_CLUSTER_NODES !== undefined ? { clusterNodes: parseClusterNodes(config.REDIS_CLUSTER_NODES) } : {}),
    keyPrefix: config.REDIS_KEY_PREFIX
  }
}

/** The client every plugin receives as `fastify.redis`: one server, or a Redis Cluster. */
export type RedisClient = Redis | Cluster

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

/** Reconnection back-off: 100 ms, 200 ms, 400 ms, 800 ms, then every second, forever. */
const reconnectDelay = (attempt: number) => Math.min(50 * 2 ** attempt, 1000)

export function redisClientOptions (opts: RedisPluginOptions) {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: Math.max(3000, 10 * commandTimeoutMs(opts)),
    connectTimeout: 1000,
    retryStrategy: reconnectDelay,
    keyPrefix: opts.keyPrefix ?? '',
    lazyConnect: true,
    enableAutoPipelining: true
  }
}

/**
 * The same failure behaviour on a Redis Cluster (ioredis `Cluster`):
 * - `enableOfflineQueue: false` at the cluster level: a command for a slot whose node is not
 *   connected fails instead of queueing (the per-node connections keep ioredis' own queue,
 *   which only holds commands while a node connects);
 * - `keyPrefix` is set on the cluster, not in `redisOptions`: the cluster builds every command
 *   and computes its slot from the prefixed key (a prefix cannot hold a `{hash tag}`,
 *   REDIS_KEY_PREFIX forbids braces, so keys still spread over the slots);
 * - `redisOptions` carries the per-node settings of the single client (one retry, connect
 *   timeout, the backstop command timeout);
 * - `clusterRetryStrategy` never gives up: when no seed node answers, the cluster connects again
 *   in the background with the single client's back-off (`clusterNodeRetryStrategy` stays unset:
 *   a lost node is dropped and found again through the slot map);
 * - `scaleReads: 'master'`: reads stay on masters, so a read never sees a replica lagging behind
 *   a write another instance just made (the catalog version, the token, the idempotency digest);
 * - `enableReadyCheck`: ready only once CLUSTER INFO says `cluster_state:ok`;
 * - on MOVED the command follows the redirection at once and the slot map is refreshed; on a
 *   closed connection or CLUSTERDOWN (a master failing over) ioredis retries every 100 ms, up to
 *   16 redirections, refreshing the slot map each time, so the first command after a replica's
 *   promotion reaches the new master. The caller does not wait for those retries: its deadline
 *   (`commandTimeoutMs`) is kept by the shared health state as on a single server;
 * - `slotsRefreshTimeout` bounds each CLUSTER SLOTS read of a refresh.
 */
export function redisClusterOptions (opts: RedisPluginOptions): ClusterOptions {
  const single = redisClientOptions(opts)
  return {
    enableOfflineQueue: false,
    enableReadyCheck: true,
    scaleReads: 'master',
    keyPrefix: single.keyPrefix,
    lazyConnect: true,
    enableAutoPipelining: true,
    clusterRetryStrategy: reconnectDelay,
    slotsRefreshTimeout: 1000,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    maxRedirections: 16,
    redisOptions: {
      maxRetriesPerRequest: single.maxRetriesPerRequest,
      commandTimeout: single.commandTimeout,
      connectTimeout: single.connectTimeout
    }
  }
}

/**
 * A client for `opts`, not yet connected (call `connect()`): a Cluster when seed nodes are given.
 * `reconnect: false` makes a one-shot client (a script) give up instead of reconnecting.
 */
export function createRedisClient (opts: RedisPluginOptions, { reconnect = true } = {}): RedisClient {
  const never = () => null
  return opts.clusterNodes !== undefined
    ? new Cluster(opts.clusterNodes, { ...redisClusterOptions(opts), ...(reconnect ? {} : { clusterRetryStrategy: never }) })
    : new Redis(opts.url, { ...redisClientOptions(opts), ...(reconnect ? {} : { retryStrategy: never }) })
}

async function redisPlugin (fastify: FastifyInstance, opts: RedisPluginOptions) {
  const client = createRedisClient(opts)
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
  if (client instanceof Cluster) logNodeErrors(fastify, client)

  const connected = await Promise.race([
    client.connect().then(() => true, () => false),
    new Promise<boolean>((resolve) => setTimeout(resolve, opts.startWaitMs ?? 2000, false).unref())
  ])

  if (connected) {
    // The client is ready, so @fastify/redis decorates it at once. Its types name the single
    // client; a Cluster offers the same commands, and every plugin uses only those.
    await fastify.register(fastifyRedis, { client, closeClient: false })
    // QUIT needs a Redis that answers; when it is down or stalled, drop the socket instead.
    fastify.addHook('onClose', async () => { await client.quit().catch(() => { client.disconnect() }) })
  } else {
    // Started while Redis is down: keep the same client (it reconnects on its own) instead of
    // failing start-up; every user of Redis already copes with failed commands.
    fastify.log.warn('Redis is unreachable at start; going on without it until it answers')
    fastify.decorate('redis', client as unknown as FastifyInstance['redis'])
    fastify.addHook('onClose', async () => { client.disconnect() })
  }
}

/**
 * A Cluster reports a lost node (a master failing over, a replica restarting) as `node error`
 * while the cluster as a whole stays ready: logged at most once per node every 10 s.
 */
function logNodeErrors (fastify: FastifyInstance, cluster: Cluster): void {
  const lastLogged = new Map<string, number>()
  cluster.on('node error', (err: Error & { code?: string }, node: string) => {
    const now = Date.now()
    if (now - (lastLogged.get(node) ?? Number.NEGATIVE_INFINITY) < 10_000) return
    lastLogged.set(node, now)
    fastify.log.warn({ node, code: err.code, message: err.message }, 'Redis Cluster node unavailable; its slots degrade until a replica takes over')
  })
}

export default fp(redisPlugin, { name: 'redis' })
