import { createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import createError from '@fastify/error'
import { Counter } from 'prom-client'
import type { FastifyInstance } from 'fastify'
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise'
import type { Config } from '../src/config.js'
import { verify, secretKey, FAILURE_DETAIL, DEFAULT_TOLERANCE_SECONDS, type SignatureHeaders } from '../src/lib/standard-webhooks.js'
import type { Order } from '../src/schemas/order.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Order webhook ingest: signature check, exactly-once claim of event ids, order status. */
    webhookIdempotency: WebhookIdempotency
  }
}

export interface IncomingEvent {
  eventId: string
  status: string
  orderId?: string | undefined
  /** ISO 8601 as sent; absent means "use the time of receipt" for ordering. */
  occurredAt?: string | undefined
  /** The exact bytes received: digested for the duplicate check and stored as the payload. */
  rawBody: Buffer
}

export interface WebhookIdempotency {
  /** True when WEBHOOK_SECRET is set and every delivery must be signed. */
  readonly signing: boolean
  /** Throws a 401 error unless the delivery is correctly signed (no-op without a secret). */
  verifySignature: (headers: SignatureHeaders, rawBody: Buffer) => void
  /**
   * Claims the event id and applies the event in one transaction. `duplicate` is false for
   * exactly one delivery of an event id; a known id with other bytes throws a 409 error.
   */
  receive: (event: IncomingEvent) => Promise<{ duplicate: boolean }>
  /** The order with its event history (arrival order), or undefined when unknown. */
  findOrder: (orderId: string) => Promise<Order | undefined>
  /** Counts a delivery answered with a 4xx (bad signature, body, size, type, or a conflict). */
  countRejected: () => void
}

export interface WebhookIdempotencyOptions {
  /** `whsec_…` Standard Webhooks secret; unset = signatures not required. */
  secret?: string
  toleranceSeconds?: number
  /** How long Redis remembers a processed event id for the fast duplicate answer. */
  fastPathTtlSeconds?: number
}

export function webhookIdempotencyOptions (config: Config): WebhookIdempotencyOptions {
  return {
    ...(config.WEBHOOK_SECRET !== undefined ? { secret: config.WEBHOOK_SECRET } : {}),
    toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
    fastPathTtlSeconds: 24 * 60 * 60
  }
}

export const WebhookSignatureError = createError('FL_WEBHOOK_SIGNATURE', 'Webhook signature rejected: %s', 401)
export const WebhookEventConflictError = createError(
  'FL_WEBHOOK_EVENT_CONFLICT', 'Event %s was already received with a different body', 409
)
export const InvalidWebhookEventError = createError('FL_INVALID_WEBHOOK_EVENT', '%s', 400)

/** Redis keys of the duplicate fast path: event id → hex digest of its body. */
const FAST_PATH_KEY = 'webhooks:v1:event:'
/** Whole-transaction retries after InnoDB picked this one as a deadlock victim. */
const DEADLOCK_RETRIES = 3

const INSERT_EVENT = `INSERT INTO webhook_events
  (event_id, body_sha256, order_id, status, occurred_at, received_at, payload)
  VALUES (?, ?, ?, ?, ?, ?, ?)`

const SELECT_DIGEST = 'SELECT body_sha256 FROM webhook_events WHERE event_id = ? LOCK IN SHARE MODE'

// The status moves when this event's effective time is not older than the applied one
// (equal times: the later arrival wins). status_occurred_at is assigned last because MySQL
// evaluates the assignments left to right against the already-updated columns.
const UPSERT_ORDER = `INSERT INTO orders
  (order_id, status, status_occurred_at, status_event_id, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?)
  ON DUPLICATE KEY UPDATE
    status = IF(? >= status_occurred_at, ?, status),
    status_event_id = IF(? >= status_occurred_at, ?, status_event_id),
    updated_at = IF(? >= status_occurred_at, ?, updated_at),
    status_occurred_at = GREATEST(status_occurred_at, ?)`

const SELECT_ORDER = 'SELECT status, updated_at FROM orders WHERE order_id = ?'
const SELECT_HISTORY = `SELECT event_id, status, occurred_at, received_at
  FROM webhook_events WHERE order_id = ? ORDER BY id`

type Outcome = 'processed' | 'duplicate' | 'conflict'

class DeadlockRetry extends Error {}

/** Lone UTF-16 surrogates cannot be stored as UTF-8: two different ids would collapse into one. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

/** DATETIME(3) holds years 1000–9999 portably; an instant outside is refused, not stored wrong. */
function effectiveTime (occurredAt: string | undefined, receivedAt: Date): { occurred: Date | null, effective: Date } {
  if (occurredAt === undefined) return { occurred: null, effective: receivedAt }
  const occurred = new Date(occurredAt)
  const year = occurred.getUTCFullYear()
  if (Number.isNaN(occurred.getTime()) || year < 1000 || year > 9999) {
    throw new InvalidWebhookEventError('body/occurred_at must be an instant between the years 1000 and 9999 (UTC), without leap seconds')
  }
  return { occurred, effective: occurred }
}

function checkText (event: IncomingEvent): void {
  for (const [name, value] of [['event_id', event.eventId], ['order_id', event.orderId], ['status', event.status]] as const) {
    if (value !== undefined && LONE_SURROGATE.test(value)) {
      throw new InvalidWebhookEventError(`body/${name} must be valid Unicode (it contains an unpaired surrogate escape)`)
    }
  }
}

