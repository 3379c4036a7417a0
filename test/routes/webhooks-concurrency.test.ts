import { test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { setTimeout as delay } from 'node:timers/promises'
import { build, sql, flushPrefix, TEST_DB } from '../helper.js'

type Json = Record<string, unknown>

let seq = 0
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`

async function listen (app: FastifyInstance): Promise<string> {
  return await app.listen({ port: 0, host: '127.0.0.1' })
}

async function deliver (base: string, body: string): Promise<{ status: number, json: Json }> {
  const res = await fetch(`${base}/webhook/order-update`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return { status: res.status, json: await res.json() as Json }
}

async function counter (app: FastifyInstance, result: string): Promise<number> {
  const text = await app.metricsRegistry.getSingleMetricAsString('webhook_events_total')
  const line = text.split('\n').find((l) => l.startsWith(`webhook_events_total{result="${result}"}`))
  return Number(line?.split(' ')[1] ?? Number.NaN)
}

test('50 simultaneous deliveries of one event across two instances: exactly one is not a duplicate', async (t) => {
  const [a, b] = await Promise.all([build(t), build(t)])
  const urls = await Promise.all([listen(a), listen(b)])
  const db = await sql(t)

  for (const round of [1, 2, 3]) {
    await flushPrefix() // every delivery must be decided by MySQL, not by the Redis fast path
    const orderId = unique('ord')
    const body = JSON.stringify({ event_id: unique('evt'), order_id: orderId, status: `s${round}`, occurred_at: '2025-03-01T10:00:00Z' })
    const before = { a: await counter(a, 'processed'), b: await counter(b, 'processed') }
    const results = await Promise.all(Array.from({ length: 50 }, async (_, i) => await deliver(urls[i % 2], body)))

    t.same(results.filter((r) => r.status !== 200), [], `round ${round}: every delivery answered 200`)
    t.equal(results.filter((r) => r.json.duplicate === false).length, 1, `round ${round}: one first delivery`)
    t.equal(results.filter((r) => r.json.duplicate === true).length, 49, `round ${round}: 49 duplicates`)
    const processed = (await counter(a, 'processed')) - before.a + (await counter(b, 'processed')) - before.b
    t.equal(processed, 1, `round ${round}: counted once as processed over both instances`)

    const [events] = await db.query<import('mysql2').RowDataPacket[]>('SELECT COUNT(*) AS n FROM webhook_events WHERE order_id = ?', [orderId])
    t.equal(Number(events[0].n), 1, `round ${round}: one row`)
    const order = (await a.inject(`/api/orders/${orderId}`)).json()
    t.equal(order.history.length, 1)
    t.equal(order.status, `s${round}`)
  }
})

test('one event id sent at once with two different bodies: one wins, the rest are duplicates of it or 409', async (t) => {
  const [a, b] = await Promise.all([build(t), build(t)])
  const urls = await Promise.all([listen(a), listen(b)])
  const eventId = unique('evt')
  const orderId = unique('ord')
  const bodies = ['paid', 'cancelled'].map((status) => JSON.stringify({ event_id: eventId, order_id: orderId, status }))
  const results = await Promise.all(Array.from({ length: 40 }, async (_, i) => ({ i, ...await deliver(urls[i % 2], bodies[Math.floor(i / 2) % 2]) })))

  const firsts = results.filter((r) => r.status === 200 && r.json.duplicate === false)
  t.equal(firsts.length, 1, 'exactly one first delivery')
  const winner = bodies[Math.floor(firsts[0].i / 2) % 2]
  for (const r of results) {
    const mine = bodies[Math.floor(r.i / 2) % 2]
    if (mine === winner) t.equal(r.status, 200, 'same bytes as the winner: 200')
    else t.equal(r.status, 409, `other bytes: 409 ${JSON.stringify(r.json)}`)
  }
  const order = (await a.inject(`/api/orders/${orderId}`)).json()
  t.equal(order.status, (JSON.parse(winner) as { status: string }).status)
})

test('concurrent events of one order delivered in shuffled order end on the newest status', async (t) => {
  const [a, b] = await Promise.all([build(t), build(t)])
  const urls = await Promise.all([listen(a), listen(b)])
  const orderId = unique('ord')
  const start = Date.parse('2025-03-01T00:00:00Z')
  const events = Array.from({ length: 30 }, (_, i) => JSON.stringify({
    event_id: unique('evt'), order_id: orderId, status: `step-${i}`, occurred_at: new Date(start + i * 60_000).toISOString()
  }))
  // A fixed permutation (multiplying by a unit mod 30) so a failure reproduces.
  const shuffled = events.map((_, i) => events[(i * 7) % 30])
  const results = await Promise.all(shuffled.map(async (body, i) => await deliver(urls[i % 2], body)))
  t.ok(results.every((r) => r.status === 200 && r.json.duplicate === false))
  const order = (await b.inject(`/api/orders/${orderId}`)).json()
  t.equal(order.status, 'step-29')
  t.equal(order.history.length, 30)
})

test('while MySQL is unreachable the webhook is a 503 problem with retry-after', async (t) => {
  const app = await build(t, { MYSQL_URL: 'mysql://root@127.0.0.1:1/nowhere', MYSQL_QUERY_TIMEOUT_MS: 500 })
  const started = Date.now()
  const res = await app.inject({
    method: 'POST',
    url: '/webhook/order-update',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ event_id: unique('evt'), order_id: unique('ord'), status: 'paid' })
  })
  t.equal(res.statusCode, 503)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.ok(res.headers['retry-after'])
  t.notMatch(res.body, /127\.0\.0\.1|nowhere|INSERT|webhook_events/, 'no host, database or SQL in the body')
  t.ok(Date.now() - started < 2000, 'answers within the deadline')
})

test('a transaction cut by the deadline leaves neither the claim nor the order change; the redelivery is processed', async (t) => {
  const app = await build(t, { MYSQL_QUERY_TIMEOUT_MS: 400 })
  const db = await sql(t)
  const orderId = unique('ord')
  const first = JSON.stringify({ event_id: unique('evt'), order_id: orderId, status: 'paid', occurred_at: '2025-03-01T10:00:00Z' })
  t.equal((await app.inject({ method: 'POST', url: '/api/webhook', headers: { 'content-type': 'application/json' }, payload: first })).statusCode, 200)

  // Hold the order row: the next event claims its id, then blocks on the order until the deadline.
  const blocked = JSON.stringify({ event_id: unique('evt'), order_id: orderId, status: 'shipped', occurred_at: '2025-03-01T11:00:00Z' })
  const blockedId = (JSON.parse(blocked) as { event_id: string }).event_id
  await db.beginTransaction()
  await db.query('SELECT * FROM orders WHERE order_id = ? FOR UPDATE', [orderId])
  const cut = await app.inject({ method: 'POST', url: '/api/webhook', headers: { 'content-type': 'application/json' }, payload: blocked })
  t.equal(cut.statusCode, 503, 'past the deadline: 503')
  await db.commit()

  // The server rolls the abandoned transaction back once its statement ends and it sees the
  // closed connection; poll for that (bounded), looking only at this file's database.
  const deadline = Date.now() + 10_000
  let open = 1
  while (open > 0 && Date.now() < deadline) {
    const [rows] = await db.query<import('mysql2').RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM information_schema.innodb_trx trx
         JOIN information_schema.processlist p ON p.id = trx.trx_mysql_thread_id
        WHERE p.db = ? AND p.id <> CONNECTION_ID()`, [TEST_DB])
    open = Number(rows[0].n)
    if (open > 0) await delay(20)
  }
  t.equal(open, 0, 'the abandoned transaction is gone')
  const [claims] = await db.query<import('mysql2').RowDataPacket[]>('SELECT 1 FROM webhook_events WHERE event_id = ?', [blockedId])
  t.equal(claims.length, 0, 'the event id is not claimed')
  t.equal((await app.inject(`/api/orders/${orderId}`)).json().status, 'paid', 'the order did not move')

  const retry = await app.inject({ method: 'POST', url: '/api/webhook', headers: { 'content-type': 'application/json' }, payload: blocked })
  t.equal(retry.statusCode, 200)
  t.same(retry.json(), { received: true, duplicate: false }, 'the provider retry is the first real processing')
  t.equal((await app.inject(`/api/orders/${orderId}`)).json().status, 'shipped')
})

