import { createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import createError from '@fastify/error'
import { Counter, Histogram } from 'prom-client'
import type { FastifyInstance } from 'fastify'
import type { PoolConnection, RowDataPacket } from 'mysql2/promise'
import type { Config } from '../src/config.js'
import { isUnavailable } from './mysql.js'
import { DatabaseUnavailableError, withProblem } from '../src/lib/errors.js'
import { verify, secretKey, FAILURE_DETAIL, DEFAULT_TOLERANCE_SECONDS, type SignatureHeaders } from '../src/lib/standard-webhooks.js'
import { GroupCommit, QueueTimeoutError, type Batch, type BatchResults } from '../src/lib/group-commit.js'
import { fromMillis, parseInstant, sqlToIso, sqlToIsoMillis, toSqlDateTime, type Micros } from '../src/lib/event-time.js'
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
  /** RFC 3339 as sent; absent means "use the time of receipt" for ordering. */
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
   * Resolves only once the claim is committed; once it is committed it never throws.
   */
  receive: (event: IncomingEvent) => Promise<{ duplicate: boolean }>
  /** The order with its event history (arrival order), or undefined when unknown. */
  findOrder: (orderId: string) => Promise<Order | undefined>
  /** Counts a delivery answered with a 4xx (bad signature, body, size, type, or a conflict). */
  countRejected: () => void
}

export interface WebhookIdempotencyOptions {
  /** `whsec_…` Standard Webhooks secrets separated by spaces (any verifies); unset = not required. */
  secret?: string
  toleranceSeconds?: number
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
    ...(config.WEBHOOK_SECRET !== undefined ? { secret: config.WEBHOOK_SECRET } : {}),
    toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
    fastPathTtlSeconds: 24 * 60 * 60,
    timeoutMs: config.MYSQL_QUERY_TIMEOUT_MS,
    concurrency: Math.max(1, Math.min(4, config.MYSQL_POOL_SIZE - 1))
  }
}

export const WebhookSignatureError = createError('FL_WEBHOOK_SIGNATURE', 'Webhook signature rejected: %s', 401)
export const WebhookEventConflictError = createError(
  'FL_WEBHOOK_EVENT_CONFLICT', 'Event %s was already received with a different body', 409
)
export const InvalidWebhookEventError = createError('FL_INVALID_WEBHOOK_EVENT', '%s', 400)

/** Redis keys of the duplicate fast path: event id → hex digest of its body. */
const FAST_PATH_KEY = 'webhooks:v1:event:'
/** Transactions one batch may start (deadlock victims and claims raced by another instance). */
const MAX_ATTEMPTS = 10
/** An `occurred_at` further ahead of our clock than this would pin its order: refused. */
const MAX_FUTURE_MICROS = 5n * 60n * 1_000_000n
/** Statement size bound: well under max_allowed_packet (16 MiB on MariaDB, 64 MiB on MySQL 8). */
const MAX_BATCH_BYTES = 4 * 1024 * 1024

const EVENT_ROW = '(?, ?, ?, ?, ?, ?, ?)'
const INSERT_EVENTS = `INSERT INTO webhook_events
  (event_id, body_sha256, order_id, status, occurred_at, received_at, payload) VALUES `

// One row per event, in arrival order. On an existing order the status moves when this event's
// effective time is not older than the applied one (equal times: the later arrival wins; rows
// of one statement apply in order). status_occurred_at is assigned last because MySQL evaluates
// the assignments left to right against the already-updated columns. VALUES() is understood by
// MariaDB and MySQL 8 alike (MySQL's newer row alias is not understood by MariaDB).
const ORDER_ROW = '(?, ?, ?, ?, ?, ?)'
const UPSERT_ORDERS_HEAD = `INSERT INTO orders
  (order_id, status, status_occurred_at, status_event_id, created_at, updated_at) VALUES `
const UPSERT_ORDERS_TAIL = `
  ON DUPLICATE KEY UPDATE
    status = IF(VALUES(status_occurred_at) >= status_occurred_at, VALUES(status), status),
    status_event_id = IF(VALUES(status_occurred_at) >= status_occurred_at, VALUES(status_event_id), status_event_id),
    updated_at = IF(VALUES(status_occurred_at) >= status_occurred_at, VALUES(updated_at), updated_at),
    status_occurred_at = GREATEST(status_occurred_at, VALUES(status_occurred_at))`

const SELECT_DIGESTS = 'SELECT event_id, body_sha256 FROM webhook_events WHERE event_id IN (?)'
const SELECT_RECEIVED = 'SELECT event_id FROM webhook_events WHERE event_id IN (?) AND received_at = ?'

