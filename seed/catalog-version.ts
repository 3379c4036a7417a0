// The catalog version bump after seeding: every instance drops the cached pages of the old catalog.
import { CATALOG_VERSION_KEY } from '../src/lib/catalog-version.js'
import { createRedisClient, type RedisPluginOptions } from '../plugins/redis.js'

/** Where the version lives: the service's Redis settings (`redisOptions(config)`): one server or a cluster. */
export type CatalogVersionTarget = Pick<RedisPluginOptions, 'url' | 'clusterNodes' | 'keyPrefix'>

/**
 * INCR, then raised above `above` when it is not already: one key, one script. The version
 * recorded in MySQL for read replicas only ever grows, so after a Redis that lost its data
 * (flushed, replaced) the next bump must land above it, or a replica could pass for up to date.
 */
const BUMP_ABOVE = `
local v = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[1])
if v <= floor then
  v = floor + 1
  redis.call('SET', KEYS[1], v)
end
return v`

/**
 * Bumps the catalog version so every cached product page is dropped: the new version is one
 * more than the current one, and more than `above` (the version recorded in MySQL). Uses the
 * service's Redis client options (same key prefix, fails fast; a Redis Cluster when the target
 * names seed nodes), without reconnecting; throws when Redis does not answer.
 * The older form `(url, keyPrefix)` addresses one server.
 */
export async function bumpCatalogVersion (target: CatalogVersionTarget | string, keyPrefix = '', above = 0): Promise<number> {
  const opts = typeof target === 'string' ? { url: target, keyPrefix } : target
  const settings = { ...opts, commandTimeoutMs: 2000 }
  const client = createRedisClient(settings, { reconnect: false })
  client.on('error', () => {}) // reported through the rejected command instead
  try {
    await client.connect()
    return Number(await client.eval(BUMP_ABOVE, 1, CATALOG_VERSION_KEY, above))
  } finally {
    client.disconnect()
  }
}
