import { test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { build, sql, flushPrefix } from '../helper.js'

type Json = Record<string, unknown>

/** `type: null` sends no content-type header at all. */
function post (app: FastifyInstance, body: Json | string, { url = '/webhook/order-update', type = 'application/json' as string | null } = {}) {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': type ?? undefined },
    payload: typeof body === 'string' ? body : JSON.stringify(body)
  })
}

async function metric (app: FastifyInstance, result: string): Promise<number> {
  const text = await app.metricsRegistry.getSingleMetricAsString('webhook_events_total')
  const line = text.split('\n').find((l) => l.startsWith(`webhook_events_total{result="${result}"}`))
  return Number(line?.split(' ')[1] ?? Number.NaN)
}

let seq = 0
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`

test('the first delivery is processed and every later one is a duplicate', async (t) => {
  const app = await build(t)
  const db = await sql(t)
  const event = { event_id: unique('evt'), order_id: unique('ord'), status: 'paid', occurred_at: '2025-03-01T10:00:00Z', courier: { name: 'x' } }

  const first = await post(app, event)
  t.equal(first.statusCode, 200)
  t.same(first.json(), { received: true, duplicate: false })
  for (let i = 0; i < 3; i++) {
    const again = await post(app, event)
    t.equal(again.statusCode, 200)
    t.same(again.json(), { received: true, duplicate: true })
  }
  await flushPrefix() // without the Redis fast path MySQL answers the same
  t.same((await post(app, event)).json(), { received: true, duplicate: true })

  const [rows] = await db.query<Array<{ n: number, payload: string }> & import('mysql2').RowDataPacket[]>(
    'SELECT COUNT(*) AS n, MAX(payload) AS payload FROM webhook_events WHERE event_id = ?', [event.event_id])
  t.equal(Number(rows[0].n), 1, 'one row per event')
  t.same(JSON.parse(rows[0].payload), event, 'members beyond the schema are kept with the event')
  t.equal(await metric(app, 'processed'), 1)
  t.equal(await metric(app, 'duplicate'), 4)
})

test('the alias POST /api/webhook shares the same events', async (t) => {
  const app = await build(t)
  const event = { event_id: unique('evt'), status: 'created' }
  t.same((await post(app, event, { url: '/api/webhook' })).json(), { received: true, duplicate: false })
  t.same((await post(app, event)).json(), { received: true, duplicate: true })
  t.same((await post(app, event, { url: '/api/webhook' })).json(), { received: true, duplicate: true })
})

test('a known event_id with different raw bytes is a 409 problem and changes nothing', async (t) => {
  const app = await build(t)
  const orderId = unique('ord')
  const eventId = unique('evt')
  const original = `{"event_id":"${eventId}","order_id":"${orderId}","status":"paid"}`
  t.equal((await post(app, original)).statusCode, 200)

  for (const other of [
    `{"event_id":"${eventId}","order_id":"${orderId}","status":"cancelled"}`,
    `{"order_id":"${orderId}","event_id":"${eventId}","status":"paid"}`, // same JSON, other bytes
    `{"event_id":"${eventId}","order_id":"${orderId}","status":"paid"} `
  ]) {
    const res = await post(app, other)
    t.equal(res.statusCode, 409, other)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { status: 409, title: 'Conflict', type: /webhook-event-conflict/, detail: new RegExp(eventId) })
  }
  await flushPrefix()
  t.equal((await post(app, `{"event_id":"${eventId}","order_id":"${orderId}","status":"cancelled"}`)).statusCode, 409,
    'MySQL alone detects the mismatch too')
  const order = await app.inject(`/api/orders/${orderId}`)
  t.equal(order.json().status, 'paid')
  t.equal(order.json().history.length, 1)
  t.equal(await metric(app, 'rejected'), 4)
})

test('out-of-order deliveries never move an order backwards', async (t) => {
  const app = await build(t)
  const orderId = unique('ord')
  const send = async (status: string, occurredAt: string) =>
    await post(app, { event_id: unique('evt'), order_id: orderId, status, occurred_at: occurredAt })

  t.equal((await send('shipped', '2025-03-01T12:00:00Z')).statusCode, 200)
  t.equal((await send('paid', '2025-03-01T11:00:00Z')).statusCode, 200, 'an older event is accepted')
  t.equal((await send('created', '2025-03-01T10:00:00+00:00')).statusCode, 200)
  let order = (await app.inject(`/api/orders/${orderId}`)).json()
  t.equal(order.status, 'shipped', 'still the newest status')
  t.same(order.history.map((h: Json) => h.status), ['shipped', 'paid', 'created'], 'history in arrival order')

  // An offset is an instant: 13:30+02:00 is 11:30Z, older than 12:00Z.
  await send('returned', '2025-03-01T13:30:00+02:00')
  order = (await app.inject(`/api/orders/${orderId}`)).json()
  t.equal(order.status, 'shipped')

  await send('delivered', '2025-03-01T12:00:00.001Z')
  order = (await app.inject(`/api/orders/${orderId}`)).json()
  t.equal(order.status, 'delivered', 'a newer event moves it')
  t.equal(order.history.length, 5)
})

test('events without occurred_at are ordered by their time of receipt', async (t) => {
  const app = await build(t)
  const orderId = unique('ord')
  await post(app, { event_id: unique('evt'), order_id: orderId, status: 'paid' })
  await post(app, { event_id: unique('evt'), order_id: orderId, status: 'packed' })
  let order = (await app.inject(`/api/orders/${orderId}`)).json()
  t.equal(order.status, 'packed', 'a later receipt wins')
  t.equal(order.history[0].occurredAt, null)

  await post(app, { event_id: unique('evt'), order_id: orderId, status: 'created', occurred_at: '2000-01-01T00:00:00Z' })
  order = (await app.inject(`/api/orders/${orderId}`)).json()
  t.equal(order.status, 'packed', 'an event that happened long ago does not win over one received now')
  await post(app, { event_id: unique('evt'), order_id: orderId, status: 'delivered', occurred_at: new Date(Date.now() + 60_000).toISOString() })
  order = (await app.inject(`/api/orders/${orderId}`)).json()
  t.equal(order.status, 'delivered')
})

test('events without order_id are recorded and acknowledged without touching orders', async (t) => {
  const app = await build(t)
  const db = await sql(t)
  const [[before]] = await db.query<import('mysql2').RowDataPacket[]>('SELECT COUNT(*) AS n FROM orders')
  const event = { event_id: unique('evt'), status: 'ping' }
  t.same((await post(app, event)).json(), { received: true, duplicate: false })
  t.same((await post(app, event)).json(), { received: true, duplicate: true })
  const [[after]] = await db.query<import('mysql2').RowDataPacket[]>('SELECT COUNT(*) AS n FROM orders')
  t.equal(Number(after.n), Number(before.n))
})

test('JSON content types with any charset or +json suffix are accepted', async (t) => {
  const app = await build(t)
  for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"',
    'application/vnd.farmlokal.order+json', 'application/cloudevents+json; charset=utf-8']) {
    const res = await post(app, { event_id: unique('evt'), status: 'paid' }, { type })
    t.equal(res.statusCode, 200, type)
  }
})

test('other content types, or none, are a 415 problem', async (t) => {
  const app = await build(t)
  const db = await sql(t)
  const eventId = unique('evt')
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'application/jsonp',
    'multipart/form-data; boundary=x', 'application/json+xml', 'json', '', null]) {
    const res = await post(app, { event_id: eventId, status: 'paid' }, { type })
    t.equal(res.statusCode, 415, String(type))
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { status: 415, type: /unsupported-media-type/ })
  }
  const empty = await app.inject({ method: 'POST', url: '/webhook/order-update' })
  t.equal(empty.statusCode, 415, 'no content type and no body')
  const [rows] = await db.query<import('mysql2').RowDataPacket[]>('SELECT 1 FROM webhook_events WHERE event_id = ?', [eventId])
  t.equal(rows.length, 0, 'nothing stored')
})

test('bodies over 64 KiB are a 413 problem; 64 KiB exactly is accepted', async (t) => {
  const app = await build(t)
  const frame = (pad: string, id: string) => `{"event_id":"${id}","status":"paid","pad":"${pad}"}`
  const id = unique('evt')
  const base = frame('', id).length
  const exact = frame('x'.repeat(64 * 1024 - base), id)
  t.equal(Buffer.byteLength(exact), 64 * 1024)
  t.equal((await post(app, exact)).statusCode, 200)

  const over = frame('x'.repeat(64 * 1024 - base + 1), unique('evt'))
  const res = await post(app, over)
  t.equal(res.statusCode, 413)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { status: 413, title: 'Payload Too Large' })
})

test('invalid bodies are a 400 problem naming the fault, and change nothing', async (t) => {
  const app = await build(t)
  const db = await sql(t)
  const [[before]] = await db.query<import('mysql2').RowDataPacket[]>('SELECT COUNT(*) AS n FROM webhook_events')
  const cases: Array<[string, string | Json, RegExp]> = [
    ['not JSON', '{"event_id":', /not valid JSON/],
    ['empty body', '', /not valid JSON/],
    ['an array', '[]', /must be object/],
    ['a string', '"evt"', /must be object/],
    ['null', 'null', /must be object/],
    ['no event_id', { status: 'paid' }, /event_id/],
    ['no status', { event_id: 'e1' }, /status/],
    ['empty event_id', { event_id: '', status: 'paid' }, /event_id/],
    ['numeric event_id', { event_id: 42, status: 'paid' }, /event_id must be string/],
    ['event_id over 128', { event_id: 'e'.repeat(129), status: 'paid' }, /event_id/],
    ['status over 64', { event_id: 'e1', status: 's'.repeat(65) }, /status/],
    ['empty order_id', { event_id: 'e1', status: 'paid', order_id: '' }, /order_id/],
    ['numeric order_id', { event_id: 'e1', status: 'paid', order_id: 7 }, /order_id/],
    ['occurred_at without zone', { event_id: 'e1', status: 'paid', occurred_at: '2025-03-01T10:00:00' }, /occurred_at/],
    ['occurred_at a date', { event_id: 'e1', status: 'paid', occurred_at: '2025-03-01' }, /occurred_at/],
    ['occurred_at nonsense', { event_id: 'e1', status: 'paid', occurred_at: 'yesterday' }, /occurred_at/],
    ['occurred_at a leap second', { event_id: 'e1', status: 'paid', occurred_at: '2016-12-31T23:59:60Z' }, /occurred_at/],
    ['occurred_at out of range', { event_id: 'e1', status: 'paid', occurred_at: '0999-12-31T23:59:59Z' }, /occurred_at/],
    ['occurred_at past 9999 in UTC', { event_id: 'e1', status: 'paid', occurred_at: '9999-12-31T23:00:00-05:00' }, /occurred_at/],
    ['a lone surrogate in event_id', '{"event_id":"e\\ud800","status":"paid"}', /event_id/]
  ]
  for (const [name, body, detail] of cases) {
    const res = await post(app, body)
    t.equal(res.statusCode, 400, name)
    t.match(res.headers['content-type'], /^application\/problem\+json/, name)
    t.match(res.json(), { status: 400, detail }, name)
  }
  const [[after]] = await db.query<import('mysql2').RowDataPacket[]>('SELECT COUNT(*) AS n FROM webhook_events')
  t.equal(Number(after.n), Number(before.n), 'nothing stored')
})

test('4-byte characters and 128-character ids round-trip; ids differing by case or a trailing space are distinct', async (t) => {
  const app = await build(t)
  const orderId = '🍅'.repeat(64) + 'o'.repeat(64)
  const base = unique('Evt')
  for (const eventId of [base, base.toLowerCase(), base + ' ']) {
    const res = await post(app, { event_id: eventId, order_id: orderId, status: 'récolté 🥕' })
    t.same(res.json(), { received: true, duplicate: false }, JSON.stringify(eventId))
  }
  const order = await app.inject(`/api/orders/${encodeURIComponent(orderId)}`)
  t.equal(order.statusCode, 200)
  t.equal(order.json().orderId, orderId)
  t.equal(order.json().status, 'récolté 🥕')
  t.same(order.json().history.map((h: Json) => h.eventId), [base, base.toLowerCase(), base + ' '])
})

test('a body that is not valid UTF-8 is a 400 problem and stores nothing (no U+FFFD stand-in)', async (t) => {
  const app = await build(t)
  const db = await sql(t)
  const eventId = unique('evt')
  for (const bad of [0xff, 0xfe]) {
    const payload = Buffer.concat([Buffer.from(`{"event_id":"${eventId}","status":"bad`), Buffer.from([bad]), Buffer.from('"}')])
    const res = await app.inject({ method: 'POST', url: '/webhook/order-update', headers: { 'content-type': 'application/json' }, payload })
    t.equal(res.statusCode, 400, `byte 0x${bad.toString(16)}`)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { status: 400, detail: /UTF-8/ })
  }
  const [rows] = await db.query<import('mysql2').RowDataPacket[]>('SELECT 1 FROM webhook_events WHERE event_id = ?', [eventId])
  t.equal(rows.length, 0, 'nothing stored')
  const good = await post(app, `{"event_id":"${eventId}","status":"bad\uFFFD"}`)
  t.same(good.json(), { received: true, duplicate: false }, 'a real U+FFFD sent as valid UTF-8 is an ordinary event')
})

