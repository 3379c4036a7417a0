import type { PoolConnection, RowDataPacket } from 'mysql2/promise'
import type { Batch, BatchResults } from './group-commit.js'
import { toSqlDateTime, type Micros } from './event-time.js'
import { upsertOrders } from './order-sql.js'
import { StatementDeadline, unavailable } from './statement-deadline.js'
import type { LedgerEvent } from './webhook-event.js'

/**
 * The exactly-once ledger of webhook events in MySQL: one batch of concurrent deliveries is
 * claimed (a row per event id in webhook_events, unique key) and applied to its orders in one
 * transaction, normally one durable commit. No Fastify: the pool, the logger and the error
 * mapping are handed in.
 */

export type Outcome = 'processed' | 'duplicate' | 'conflict'

interface Decision { outcome: Outcome, stored: Buffer }

export interface EventLedgerOptions {
  /** A pooled connection, waited for until `startBy` (epoch ms) at most, else a 503 error. */
  connect: (startBy: number) => Promise<PoolConnection>
  /** One statement on any pooled connection (the check of a COMMIT whose answer was lost). */
  query: (sql: string, values: unknown[]) => Promise<[RowDataPacket[], unknown]>
  /** Maps a failure to the error the delivery gets (network failures become a 503). */
  failure: (err: unknown) => Error
  log: { warn: (obj: object, msg: string) => void, error: (obj: object, msg: string) => void }
  /** Deadline of a batch's statements, from its oldest delivery's arrival. */
  timeoutMs: number
  /** Longest wait for a pooled connection, from the oldest delivery's arrival. */
  admitMs: number
  /** Called with the number of new events made durable by each commit. */
  committed?: (events: number) => void
}

/** Transactions one batch may start (deadlock victims and claims raced by another instance). */
const MAX_ATTEMPTS = 10

const EVENT_ROW = '(?, ?, ?, ?, ?, ?, ?)'
const INSERT_EVENTS = `INSERT INTO webhook_events
  (event_id, body_sha256, order_id, status, occurred_at, received_at, payload) VALUES `
const SELECT_DIGESTS = 'SELECT event_id, body_sha256 FROM webhook_events WHERE event_id IN (?)'
const SELECT_RECEIVED = 'SELECT event_id FROM webhook_events WHERE event_id IN (?) AND received_at = ?'

const codeOf = (err: unknown) => (err as { code?: string } | undefined)?.code

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

function insertEvents (events: LedgerEvent[], received: string): [string, unknown[]] {
  const values: unknown[] = []
  for (const e of events) {
    values.push(e.eventId, e.digest, e.orderId ?? null, e.status,
      e.occurred === null ? null : toSqlDateTime(e.occurred), received, e.rawBody.toString('utf8'))
  }
  return [INSERT_EVENTS + events.map(() => EVENT_ROW).join(', '), values]
}

export class EventLedger {
  private readonly receivedNow = receiptClock()
  /** How long a sent COMMIT is waited for before its outcome is checked on another connection. */
  private readonly commitWaitMs: number

  constructor (private readonly opts: EventLedgerOptions) {
    this.commitWaitMs = Math.max(10_000, 5 * opts.timeoutMs)
  }

  /** One batch: one connection, normally one transaction and one durable commit. */
  async flush (batch: Batch<LedgerEvent>): Promise<BatchResults<Outcome>> {
    const conn = await this.opts.connect(batch.oldestAt + this.opts.admitMs)
    const deadline = new StatementDeadline(conn, batch.oldestAt + this.opts.timeoutMs, this.opts.timeoutMs)
    // The first delivery of each id in the batch is claimed; the others follow its result.
    const leaders = new Map<string, LedgerEvent>()
    for (const e of batch.items) if (!leaders.has(e.eventId)) leaders.set(e.eventId, e)
    const decided = new Map<string, Decision>()
    let failure: Error | undefined
    try {
      await this.write(conn, [...leaders.values()], deadline, decided)
    } catch (err) {
      failure = this.opts.failure(err)
      if (deadline.reusable) await conn.query('ROLLBACK').catch(() => { deadline.dropped = true; conn.destroy() })
    } finally {
      deadline.stop()
      if (deadline.reusable) conn.release()
    }
    return batch.items.map((e) => {
      const d = decided.get(e.eventId)
      if (d === undefined) return failure ?? unavailable('not applied')
      if (leaders.get(e.eventId) === e) return d.outcome
      return d.stored.equals(e.digest) ? 'duplicate' : 'conflict'
    })
  }

