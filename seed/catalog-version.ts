// The catalog version bump after seeding: every instance drops the cached pages of the old catalog.
import { Cluster, Redis } from 'ioredis'
import { CATALOG_VERSION_KEY } from '../src/lib/catalog-version.js'
import { redisClientOptions, redisClusterOptions, type RedisPluginOptions } from '../plugins/redis.js'

/** Where the version lives: the service's Redis settings (`redisOptions(config)`): one server or a cluster. */
export type CatalogVersionTarget = Pick<RedisPluginOptions, 'url' | 'clusterNodes' | 'keyPrefix'>

/**
 * INCRs the catalog version so every cached product page is dropped. Uses the service's Redis
 * client options (same key prefix, fails fast; a Redis Cluster when the target names seed
 * nodes), without reconnecting; throws when Redis does not answer.
 * The older form `(url, keyPrefix)` addresses one server.
 */
export async function bumpCatalogVersion (target: CatalogVersionTarget | string, keyPrefix = ''): Promise<number> {
  const opts = typeof target === 'string' ? { url: target, keyPrefix } : target
  const settings = { ...opts, commandTimeoutMs: 2000 }
  const client = settings.clusterNodes !== undefined
    ? new Cluster(settings.clusterNodes, { ...redisClusterOptions(settings), clusterRetryStrategy: () => null })
    : new Redis(settings.url, { ...redisClientOptions(settings), retryStrategy: () => null })
  client.on('error', () => {}) // reported through the rejected command instead
  try {
    await client.connect()
    return await client.incr(CATALOG_VERSION_KEY)
  } finally {
    client.disconnect()
  }
}
