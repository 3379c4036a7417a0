import type { Redis } from 'ioredis'
import type { RedisHealth } from './redis-health.js'

/**
 * The supplier's last good response, kept for outages: in Redis, shared by every instance, and
 * in this process, which serves while Redis is unavailable. The newer of the two is recalled.
 */

/** Redis key of the last good response (bump v1 when its shape changes). */
export const LAST_GOOD_KEY = 'supplier:v1:products:last-good'

/** A response as it arrived from the supplier. */
export interface LiveFeed {
  data: unknown
  /** When it arrived (ISO 8601). */
  fetchedAt: string
}

export interface LastGoodStoreOptions {
  redis: Redis
  /** The process's shared Redis health state: every call goes through it. */
  health: RedisHealth
  /** How long the copy is kept in Redis. */
  ttlSeconds: number
  /** Told when the copy could not be written to Redis (it is kept in memory all the same). */
  onStoreError?: (err: unknown) => void
}

function parseKept (raw: string | null): LiveFeed | undefined {
  if (raw === null) return undefined
  try {
    const kept = JSON.parse(raw) as Partial<LiveFeed>
    if (typeof kept.fetchedAt === 'string' && 'data' in kept) return { data: kept.data, fetchedAt: kept.fetchedAt }
  } catch {}
  return undefined
}

export interface LastGoodStore {
  /** Keeps `live` as the newest good response (in Redis best effort, in memory always). */
  remember (live: LiveFeed): Promise<void>
  /** The newest good response known: shared in Redis, or this instance's own copy. */
  recall (): Promise<LiveFeed | undefined>
}

export function lastGoodStore ({ redis, health, ttlSeconds, onStoreError }: LastGoodStoreOptions): LastGoodStore {
  /** This instance's copy (Redis holds the shared one). */
  let own: LiveFeed | undefined
  return {
    async remember (live) {
      own = live
      try {
        await health.run(async () => await redis.set(LAST_GOOD_KEY, JSON.stringify(live), 'EX', ttlSeconds))
      } catch (err) {
        onStoreError?.(err)
      }
    },
    async recall () {
      const shared = await health.run(async () => await redis.get(LAST_GOOD_KEY)).then(parseKept, () => undefined)
      if (shared === undefined) return own
      if (own === undefined) return shared
      return Date.parse(own.fetchedAt) > Date.parse(shared.fetchedAt) ? own : shared
    }
  }
}
