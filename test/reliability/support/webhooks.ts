// Webhooks (the reliability suite's shared pieces: see ../support.ts).
import { createHmac, randomBytes } from 'node:crypto'
import type mysql from 'mysql2/promise'
import { type Outcome, call } from './http.js'

export const WEBHOOK_SECRET = 'whsec_' + Buffer.from('reliability-suite-signing-key-32b').toString('base64')

/** Standard Webhooks headers for `body`: HMAC-SHA256 over `id.timestamp.body`. */
export function signWebhook (body: string | Buffer, { secret = WEBHOOK_SECRET, id = `msg_${randomBytes(8).toString('hex')}`, timestamp = Math.floor(Date.now() / 1000) } = {}): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
  const signature = createHmac('sha256', key)
    .update(`${id}.${timestamp}.`)
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest('base64')
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}` }
}

export interface OrderEvent { event_id: string, status: string, order_id?: string, occurred_at?: string }

/** A signed webhook call (JSON body) against `baseUrl`. */
export async function sendWebhook (baseUrl: string, event: OrderEvent, { timeoutMs = 5000, headers = {} as Record<string, string> } = {}): Promise<Outcome> {
  const body = JSON.stringify(event)
  return await call(`${baseUrl}/webhook/order-update`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signWebhook(body), ...headers },
    body,
    timeoutMs,
    label: event.event_id
  })
}

export interface WebhookTables {
  /** event_id → how many rows carry it. */
  events: Map<string, number>
  /** Broken invariants, each one line. Empty when every event is fully applied. */
  problems: string[]
}

/**
 * Reads webhook_events and orders straight from MySQL and checks that nothing is half applied:
 * every event with an order has its order row, the order is at least as new as the event, and
 * the order's status is the one its recorded event carried.
 */
export async function webhookTables (conn: mysql.Connection): Promise<WebhookTables> {
  const [eventRows] = await conn.query<mysql.RowDataPacket[]>(
    'SELECT event_id, order_id, status, COALESCE(occurred_at, received_at) AS effective FROM webhook_events')
  const [orderRows] = await conn.query<mysql.RowDataPacket[]>(
    'SELECT order_id, status, status_occurred_at, status_event_id FROM orders')
  const events = new Map<string, number>()
  const byId = new Map<string, mysql.RowDataPacket>()
  for (const row of eventRows) {
    const id = (row.event_id as Buffer).toString('utf8')
    events.set(id, (events.get(id) ?? 0) + 1)
    byId.set(id, row)
  }
  const orders = new Map<string, mysql.RowDataPacket>()
  for (const row of orderRows) orders.set((row.order_id as Buffer).toString('utf8'), row)

  const problems: string[] = []
  for (const [id, count] of events) if (count > 1) problems.push(`event ${id} stored ${count} times`)
  for (const [id, row] of byId) {
    if (row.order_id === null) continue
    const orderId = (row.order_id as Buffer).toString('utf8')
    const order = orders.get(orderId)
    if (order === undefined) {
      problems.push(`event ${id} stored but its order ${orderId} has no row`)
    } else if ((order.status_occurred_at as Date).getTime() < (row.effective as Date).getTime()) {
      problems.push(`event ${id} stored but order ${orderId} is older than it`)
    }
  }
  for (const [orderId, order] of orders) {
    const eventId = (order.status_event_id as Buffer).toString('utf8')
    const event = byId.get(eventId)
    if (event === undefined) problems.push(`order ${orderId} shows event ${eventId}, which is not stored`)
    else if (event.status !== order.status) problems.push(`order ${orderId} has status ${String(order.status)} but its event ${eventId} says ${String(event.status)}`)
  }
  return { events, problems }
}