  /**
   * Claims and applies `events` (distinct event ids) in as few transactions as possible: one,
   * unless another transaction claimed one of the ids meanwhile (that id is then decided from
   * the stored digest and the rest tried again) or InnoDB picked this one as a deadlock victim.
   * Records the stored digest of every decided id; what is left undecided is in the error.
   */
  private async write (conn: PoolConnection, events: LedgerEvent[], deadline: StatementDeadline,
    decided: Map<string, Decision>): Promise<void> {
    let pending = events
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_ATTEMPTS) throw unavailable('too many concurrent claims of the same events, retry')
      const receivedAt = this.receivedNow()
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
      if (deadline.expired) throw unavailable(`no answer within ${this.opts.timeoutMs} ms`)
      if (failure !== undefined) {
        await deadline.step(conn.query('ROLLBACK'))
        const code = codeOf(failure)
        if (code === 'ER_LOCK_DEADLOCK') continue
        if (code !== 'ER_DUP_ENTRY') throw failure
        // Another transaction committed one of these ids first (we waited on its lock).
        const [rows] = await deadline.step(conn.query<RowDataPacket[]>(SELECT_DIGESTS, [pending.map((e) => e.eventId)]))
        const stored = new Map(rows.map((r) => [(r.event_id as Buffer).toString('utf8'), r.body_sha256 as Buffer]))
        for (const e of pending) {
          const digest = stored.get(e.eventId)
          if (digest !== undefined) decided.set(e.eventId, { outcome: digest.equals(e.digest) ? 'duplicate' : 'conflict', stored: digest })
        }
        pending = pending.filter((e) => !stored.has(e.eventId))
        continue
      }

      // The clock stops here: once COMMIT is sent, its answer decides, whatever the time.
      deadline.stop()
      if (!await this.commit(conn, pending, received, deadline)) throw unavailable('the commit could not be confirmed')
      this.opts.committed?.(pending.length)
      for (const e of pending) decided.set(e.eventId, { outcome: 'processed', stored: e.digest })
      return
    }
  }

  /** COMMIT; when its answer is lost, whether it happened is asked on another connection. */
  private async commit (conn: PoolConnection, events: LedgerEvent[], received: string, deadline: StatementDeadline): Promise<boolean> {
    try {
      await within(conn.commit(), this.commitWaitMs, 'COMMIT unanswered')
      return true
    } catch (err) {
      deadline.dropped = true
      conn.destroy()
      this.opts.log.warn({ code: codeOf(err), events: events.length }, 'COMMIT answer lost; checking its outcome')
      const ok = await this.committed(events, received)
      if (ok === undefined) {
        this.opts.log.error({ events: events.map((e) => e.eventId) }, 'outcome of a COMMIT unknown: the redelivery will tell')
      }
      return ok === true
    }
  }

  /**
   * After a COMMIT whose answer was lost: the rows are ours if they carry this transaction's
   * receipt time (unique per transaction and process). Undefined when that cannot be told.
   */
  private async committed (events: LedgerEvent[], received: string): Promise<boolean | undefined> {
    try {
      const [rows] = await within(this.opts.query(SELECT_RECEIVED, [events.map((e) => e.eventId), received]),
        this.opts.timeoutMs, 'commit check timed out')
      return rows.length > 0
    } catch {
      return undefined
    }
  }
}

/** `work`, or an Error(`message`) once `ms` have passed. */
async function within<T> (work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([work, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms)
    })])
  } finally {
    clearTimeout(timer)
  }
}