const MICRO_TEXT = (column: string) => `DATE_FORMAT(${column}, '%Y-%m-%d %H:%i:%s.%f')`
const SELECT_ORDER = `SELECT status, ${MICRO_TEXT('updated_at')} AS updated_at FROM orders WHERE order_id = ?`
const SELECT_HISTORY = `SELECT event_id, status, ${MICRO_TEXT('occurred_at')} AS occurred_at, ${MICRO_TEXT('received_at')} AS received_at
  FROM webhook_events WHERE order_id = ? ORDER BY id`

type Outcome = 'processed' | 'duplicate' | 'conflict'

/** An event ready for the database: validated, digested, its instant parsed. */
interface Claim {
  eventId: string
  status: string
  orderId: string | undefined
  occurred: Micros | null
  rawBody: Buffer
  digest: Buffer
}

/** Lone UTF-16 surrogates cannot be stored as UTF-8: two different ids would collapse into one. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

function checkText (event: IncomingEvent): void {
  for (const [name, value] of [['event_id', event.eventId], ['order_id', event.orderId], ['status', event.status]] as const) {
    if (value !== undefined && LONE_SURROGATE.test(value)) {
      throw new InvalidWebhookEventError(`body/${name} must be valid Unicode (it contains an unpaired surrogate escape)`)
    }
  }
}

/** The event's instant at full precision, refused when it cannot be stored or is in the future. */
function occurredAt (text: string | undefined, nowMs: number): Micros | null {
  if (text === undefined) return null
  const parsed = parseInstant(text)
  if (!parsed.ok) throw new InvalidWebhookEventError(`body/occurred_at ${parsed.reason}`)
  if (parsed.micros > fromMillis(nowMs) + MAX_FUTURE_MICROS) {
    throw new InvalidWebhookEventError('body/occurred_at is more than 5 minutes ahead of the service clock')
  }
  return parsed.micros
}

/**
 * Receipt times: the wall clock in microseconds, strictly increasing within the process, so
 * every transaction's rows carry a receipt time of their own (the commit check relies on it).
 * The sub-millisecond digits start at a random offset per process, so that two instances
 * rarely write the same receipt time in the same millisecond.
 */
function receiptClock (): () => Micros {
  let last = 0n
  const offset = BigInt(Math.floor(Math.random() * 1000))
  return () => {
    const now = BigInt(Date.now()) * 1000n + offset
    last = now > last ? now : last + 1n
    return last
  }
}

const codeOf = (err: unknown) => (err as { code?: string } | undefined)?.code

function unavailable (detail: string): Error {
  return withProblem(new DatabaseUnavailableError(detail), { retryAfter: 1 })
}

/** The deadline of the statements before COMMIT: past it the connection is dropped (rollback). */
class StatementDeadline {
  expired = false
  /** Set when the connection was dropped for another reason (a COMMIT whose answer was lost). */
  dropped = false
  private readonly timer: NodeJS.Timeout
  private readonly passed: Promise<never>

  constructor (conn: PoolConnection, at: number, timeoutMs: number) {
    let fail: (err: Error) => void = () => {}
    this.passed = new Promise<never>((_resolve, reject) => { fail = reject })
    this.passed.catch(() => {})
    this.timer = setTimeout(() => {
      this.expired = true
      conn.destroy()
      fail(unavailable(`no answer within ${timeoutMs} ms`))
    }, Math.max(0, at - Date.now()))
  }

  /** `work`, or the deadline's 503 error if that comes first. */
  async step<T> (work: Promise<T>): Promise<T> {
    work.catch(() => {})
    return await Promise.race([work, this.passed])
  }

  /** Stops the clock: from here on (the COMMIT) nothing is cut. */
  stop (): void {
    clearTimeout(this.timer)
  }
}