async function webhookIdempotency (fastify: FastifyInstance, opts: WebhookIdempotencyOptions) {
  const keys = opts.secret !== undefined ? [secretKey(opts.secret)] : []
  const tolerance = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  const ttl = opts.fastPathTtlSeconds ?? 24 * 60 * 60

  const events = new Counter({
    name: 'webhook_events_total',
    help: 'Order webhook deliveries by result: processed (first delivery), duplicate (a repeat), rejected (refused with a 4xx)',
    labelNames: ['result'] as const,
    registers: [fastify.metricsRegistry]
  })
  for (const result of ['processed', 'duplicate', 'rejected']) events.inc({ result }, 0)

  function verifySignature (headers: SignatureHeaders, rawBody: Buffer): void {
    if (keys.length === 0) return
    const result = verify({ keys, headers, body: rawBody, toleranceSeconds: tolerance })
    if (!result.ok) throw new WebhookSignatureError(FAILURE_DETAIL[result.reason])
  }

  /** What Redis remembers about an event id: its body digest, or undefined (unknown or Redis down). */
  async function remembered (eventId: string): Promise<string | undefined> {
    try {
      return (await fastify.redis.get(FAST_PATH_KEY + eventId)) ?? undefined
    } catch {
      return undefined
    }
  }

  async function remember (eventId: string, digestHex: string): Promise<void> {
    try {
      await fastify.redis.set(FAST_PATH_KEY + eventId, digestHex, 'EX', ttl)
    } catch {
      // Only the fast path is lost; MySQL still answers the next repeat.
    }
  }

  async function claimAndApply (conn: PoolConnection, event: IncomingEvent, digest: Buffer, receivedAt: Date): Promise<Outcome> {
    const { occurred, effective } = effectiveTime(event.occurredAt, receivedAt)
    try {
      await conn.execute(INSERT_EVENT, [
        event.eventId, digest, event.orderId ?? null, event.status, occurred, receivedAt, event.rawBody.toString('utf8')
      ])
    } catch (err) {
      if ((err as { code?: string }).code !== 'ER_DUP_ENTRY') throw err
      // Another delivery claimed this id first (we waited on its lock until it committed).
      const [rows] = await conn.execute<RowDataPacket[]>(SELECT_DIGEST, [event.eventId])
      return (rows[0]?.body_sha256 as Buffer | undefined)?.equals(digest) === true ? 'duplicate' : 'conflict'
    }
    if (event.orderId !== undefined) {
      const e = event.eventId
      await conn.execute<ResultSetHeader>(UPSERT_ORDER, [
        event.orderId, event.status, effective, e, receivedAt, receivedAt,
        effective, event.status,
        effective, e,
        effective, receivedAt,
        effective
      ])
    }
    return 'processed'
  }

  async function apply (event: IncomingEvent, digest: Buffer): Promise<Outcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fastify.db.transaction(async (conn) => {
          try {
            return await claimAndApply(conn, event, digest, new Date())
          } catch (err) {
            const code = (err as { code?: string }).code
            if (code === 'ER_LOCK_DEADLOCK' && attempt < DEADLOCK_RETRIES) throw new DeadlockRetry()
            throw err
          }
        })
      } catch (err) {
        if (!(err instanceof DeadlockRetry)) throw err
      }
    }
  }

  async function receive (event: IncomingEvent): Promise<{ duplicate: boolean }> {
    checkText(event)
    effectiveTime(event.occurredAt, new Date()) // refuse a bad occurred_at before touching anything
    const digest = createHash('sha256').update(event.rawBody).digest()
    const digestHex = digest.toString('hex')

    let outcome: Outcome
    const known = await remembered(event.eventId)
    if (known !== undefined) {
      outcome = known === digestHex ? 'duplicate' : 'conflict'
    } else {
      outcome = await apply(event, digest)
      if (outcome !== 'conflict') await remember(event.eventId, digestHex)
    }

    // A conflict is counted as rejected by the route, with every other 4xx answer.
    if (outcome === 'conflict') {
      throw new WebhookEventConflictError(JSON.stringify(event.eventId))
    }
    events.inc({ result: outcome })
    return { duplicate: outcome === 'duplicate' }
  }

  async function findOrder (orderId: string): Promise<Order | undefined> {
    const [orders, history] = await Promise.all([
      fastify.db.query(SELECT_ORDER, [orderId]),
      fastify.db.query(SELECT_HISTORY, [orderId])
    ])
    const order = orders[0]
    if (order === undefined) return undefined
    return {
      orderId,
      status: order.status as string,
      updatedAt: (order.updated_at as Date).toISOString(),
      history: history.map((row) => ({
        eventId: (row.event_id as Buffer).toString('utf8'),
        status: row.status as string,
        occurredAt: row.occurred_at === null ? null : (row.occurred_at as Date).toISOString(),
        receivedAt: (row.received_at as Date).toISOString()
      }))
    }
  }

  fastify.decorate('webhookIdempotency', {
    signing: keys.length > 0,
    verifySignature,
    receive,
    findOrder,
    countRejected: () => { events.inc({ result: 'rejected' }) }
  })
}

export default fp(webhookIdempotency, { name: 'webhook-idempotency', dependencies: ['mysql', 'redis', 'metrics'] })
