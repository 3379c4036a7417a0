import { test } from 'tap'
import { bareOrders as bare, event, unique } from './webhook-plugins.js'

test('find is undefined for an unknown order', async (t) => {
  const app = await bare(t)
  t.equal(await app.orders.find(unique('none')), undefined)
})

test('apply refuses an occurred_at it cannot store faithfully, before touching the database', async (t) => {
  const app = await bare(t, { MYSQL_URL: 'mysql://root@127.0.0.1:1/nowhere', MYSQL_QUERY_TIMEOUT_MS: 300 })
  await t.rejects(app.orders.apply(event({ eventId: unique('evt'), status: 'x', occurredAt: '0001-01-01T00:00:00Z' })),
    { statusCode: 400, code: 'FL_INVALID_WEBHOOK_EVENT' })
})

test('apply moves the order and find reads it back with its history', async (t) => {
  const app = await bare(t)
  const orderId = unique('ord')
  const first = event({ eventId: unique('evt'), orderId, status: 'paid', occurredAt: '2025-03-01T10:00:00.000001Z' })
  t.same(await app.orders.apply(first), { duplicate: false })
  t.same(await app.orders.apply(first), { duplicate: true })
  const order = await app.orders.find(orderId)
  t.match(order, { orderId, status: 'paid', history: [{ eventId: first.eventId, status: 'paid', occurredAt: '2025-03-01T10:00:00.000001Z' }] })
  t.equal(order?.history.length, 1)
})
