import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { defineScript, type ScriptSpec } from './redis-script.js'

/**
 * A short Redis lock so that several service instances sharing one Redis fetch a token once
 * between them. The owner value is random, and only the owner can release the lock (compare and
 * delete in one Lua script), so a holder whose lock expired cannot release a successor's lock.
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

/** Tries once to take the lock; returns the owner value when taken, undefined when held by another. */
export async function acquireLock (redis: Redis, key: string, ttlMs: number): Promise<string | undefined> {
  const owner = randomBytes(16).toString('hex')
  const reply = await redis.set(key, owner, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')
  return reply === 'OK' ? owner : undefined
}

/** Releases the lock if `owner` still holds it; true when it did. */
export async function releaseLock (redis: Redis, key: string, owner: string): Promise<boolean> {
  return await defineScript<number>(redis, RELEASE_LOCK_SCRIPT)(key, owner) === 1
}

/** Drops the cached token at `key` if it is still `accessToken`; true when it did. */
export async function dropTokenIfCurrent (redis: Redis, key: string, accessToken: string): Promise<boolean> {
  return await defineScript<number>(redis, DROP_TOKEN_SCRIPT)(key, accessToken) === 1
}
