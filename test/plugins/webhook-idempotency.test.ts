import { test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { ledgerEvent } from '../../src/lib/webhook-event.js'
import { sql, flushPrefix } from '../helper.js'
import { bareOrders as bare, event, unique } from './webhook-plugins.js'

const claim = async (app: FastifyInstance, e: ReturnType<typeof event>) => await app.webhookIdempotency.claim(ledgerEvent(e))

test('claim claims an event id once among 100 concurrent calls', async (t) => {
  const app = await bare(t)
  await flushPrefix()
  const e = event({ eventId: unique('evt'), orderId: unique('ord'), status: 'paid' })
  const results = await Promise.all(Array.from({ length: 100 }, async () => await claim(app, e)))
  t.equal(results.filter((r) => !r.duplicate).length, 1)
  const metrics = await app.metricsRegistry.getSingleMetricAsString('webhook_events_total')
  t.match(metrics, /result="processed"\} 1$/m)
  t.match(metrics, /result="duplicate"\} 99$/m)
  t.match(metrics, /result="rejected"\} 0$/m, 'every result is exported from the start')
})

test('claim throws a 409 error for a known id with other bytes', async (t) => {
  const app = await bare(t)
  const eventId = unique('evt')
  await claim(app, event({ eventId, status: 'paid' }))
  await t.rejects(claim(app, event({ eventId, status: 'void' })), { statusCode: 409, code: 'FL_WEBHOOK_EVENT_CONFLICT' })
})

test('the claim and the order change commit together: a failed order update leaves the id unclaimed', async (t) => {
  const app = await bare(t)
  const db = await sql(t)
  const e = event({ eventId: unique('evt'), orderId: unique('ord'), status: 'paid' })
  await db.query('RENAME TABLE orders TO orders_away')
  let renamedBack = false
  t.teardown(async () => { if (!renamedBack) await db.query('RENAME TABLE orders_away TO orders') })

  await t.rejects(claim(app, e), { code: 'ER_NO_SUCH_TABLE' })
  const [claims] = await db.query<import('mysql2').RowDataPacket[]>('SELECT 1 FROM webhook_events WHERE event_id = ?', [e.eventId])
  t.equal(claims.length, 0, 'the event insert was rolled back with the failed order update')

  await db.query('RENAME TABLE orders_away TO orders')
  renamedBack = true
  t.same(await claim(app, e), { duplicate: false }, 'the redelivery is processed')
  t.equal((await app.orders.find(e.orderId as string))?.status, 'paid')
})

test('concurrent events are committed together, and a batch keeps exactly-once, 409 and out-of-order rules', async (t) => {
  const app = await bare(t)
  await flushPrefix()
  const orderId = unique('ord')
  const base = Date.UTC(2025, 3, 1)
  // 100 events of one order submitted at once, their occurred_at shuffled (a fixed permutation).
  const events = Array.from({ length: 100 }, (_, i) => event({
    eventId: unique('evt'), orderId, status: `step-${i}`, occurredAt: new Date(base + i * 1000).toISOString()
  }))
  const shuffled = events.map((_, i) => events[(i * 37) % 100])
  const repeat = shuffled[10]
  const forged = { ...repeat, rawBody: Buffer.from(repeat.rawBody.toString('utf8').replace('step-', 'forged-')) }
  const results = await Promise.allSettled([...shuffled, repeat, forged].map(async (e) => await claim(app, e)))

  const values = results.map((r) => r.status === 'fulfilled' ? r.value.duplicate : (r.reason as { statusCode?: number }).statusCode)
  t.same(values.slice(0, 100), Array(100).fill(false), 'each of the 100 events processed once')
  t.equal(values[100], true, 'the same bytes again in the same burst: a duplicate')
  t.equal(values[101], 409, 'other bytes under a claimed id in the same burst: 409')

  const order = await app.orders.find(orderId)
  t.equal(order?.status, 'step-99', 'the newest occurred_at wins whatever the order inside the batches')
  t.equal(order?.history.length, 100)
  t.same(order?.history.map((h) => h.eventId).sort(), shuffled.map((e) => e.eventId).sort(), 'one history entry per event')

  const metrics = await app.metricsRegistry.getSingleMetricAsString('webhook_commit_batch_size')
  const count = Number(/webhook_commit_batch_size_count (\d+)/.exec(metrics)?.[1])
  const sum = Number(/webhook_commit_batch_size_sum (\d+)/.exec(metrics)?.[1])
  t.equal(sum, 100, 'every new event made durable by a commit')
  t.ok(count <= 20, `in a few commits, not one per event (${count} commits)`)
})
