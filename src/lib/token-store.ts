import type { Cluster, Redis } from 'ioredis'
import type { RedisHealth } from './redis-health.js'
import { tokenLock, type TokenLock } from './token-lock.js'
import { TokenUnavailableError } from './token-provider.js'
import { isUsable, parseStoredToken, type StoredToken } from './token-policy.js'

/**
 * Where tokens are kept between provider calls: Redis, shared by every instance, and this
 * process's own copy, which serves while Redis is unavailable. When no usable token is kept,
 * one instance takes a short Redis lock and asks the provider while the others watch for the
 * token to appear, so the provider is asked once across instances.
 */

/** Where a token was found: fetched now, shared through Redis, or this process's copy. */
export type TokenSource = 'provider' | 'redis' | 'memory'

export interface FoundToken {
  token: StoredToken
  source: TokenSource
}

export interface TokenStoreOptions {
  /** One server or a Redis Cluster: every command here touches a single key. */
  redis: Redis | Cluster
  /** The process's shared Redis health state: every call goes through it. */
  health: RedisHealth
  keys: { token: string, lock: string }
  /** How long the cross-instance fetch lock lives if its holder dies. */
  lockTtlMs: number
  /** How often an instance waiting for another's fetch looks for the token (ms). */
  pollMs: number
  /** Aborted when the service closes: ends a wait for another instance's fetch. */
  closing: AbortSignal
}

/** Asks the provider for a new token. */
export type FetchToken = () => Promise<StoredToken>

export class TokenStore {
  private readonly opts: TokenStoreOptions
  private readonly lock: TokenLock
  /** This process's copy: served while Redis is unavailable. */
  private memory: StoredToken | undefined

  /** Build it at start-up: the lock's scripts are defined on the client here. */
  constructor (opts: TokenStoreOptions) {
    this.opts = opts
    this.lock = tokenLock(opts.redis)
  }

  /** A usable token: the shared one, else one fetched with `fetch` (once across instances). */
  async get (fetch: FetchToken): Promise<FoundToken> {
    return await this.sharedOrOwn(fetch) ?? await this.underLock(fetch)
  }

  /** Drops the kept token (Redis and memory) if it is still `accessToken`, or whatever it is when omitted. */
  async drop (accessToken?: string): Promise<void> {
    const { redis, keys } = this.opts
    if (accessToken === undefined || this.memory?.accessToken === accessToken) this.memory = undefined
    try {
      if (accessToken === undefined) await this.run(async () => await redis.del(keys.token))
      else await this.run(async () => await this.lock.dropIfCurrent(keys.token, accessToken))
    } catch {
      // Redis unavailable: nothing shared to drop; the memory copy is gone already.
    }
  }

  private async run<T> (command: () => Promise<T>): Promise<T> {
    return await this.opts.health.run(command)
  }

  /** The shared token when usable (kept in memory too); throws when Redis is unavailable. */
  private async readShared (): Promise<StoredToken | undefined> {
    const token = parseStoredToken(await this.run(async () => await this.opts.redis.get(this.opts.keys.token)))
    if (!isUsable(token, Date.now())) return undefined
    this.memory = token
    return token
  }

  /** The shared token; with Redis unavailable, this process's own (or a fetch); undefined when Redis holds none. */
  private async sharedOrOwn (fetch: FetchToken): Promise<FoundToken | undefined> {
    let shared: StoredToken | undefined
    try {
      shared = await this.readShared()
    } catch {
      return await this.withoutRedis(fetch)
    }
    return shared !== undefined ? { token: shared, source: 'redis' } : undefined
  }

  /** Redis is unavailable: this process's copy, else a fetch (still one per process). */
  private async withoutRedis (fetch: FetchToken): Promise<FoundToken> {
    if (isUsable(this.memory, Date.now())) return { token: this.memory, source: 'memory' }
    return await this.fetchAndKeep(fetch)
  }

  private async fetchAndKeep (fetch: FetchToken): Promise<FoundToken> {
    const token = await fetch()
    await this.keep(token)
    return { token, source: 'provider' }
  }

  /** Keeps a token in memory and, best effort, in Redis until its refresh time. */
  private async keep (token: StoredToken): Promise<void> {
    this.memory = token
    const ttlMs = token.refreshAt - Date.now()
    if (ttlMs < 1) return
    try {
      await this.run(async () => await this.opts.redis.set(this.opts.keys.token, JSON.stringify(token), 'PX', ttlMs))
    } catch {
      // Redis unavailable: the memory copy serves this process.
    }
  }

  /**
   * Redis holds no usable token: one instance takes the lock and asks the provider, the others
   * watch for the token to appear. If the holder fails or dies, its lock is released or expires
   * and a waiter takes it; the wait is bounded by the lock's lifetime in any case.
   */
  private async underLock (fetch: FetchToken): Promise<FoundToken> {
    const { keys, lockTtlMs, pollMs, closing } = this.opts
    const deadline = Date.now() + lockTtlMs + 4 * pollMs
    for (;;) {
      let owner: string | undefined
      try {
        owner = await this.run(async () => await this.lock.acquire(keys.lock, lockTtlMs))
      } catch {
        return await this.withoutRedis(fetch)
      }
      if (owner !== undefined) {
        const held = owner
        try {
          // Another instance may have stored a token between our read and taking the lock.
          const shared = await this.readShared().catch(() => undefined)
          return shared !== undefined ? { token: shared, source: 'redis' } : await this.fetchAndKeep(fetch)
        } finally {
          await this.run(async () => await this.lock.release(keys.lock, held)).catch(() => false)
        }
      }
      if (Date.now() >= deadline) return await this.fetchAndKeep(fetch)
      await pause(pollMs, closing)
      if (closing.aborted) throw new TokenUnavailableError('the service is shutting down')
      const found = await this.sharedOrOwn(fetch)
      if (found !== undefined) return found
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
async function pause (ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms)
    function done () {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done)
  })
}
