import { test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { build } from '../helper.js'

let seq = 0
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`

async function send (app: FastifyInstance, event: Record<string, unknown>): Promise<void> {
  const res = await app.inject({ method: 'POST', url: '/webhook/order-update', payload: event })
  if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}: ${res.body}`)
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

test('GET /api/orders/:orderId returns the status, updatedAt and the history oldest arrival first', async (t) => {
  const app = await build(t)
  const orderId = unique('ord')
  const ids = [unique('evt'), unique('evt'), unique('evt')]
  const before = Date.now()
  await send(app, { event_id: ids[0], order_id: orderId, status: 'paid', occurred_at: '2025-03-01T10:00:00.123+01:00' })
  await send(app, { event_id: ids[1], order_id: orderId, status: 'created', occurred_at: '2025-03-01T08:00:00Z' })
  await send(app, { event_id: ids[0], order_id: orderId, status: 'paid', occurred_at: '2025-03-01T10:00:00.123+01:00' })
  await send(app, { event_id: ids[2], order_id: orderId, status: 'note', extra: true, occurred_at: '2025-03-01T09:00:00.123Z' })
  const after = Date.now()

  const res = await app.inject(`/api/orders/${orderId}`)
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  const order = res.json()
  t.same(Object.keys(order).sort(), ['history', 'orderId', 'status', 'updatedAt'])
  t.equal(order.orderId, orderId)
  t.equal(order.status, 'note', '09:00:00.123Z ties with 10:00:00.123+01:00: the later arrival wins')
  t.match(order.updatedAt, ISO)
  t.same(order.history.map((h: { eventId: string }) => h.eventId), ids, 'one entry per distinct event, in arrival order')
  t.same(order.history.map((h: { occurredAt: string }) => h.occurredAt),
    ['2025-03-01T09:00:00.123Z', '2025-03-01T08:00:00.000Z', '2025-03-01T09:00:00.123Z'], 'occurredAt in UTC')
  for (const h of order.history) {
    t.same(Object.keys(h).sort(), ['eventId', 'occurredAt', 'receivedAt', 'status'])
    const received = Date.parse(h.receivedAt)
    t.ok(received >= before - 5 && received <= after + 5, 'receivedAt is the time of arrival')
  }
  t.ok(Date.parse(order.updatedAt) >= Date.parse(order.history[2].receivedAt), 'updatedAt is when the status last moved')
})

test('updatedAt does not change when an older event leaves the status alone', async (t) => {
  const app = await build(t)
  const orderId = unique('ord')
  await send(app, { event_id: unique('evt'), order_id: orderId, status: 'shipped', occurred_at: '2025-03-01T12:00:00Z' })
  const first = (await app.inject(`/api/orders/${orderId}`)).json()
  await send(app, { event_id: unique('evt'), order_id: orderId, status: 'paid', occurred_at: '2025-03-01T11:00:00Z' })
  const second = (await app.inject(`/api/orders/${orderId}`)).json()
  t.equal(second.status, 'shipped')
  t.equal(second.updatedAt, first.updatedAt)
  t.equal(second.history.length, 2)
})

test('GET /api/orders/:orderId is a 404 problem for an unknown order', async (t) => {
  const app = await build(t)
  const res = await app.inject(`/api/orders/${unique('never')}`)
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { status: 404, title: 'Not Found', type: /not-found/ })
})

test('an event without order_id does not create an order', async (t) => {
  const app = await build(t)
  const id = unique('x')
  await send(app, { event_id: id, status: 'paid' })
  t.equal((await app.inject(`/api/orders/${id}`)).statusCode, 404)
})

test('order ids with reserved characters are found through their percent-encoding', async (t) => {
  const app = await build(t)
  const orderId = `ord/${unique('a')}?b#c d%`
  await send(app, { event_id: unique('evt'), order_id: orderId, status: 'paid' })
  const res = await app.inject(`/api/orders/${encodeURIComponent(orderId)}`)
  t.equal(res.statusCode, 200)
  t.equal(res.json().orderId, orderId)
})

test('an order id over 128 characters is a 400 problem', async (t) => {
  const app = await build(t)
  const res = await app.inject(`/api/orders/${'o'.repeat(129)}`)
  t.equal(res.statusCode, 400)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { status: 400, detail: /orderId/ })
})

test('GET /api/orders/:orderId is a 503 problem while MySQL is unreachable', async (t) => {
  const app = await build(t, { MYSQL_URL: 'mysql://root@127.0.0.1:1/nowhere', MYSQL_QUERY_TIMEOUT_MS: 500 })
  const res = await app.inject('/api/orders/ord-1')
  t.equal(res.statusCode, 503)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
})
