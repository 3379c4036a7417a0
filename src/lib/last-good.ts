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

export class LastGoodStore {
  private readonly opts: LastGoodStoreOptions
  /** This instance's copy (Redis holds the shared one). */
  private own: LiveFeed | undefined

  constructor (opts: LastGoodStoreOptions) {
    this.opts = opts
  }

  async remember (live: LiveFeed): Promise<void> {
    this.own = live
    const { redis, health, ttlSeconds } = this.opts
    try {
      await health.run(async () => await redis.set(LAST_GOOD_KEY, JSON.stringify(live), 'EX', ttlSeconds))
    } catch (err) {
      this.opts.onStoreError?.(err)
    }
  }

  /** The newest good response known: shared in Redis, or this instance's own copy. */
  async recall (): Promise<LiveFeed | undefined> {
    const { redis, health } = this.opts
    const shared = await health.run(async () => await redis.get(LAST_GOOD_KEY)).then(parseKept, () => undefined)
    if (shared === undefined) return this.own
    if (this.own === undefined) return shared
    return Date.parse(this.own.fetchedAt) > Date.parse(shared.fetchedAt) ? this.own : shared
  }
}