async function webhookIdempotency (fastify: FastifyInstance, opts: WebhookIdempotencyOptions) {
  const keys = (opts.secret ?? '').split(/\s+/).filter((s) => s !== '').map(secretKey)
  const tolerance = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  const ttl = opts.fastPathTtlSeconds ?? 24 * 60 * 60
  const timeoutMs = opts.timeoutMs ?? fastify.db.timeoutMs
  const admitMs = Math.max(1, Math.floor(timeoutMs / 2))
  /** How long a sent COMMIT is waited for before its outcome is checked on another connection. */
  const commitWaitMs = Math.max(10_000, 5 * timeoutMs)
  const receivedNow = receiptClock()

  const events = new Counter({
    name: 'webhook_events_total',
    help: 'Order webhook deliveries by result: processed (first delivery), duplicate (a repeat), rejected (refused with a 4xx)',
    labelNames: ['result'] as const,
    registers: [fastify.metricsRegistry]
  })
  for (const result of ['processed', 'duplicate', 'rejected']) events.inc({ result }, 0)
  const batchSizes = new Histogram({
    name: 'webhook_commit_batch_size',
    help: 'New events made durable by one database commit (group commit of concurrent deliveries)',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200],
    registers: [fastify.metricsRegistry]
  })

  function verifySignature (headers: SignatureHeaders, rawBody: Buffer): void {
    if (keys.length === 0) return
    const result = verify({ keys, headers, body: rawBody, toleranceSeconds: tolerance })
    if (!result.ok) throw new WebhookSignatureError(FAILURE_DETAIL[result.reason])
  }

  /** What Redis remembers about an event id: its body digest, or undefined (unknown, or Redis skipped). */
  async function remembered (eventId: string): Promise<string | undefined> {
    try {
      return (await fastify.redisHealth.run(async () => await fastify.redis.get(FAST_PATH_KEY + eventId))) ?? undefined
    } catch {
      return undefined
    }
  }

  /** Not awaited: the answer does not depend on it, and a slow Redis must not delay it. */
  function remember (eventId: string, digestHex: string): void {
    fastify.redisHealth.run(async () => await fastify.redis.set(FAST_PATH_KEY + eventId, digestHex, 'EX', ttl))
      .catch(() => { /* only the fast path is lost; MySQL still answers the next repeat */ })
  }

  /**
   * A pooled connection, waited for until `startBy` at most. Past it the batch fails with a 503
   * before any statement ran; a connection granted later goes straight back to the pool.
   */
  async function acquire (startBy: number): Promise<PoolConnection> {
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
      if (isUnavailable(err)) throw unavailable(codeOf(err) ?? 'unreachable')
      throw err
    } finally {
      clearTimeout(timer)
    }
  }

  function insertEvents (claims: Claim[], received: string): [string, unknown[]] {
    const values: unknown[] = []
    for (const c of claims) {
      values.push(c.eventId, c.digest, c.orderId ?? null, c.status,
        c.occurred === null ? null : toSqlDateTime(c.occurred), received, c.rawBody.toString('utf8'))
    }
    return [INSERT_EVENTS + claims.map(() => EVENT_ROW).join(', '), values]
  }

  /** Rows sorted by order id (stable: arrival order kept per order), so concurrent batches lock orders in one order. */
  function upsertOrders (claims: Claim[], receivedAt: Micros): [string, unknown[]] | undefined {
    const rows = claims.filter((c) => c.orderId !== undefined)
      .sort((a, b) => (a.orderId as string) < (b.orderId as string) ? -1 : (a.orderId as string) > (b.orderId as string) ? 1 : 0)
    if (rows.length === 0) return undefined
    const received = toSqlDateTime(receivedAt)
    const values: unknown[] = []
    for (const c of rows) {
      values.push(c.orderId, c.status, toSqlDateTime(c.occurred ?? receivedAt), c.eventId, received, received)
    }
    return [UPSERT_ORDERS_HEAD + rows.map(() => ORDER_ROW).join(', ') + UPSERT_ORDERS_TAIL, values]
  }

  /**
   * After a COMMIT whose answer was lost: the rows are ours if they carry this transaction's
   * receipt time (unique per transaction and process). Undefined when that cannot be told.
   */
  async function committed (claims: Claim[], received: string): Promise<boolean | undefined> {
    let timer: NodeJS.Timeout | undefined
    try {
      const check = fastify.mysql.query<RowDataPacket[]>(SELECT_RECEIVED, [claims.map((c) => c.eventId), received])
      const [rows] = await Promise.race([check, new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('commit check timed out')), timeoutMs)
      })])
      return rows.length > 0
    } catch {
      return undefined
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * Claims and applies `claims` (distinct event ids) in as few transactions as possible: one,
   * unless another transaction claimed one of the ids meanwhile (that id is then decided from
   * the stored digest and the rest tried again) or InnoDB picked this one as a deadlock victim.
   * Returns the stored digest of every decided id; what is left undecided is in the error.
   */
  async function write (conn: PoolConnection, claims: Claim[], deadline: StatementDeadline,
    decided: Map<string, { outcome: Outcome, stored: Buffer }>): Promise<void> {
    let pending = claims
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_ATTEMPTS) throw unavailable('too many concurrent claims of the same events, retry')
      const receivedAt = receivedNow()
      const received = toSqlDateTime(receivedAt)
      let failure: unknown
      await deadline.step(conn.query('START TRANSACTION'))
      try {
        await deadline.step(conn.query(...insertEvents(pending, received)))
        const orders = upsertOrders(pending, receivedAt)
        if (orders !== undefined) await deadline.step(conn.query(...orders))
      } catch (err) {
        failure = err
      }
      if (deadline.expired) throw unavailable(`no answer within ${timeoutMs} ms`)
      if (failure !== undefined) {
        await deadline.step(conn.query('ROLLBACK'))
        const code = codeOf(failure)
        if (code === 'ER_LOCK_DEADLOCK') continue
        if (code !== 'ER_DUP_ENTRY') throw failure
        // Another transaction committed one of these ids first (we waited on its lock).
        const [rows] = await deadline.step(conn.query<RowDataPacket[]>(SELECT_DIGESTS, [pending.map((c) => c.eventId)]))
        const stored = new Map(rows.map((r) => [(r.event_id as Buffer).toString('utf8'), r.body_sha256 as Buffer]))
        for (const c of pending) {
          const digest = stored.get(c.eventId)
          if (digest !== undefined) decided.set(c.eventId, { outcome: digest.equals(c.digest) ? 'duplicate' : 'conflict', stored: digest })
        }
        pending = pending.filter((c) => !stored.has(c.eventId))
        continue
      }

      // The clock stops here: once COMMIT is sent, its answer decides, whatever the time.
      deadline.stop()
      let ok: boolean | undefined
      let unanswered: NodeJS.Timeout | undefined
      try {
        await Promise.race([conn.commit(), new Promise<never>((_resolve, reject) => {
          unanswered = setTimeout(() => reject(new Error('COMMIT unanswered')), commitWaitMs)
        })])
        ok = true
      } catch (err) {
        deadline.dropped = true
        conn.destroy()
        fastify.log.warn({ code: codeOf(err), events: pending.length }, 'COMMIT answer lost; checking its outcome')
        ok = await committed(pending, received)
        if (ok === undefined) {
          fastify.log.error({ events: pending.map((c) => c.eventId) }, 'outcome of a COMMIT unknown: the redelivery will tell')
        }
      } finally {
        clearTimeout(unanswered)
      }
      if (ok !== true) throw unavailable('the commit could not be confirmed')
      batchSizes.observe(pending.length)
      for (const c of pending) decided.set(c.eventId, { outcome: 'processed', stored: c.digest })
      return
    }
  }

  /** One batch: one connection, normally one transaction and one durable commit. */
  async function flush (batch: Batch<Claim>): Promise<BatchResults<Outcome>> {
    const conn = await acquire(batch.oldestAt + admitMs)
    const deadline = new StatementDeadline(conn, batch.oldestAt + timeoutMs, timeoutMs)
    // The first delivery of each id in the batch is claimed; the others follow its result.
    const leaders = new Map<string, Claim>()
    for (const c of batch.items) if (!leaders.has(c.eventId)) leaders.set(c.eventId, c)
    const decided = new Map<string, { outcome: Outcome, stored: Buffer }>()
    let failure: Error | undefined
    try {
      await write(conn, [...leaders.values()], deadline, decided)
    } catch (err) {
      failure = isUnavailable(err) ? unavailable(codeOf(err) ?? 'unreachable') : err as Error
      if (!deadline.expired && !deadline.dropped) {
        await conn.query('ROLLBACK').catch(() => { deadline.dropped = true; conn.destroy() })
      }
    } finally {
      deadline.stop()
      if (!deadline.expired && !deadline.dropped) conn.release()
    }
    return batch.items.map((c) => {
      const d = decided.get(c.eventId)
      if (d === undefined) return failure ?? unavailable('not applied')
      if (leaders.get(c.eventId) === c) return d.outcome
      return d.stored.equals(c.digest) ? 'duplicate' : 'conflict'
    })
  }

  const queue = new GroupCommit<Claim, Outcome>({
    concurrency: opts.concurrency ?? 2,
    maxItems: opts.maxBatch ?? 200,
    maxBytes: MAX_BATCH_BYTES,
    maxWaitMs: admitMs,
    flush
  })
  fastify.addHook('onClose', async () => { queue.close(unavailable('shutting down')) })

  async function receive (event: IncomingEvent): Promise<{ duplicate: boolean }> {
    checkText(event)
    const occurred = occurredAt(event.occurredAt, Date.now()) // refused before touching anything
    const digest = createHash('sha256').update(event.rawBody).digest()
    const digestHex = digest.toString('hex')

    let outcome: Outcome
    const known = await remembered(event.eventId)
    if (known !== undefined) {
      outcome = known === digestHex ? 'duplicate' : 'conflict'
    } else {
      const claim: Claim = { eventId: event.eventId, status: event.status, orderId: event.orderId, occurred, rawBody: event.rawBody, digest }
      try {
        outcome = await queue.submit(claim, event.rawBody.length * 2 + 256)
      } catch (err) {
        if (err instanceof QueueTimeoutError) throw unavailable(err.message)
        throw err
      }
      if (outcome !== 'conflict') remember(event.eventId, digestHex)
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
      updatedAt: sqlToIsoMillis(String(order.updated_at)),
      history: history.map((row) => ({
        eventId: (row.event_id as Buffer).toString('utf8'),
        status: row.status as string,
        occurredAt: row.occurred_at === null ? null : sqlToIso(String(row.occurred_at)),
        receivedAt: sqlToIsoMillis(String(row.received_at))
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