test('occurred_at is kept and compared to the microsecond', async (t) => {
  const app = await build(t)
  const orderId = unique('ord')
  await post(app, { event_id: unique('evt'), order_id: orderId, status: 'shipped', occurred_at: '2025-03-01T10:00:00.0009Z' })
  await post(app, { event_id: unique('evt'), order_id: orderId, status: 'paid', occurred_at: '2025-03-01T10:00:00.0001Z' })
  let order = (await app.inject(`/api/orders/${orderId}`)).json()
  t.equal(order.status, 'shipped', '.0001 is older than .0009: the order does not move back')
  t.same(order.history.map((h: Json) => h.occurredAt), ['2025-03-01T10:00:00.000900Z', '2025-03-01T10:00:00.000100Z'])

  await post(app, { event_id: unique('evt'), order_id: orderId, status: 'delivered', occurred_at: '2025-03-01T10:00:00.000901Z' })
  order = (await app.inject(`/api/orders/${orderId}`)).json()
  t.equal(order.status, 'delivered', 'one microsecond later moves it')
})

test('an occurred_at more than 5 minutes ahead of the clock is a 400 problem; within 5 minutes is accepted', async (t) => {
  const app = await build(t)
  const db = await sql(t)
  const orderId = unique('ord')
  for (const ahead of [5 * 60_000 + 5_000, 3650 * 86_400_000]) {
    const occurredAt = new Date(Date.now() + ahead).toISOString()
    const res = await post(app, { event_id: unique('evt'), order_id: orderId, status: 'pinned', occurred_at: occurredAt })
    t.equal(res.statusCode, 400, occurredAt)
    t.match(res.json(), { status: 400, detail: /occurred_at .*5 minutes ahead/ })
  }
  const year9999 = await post(app, { event_id: unique('evt'), order_id: orderId, status: 'pinned', occurred_at: '9999-01-01T00:00:00Z' })
  t.equal(year9999.statusCode, 400, 'year 9999 cannot pin an order')
  const [rows] = await db.query<import('mysql2').RowDataPacket[]>('SELECT 1 FROM orders WHERE order_id = ?', [orderId])
  t.equal(rows.length, 0, 'no order was created')

  const soon = new Date(Date.now() + 4 * 60_000).toISOString()
  t.equal((await post(app, { event_id: unique('evt'), order_id: orderId, status: 'paid', occurred_at: soon })).statusCode, 200,
    'a provider clock a few minutes ahead is tolerated')
})
