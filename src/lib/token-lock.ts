import { randomBytes } from 'node:crypto'
import type { Cluster, Redis } from 'ioredis'
import { defineScript, type ScriptSpec } from './redis-script.js'

/**
 * A short Redis lock so that several service instances sharing one Redis fetch a token once
 * between them. The owner value is random, and only the owner can release the lock (compare and
 * delete in one Lua script), so a holder whose lock expired cannot release a successor's lock.
 *
 * Key layout (Redis Cluster): each script and command touches one key, passed in KEYS, so the
 * lock key and the token key may live in different slots. Nothing reads or writes both at once;
 * if that ever changes, give them one hash tag (`oauth:v1:{<id>}:token`, `…:lock`).
 */

/** Deletes KEYS[1] only while it still holds ARGV[1] (the owner's value). */
export const RELEASE_LOCK_SCRIPT: ScriptSpec = {
  name: 'flTokenLockRelease',
  keys: 1,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`
}

/**
 * Deletes the cached token KEYS[1] only while it is still the token ARGV[1], so an instance told
 * that an old token was rejected does not throw away the new one another instance just stored.
 */
export const DROP_TOKEN_SCRIPT: ScriptSpec = {
  name: 'flTokenDropIfCurrent',
  keys: 1,
  lua: `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, entry = pcall(cjson.decode, raw)
if (not ok) or type(entry) ~= 'table' or entry.accessToken == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`
}

/** The lock and the conditional drop, on one Redis client. */
export interface TokenLock {
  /** Tries once to take the lock; returns the owner value when taken, undefined when held by another. */
  acquire (key: string, ttlMs: number): Promise<string | undefined>
  /** Releases the lock if `owner` still holds it; true when it did. */
  release (key: string, owner: string): Promise<boolean>
  /** Drops the cached token at `key` if it is still `accessToken`; true when it did. */
  dropIfCurrent (key: string, accessToken: string): Promise<boolean>
}

/**
 * Defines the scripts on `redis` at once. Call it before the client runs commands for this
 * purpose (at start-up): with auto-pipelining, a script defined while a pipeline is being
 * gathered is missing from that pipeline, which then fails every command queued in it.
 */
export function tokenLock (redis: Redis | Cluster): TokenLock {
  const release = defineScript<number>(redis, RELEASE_LOCK_SCRIPT)
  const drop = defineScript<number>(redis, DROP_TOKEN_SCRIPT)
  return {
    async acquire (key, ttlMs) {
      const owner = randomBytes(16).toString('hex')
      const reply = await redis.set(key, owner, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')
      return reply === 'OK' ? owner : undefined
    },
    async release (key, owner) {
      return await release(key, owner) === 1
    },
    async dropIfCurrent (key, accessToken) {
      return await drop(key, accessToken) === 1
    }
  }
}
