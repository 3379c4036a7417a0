import { sqlToIso, sqlToIsoMillis, toSqlDateTime, type Micros } from './event-time.js'
import type { LedgerEvent } from './webhook-event.js'
import type { Order } from '../schemas/order.js'

/**
 * The orders table: the statement that moves orders with a batch of new events (run inside the
 * events' own transaction), and the read of one order with its history. Pure code, no I/O.
 */

export type Statement = [sql: string, values: unknown[]]

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

const byOrderId = (a: LedgerEvent, b: LedgerEvent) => {
  const x = a.orderId as string
  const y = b.orderId as string
  return x < y ? -1 : x > y ? 1 : 0
}

/**
 * The order changes of `events` (received at `receivedAt`), or undefined when none names an
 * order. Rows are sorted by order id (stable: arrival order kept per order), so concurrent
 * batches lock orders in one order.
 */
export function upsertOrders (events: LedgerEvent[], receivedAt: Micros): Statement | undefined {
  const rows = events.filter((e) => e.orderId !== undefined).sort(byOrderId)
  if (rows.length === 0) return undefined
  const received = toSqlDateTime(receivedAt)
  const values: unknown[] = []
  for (const e of rows) {
    values.push(e.orderId, e.status, toSqlDateTime(e.occurred ?? receivedAt), e.eventId, received, received)
  }
  return [UPSERT_ORDERS_HEAD + rows.map(() => ORDER_ROW).join(', ') + UPSERT_ORDERS_TAIL, values]
}

// Timestamps are read as text to the microsecond (a Date would keep milliseconds only).
export const SELECT_ORDER = `SELECT status, DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s.%f') AS updated_at
  FROM orders WHERE order_id = ?`
export const SELECT_HISTORY = `SELECT event_id, status,
    DATE_FORMAT(occurred_at, '%Y-%m-%d %H:%i:%s.%f') AS occurred_at,
    DATE_FORMAT(received_at, '%Y-%m-%d %H:%i:%s.%f') AS received_at
  FROM webhook_events WHERE order_id = ? ORDER BY id`

type Row = Record<string, unknown>

/** The order from its row and its events' rows (arrival order), or undefined without a row. */
export function orderFromRows (orderId: string, order: Row | undefined, history: Row[]): Order | undefined {
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