test('with Redis down events are still processed exactly once, through MySQL', async (t) => {
  const app = await build(t, { REDIS_URL: 'redis://127.0.0.1:1' })
  const body = { event_id: unique('evt'), order_id: unique('ord'), status: 'paid' }
  const send = async () => await app.inject({ method: 'POST', url: '/webhook/order-update', payload: body })
  const started = Date.now()
  t.same((await send()).json(), { received: true, duplicate: false })
  t.same((await send()).json(), { received: true, duplicate: true })
  t.equal((await app.inject({ method: 'POST', url: '/webhook/order-update', payload: { ...body, status: 'other' } })).statusCode, 409)
  t.ok(Date.now() - started < 3000, 'no Redis waits in the way')
})

test('the Redis fast path answers repeats, even on an instance whose MySQL is unreachable', async (t) => {
  const healthy = await build(t)
  const cut = await build(t, { MYSQL_URL: 'mysql://root@127.0.0.1:1/nowhere', MYSQL_QUERY_TIMEOUT_MS: 500 })
  const known = JSON.stringify({ event_id: unique('evt'), order_id: unique('ord'), status: 'paid' })
  const post = async (app: FastifyInstance, payload: string) =>
    await app.inject({ method: 'POST', url: '/webhook/order-update', headers: { 'content-type': 'application/json' }, payload })

  t.same((await post(healthy, known)).json(), { received: true, duplicate: false })
  t.same((await post(cut, known)).json(), { received: true, duplicate: true }, 'a repeat needs no MySQL')
  t.equal((await post(cut, known.replace('paid', 'lost'))).statusCode, 409, 'a mismatch is known too')
  t.equal((await post(cut, JSON.stringify({ event_id: unique('evt'), status: 'paid' }))).statusCode, 503, 'a new event needs MySQL')
})
