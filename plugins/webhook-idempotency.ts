import fp from 'fastify-plugin'
import createError from '@fastify/error'
import { Histogram } from 'prom-client'
import type { FastifyInstance } from 'fastify'
import type { PoolConnection } from 'mysql2/promise'
import type { Config } from '../src/config.js'
import { isUnavailable } from './mysql.js'
import { GroupCommit, QueueTimeoutError } from '../src/lib/group-commit.js'
import { EventLedger, type Outcome } from '../src/lib/event-ledger.js'
import { unavailable } from '../src/lib/statement-deadline.js'
import { webhookEventsCounter } from '../src/lib/webhook-metrics.js'
import type { LedgerEvent } from '../src/lib/webhook-event.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Exactly-once claim of webhook event ids: Redis fast path for repeats, MySQL decides. */
    webhookIdempotency: WebhookIdempotency
  }
}

export interface WebhookIdempotency {
  /**
   * Claims the event id and applies the event (src/lib/event-ledger.ts) in one transaction.
   * `duplicate` is false for exactly one delivery of an event id; a known id with other bytes
   * throws a 409 error. Resolves only once the claim is committed; once committed it never throws.
   */
  claim: (event: LedgerEvent) => Promise<{ duplicate: boolean }>
}

export interface WebhookIdempotencyOptions {
  /** How long Redis remembers a processed event id for the fast duplicate answer. */
  fastPathTtlSeconds?: number
  /**
   * Deadline of one delivery's database work, from its arrival (MYSQL_QUERY_TIMEOUT_MS). Half
   * of it at most is spent waiting for a connection; the commit itself is never cut by it.
   */
  timeoutMs?: number
  /** Transactions in flight at once per process (each holds one pooled connection). */
  concurrency?: number
  /** Most events committed together in one transaction. */
  maxBatch?: number
}

export function webhookIdempotencyOptions (config: Config): WebhookIdempotencyOptions {
  return {
    fastPathTtlSeconds: 24 * 60 * 60,
    timeoutMs: config.MYSQL_QUERY_TIMEOUT_MS,
    concurrency: Math.max(1, Math.min(4, config.MYSQL_POOL_SIZE - 1))
  }
}

export const WebhookEventConflictError = createError(
  'FL_WEBHOOK_EVENT_CONFLICT', 'Event %s was already received with a different body', 409
)

/**
 * Redis keys of the duplicate fast path: event id → hex digest of its body. One key per event,
 * single-key GET and SET only (fine on a Redis Cluster whatever slot an id hashes to, braces in
 * an event id included); MySQL, not Redis, decides exactly-once, so a lost key (an evicted entry,
 * a failover) only sends a repeat to the database.
 */
const FAST_PATH_KEY = 'webhooks:v1:event:'
/** Statement size bound: well under max_allowed_packet (16 MiB on MariaDB, 64 MiB on MySQL 8). */
const MAX_BATCH_BYTES = 4 * 1024 * 1024

const codeOf = (err: unknown) => (err as { code?: string } | undefined)?.code
const failure = (err: unknown): Error => isUnavailable(err) ? unavailable(codeOf(err) ?? 'unreachable') : err as Error

async function webhookIdempotency (fastify: FastifyInstance, opts: WebhookIdempotencyOptions) {
  const ttl = opts.fastPathTtlSeconds ?? 24 * 60 * 60
  const timeoutMs = opts.timeoutMs ?? fastify.db.timeoutMs
  const admitMs = Math.max(1, Math.floor(timeoutMs / 2))
  const redis = fastify.redis
  const health = fastify.redisHealth

  const events = webhookEventsCounter(fastify.metricsRegistry)
  const counted = { processed: events.labels('processed'), duplicate: events.labels('duplicate') }
  const batchSizes = new Histogram({
    name: 'webhook_commit_batch_size',
    help: 'New events made durable by one database commit (group commit of concurrent deliveries)',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200],
    registers: [fastify.metricsRegistry]
  })

  /**
   * What Redis remembers about an event id: its body digest, or undefined (unknown, Redis
   * failed, or skipped by the shared health state after a recent failure: then no wait at all).
   */
  async function remembered (eventId: string): Promise<string | undefined> {
    try {
      return (await health.run(async () => await redis.get(FAST_PATH_KEY + eventId))) ?? undefined
    } catch {
      return undefined
    }
  }

  /** Not awaited: the answer does not depend on it, and a slow Redis must not delay it. */
  function remember (eventId: string, digestHex: string): void {
    health.run(async () => await redis.set(FAST_PATH_KEY + eventId, digestHex, 'EX', ttl))
      .catch(() => { /* only the fast path is lost; MySQL still answers the next repeat */ })
  }

  /**
   * A pooled connection, waited for until `startBy` at most. Past it the batch fails with a 503
   * before any statement ran; a connection granted later goes straight back to the pool.
   */
  async function connect (startBy: number): Promise<PoolConnection> {
    const left = startBy - Date.now()
    if (left <= 0) throw unavailable(new QueueTimeoutError(admitMs).message)
    const granted = fastify.mysql.getConnection()
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(unavailable(new QueueTimeoutError(admitMs).message)), left)
    })
    try {
      return await Promise.race([granted, late])
    } catch (err) {
      granted.then((conn) => conn.release(), () => {})
      throw failure(err)
    } finally {
      clearTimeout(timer)
    }
  }

  const ledger = new EventLedger({
    connect,
    query: async (sql, values) => await fastify.mysql.query(sql, values),
    failure,
    log: fastify.log,
    timeoutMs,
    admitMs,
    committed: (n) => { batchSizes.observe(n) }
  })
  const queue = new GroupCommit<LedgerEvent, Outcome>({
    concurrency: opts.concurrency ?? 2,
    maxItems: opts.maxBatch ?? 200,
    maxBytes: MAX_BATCH_BYTES,
    maxWaitMs: admitMs,
    flush: async (batch) => await ledger.flush(batch)
  })
  fastify.addHook('onClose', async () => { queue.close(unavailable('shutting down')) })

  async function decide (event: LedgerEvent): Promise<Outcome> {
    const digestHex = event.digest.toString('hex')
    const known = await remembered(event.eventId)
    if (known !== undefined) return known === digestHex ? 'duplicate' : 'conflict'
    let outcome: Outcome
    try {
      outcome = await queue.submit(event, event.rawBody.length * 2 + 256)
    } catch (err) {
      if (err instanceof QueueTimeoutError) throw unavailable(err.message)
      throw err
    }
    if (outcome !== 'conflict') remember(event.eventId, digestHex)
    return outcome
  }

  async function claim (event: LedgerEvent): Promise<{ duplicate: boolean }> {
    const outcome = await decide(event)
    // A conflict is counted as rejected where deliveries are answered, with every other 4xx.
    if (outcome === 'conflict') throw new WebhookEventConflictError(JSON.stringify(event.eventId))
    counted[outcome].inc()
    return { duplicate: outcome === 'duplicate' }
  }

  fastify.decorate('webhookIdempotency', { claim })
}

export default fp(webhookIdempotency, { name: 'webhook-idempotency', dependencies: ['mysql', 'redis', 'metrics'] })
