// The catalog version bump after seeding: every instance drops the cached pages of the old catalog.
import { Redis } from 'ioredis'
import { CATALOG_VERSION_KEY } from '../src/lib/catalog-version.js'
import { redisClientOptions } from '../plugins/redis.js'

/**
 * INCRs the catalog version so every cached product page is dropped. Uses the service's Redis
 * client options (same key prefix, fails fast); throws when Redis does not answer.
 */
export async function bumpCatalogVersion (url: string, keyPrefix: string): Promise<number> {
  const client = new Redis(url, { ...redisClientOptions({ url, keyPrefix, commandTimeoutMs: 2000 }), retryStrategy: () => null })
  client.on('error', () => {}) // reported through the rejected command instead
  try {
    await client.connect()
    return await client.incr(CATALOG_VERSION_KEY)
  } finally {
    client.disconnect()
  }
}
