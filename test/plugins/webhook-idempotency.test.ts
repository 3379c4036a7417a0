import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import errors from '../../plugins/errors.js'
import metrics from '../../plugins/metrics.js'
import mysql, { mysqlOptions } from '../../plugins/mysql.js'
import redis, { redisOptions } from '../../plugins/redis.js'
import webhookIdempotency, { webhookIdempotencyOptions } from '../../plugins/webhook-idempotency.js'
import { sign, secretKey } from '../../src/lib/standard-webhooks.js'
import { testConfig, prepareDatabase, sql, flushPrefix } from '../helper.js'

type Teardown = { teardown: (fn: () => unknown) => void }

/** The plugin and its dependencies on a bare instance, with the options app.ts gives them. */
async function bare (t: Teardown, overrides: Parameters<typeof testConfig>[0] = {}): Promise<FastifyInstance> {
  await prepareDatabase()
  const config = testConfig(overrides)
  const app = Fastify()
  await app.register(errors)
  await app.register(metrics)
  await app.register(mysql, mysqlOptions(config))
  await app.register(redis, redisOptions(config))
  await app.register(webhookIdempotency, webhookIdempotencyOptions(config))
  t.teardown(() => app.close())
  await app.ready()
  return app
}

let seq = 0
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`

function event (fields: { eventId: string, status: string, orderId?: string, occurredAt?: string }) {
  const rawBody = Buffer.from(JSON.stringify({ event_id: fields.eventId, order_id: fields.orderId, status: fields.status, occurred_at: fields.occurredAt }))
  return { ...fields, rawBody }
}

test('receive claims an event id once among 100 concurrent calls', async (t) => {
  const app = await bare(t)
  await flushPrefix()
  const e = event({ eventId: unique('evt'), orderId: unique('ord'), status: 'paid' })
  const results = await Promise.all(Array.from({ length: 100 }, async () => await app.webhookIdempotency.receive(e)))
  t.equal(results.filter((r) => !r.duplicate).length, 1)
  const metrics = await app.metricsRegistry.getSingleMetricAsString('webhook_events_total')
  t.match(metrics, /result="processed"\} 1$/m)
  t.match(metrics, /result="duplicate"\} 99$/m)
  t.match(metrics, /result="rejected"\} 0$/m, 'every result is exported from the start')
})

test('receive throws a 409 error for a known id with other bytes', async (t) => {
  const app = await bare(t)
  const eventId = unique('evt')
  await app.webhookIdempotency.receive(event({ eventId, status: 'paid' }))
  await t.rejects(app.webhookIdempotency.receive(event({ eventId, status: 'void' })), { statusCode: 409, code: 'FL_WEBHOOK_EVENT_CONFLICT' })
})

test('the claim and the order change commit together: a failed order update leaves the id unclaimed', async (t) => {
  const app = await bare(t)
  const db = await sql(t)
  const e = event({ eventId: unique('evt'), orderId: unique('ord'), status: 'paid' })
  await db.query('RENAME TABLE orders TO orders_away')
  let renamedBack = false
  t.teardown(async () => { if (!renamedBack) await db.query('RENAME TABLE orders_away TO orders') })

  await t.rejects(app.webhookIdempotency.receive(e), { code: 'ER_NO_SUCH_TABLE' })
  const [claims] = await db.query<import('mysql2').RowDataPacket[]>('SELECT 1 FROM webhook_events WHERE event_id = ?', [e.eventId])
  t.equal(claims.length, 0, 'the event insert was rolled back with the failed order update')

  await db.query('RENAME TABLE orders_away TO orders')
  renamedBack = true
  t.same(await app.webhookIdempotency.receive(e), { duplicate: false }, 'the redelivery is processed')
  t.equal((await app.webhookIdempotency.findOrder(e.orderId as string))?.status, 'paid')
})

test('findOrder is undefined for an unknown order', async (t) => {
  const app = await bare(t)
  t.equal(await app.webhookIdempotency.findOrder(unique('none')), undefined)
})

test('receive refuses an occurred_at it cannot store faithfully, before touching the database', async (t) => {
  const app = await bare(t, { MYSQL_URL: 'mysql://root@127.0.0.1:1/nowhere', MYSQL_QUERY_TIMEOUT_MS: 300 })
  await t.rejects(app.webhookIdempotency.receive(event({ eventId: unique('evt'), status: 'x', occurredAt: '0001-01-01T00:00:00Z' })),
    { statusCode: 400, code: 'FL_INVALID_WEBHOOK_EVENT' })
})

test('verifySignature is a no-op without a secret and a 401 error for a bad signature with one', async (t) => {
  const open = await bare(t)
  t.equal(open.webhookIdempotency.signing, false)
  t.doesNotThrow(() => open.webhookIdempotency.verifySignature({}, Buffer.from('{}')))

  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
  const closed = await bare(t, { WEBHOOK_SECRET: secret })
  t.equal(closed.webhookIdempotency.signing, true)
  const now = Math.floor(Date.now() / 1000)
  const body = Buffer.from('{"event_id":"e","status":"s"}')
  const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(now), 'webhook-signature': sign(secretKey(secret), 'msg_1', now, body) }
  t.doesNotThrow(() => closed.webhookIdempotency.verifySignature(headers, body))
  t.throws(() => closed.webhookIdempotency.verifySignature(headers, Buffer.from('{"event_id":"e","status":"t"}')),
    { statusCode: 401, code: 'FL_WEBHOOK_SIGNATURE' })
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
  const results = await Promise.allSettled([...shuffled, repeat, forged].map(async (e) => await app.webhookIdempotency.receive(e)))

  const values = results.map((r) => r.status === 'fulfilled' ? r.value.duplicate : (r.reason as { statusCode?: number }).statusCode)
  t.same(values.slice(0, 100), Array(100).fill(false), 'each of the 100 events processed once')
  t.equal(values[100], true, 'the same bytes again in the same burst: a duplicate')
  t.equal(values[101], 409, 'other bytes under a claimed id in the same burst: 409')

  const order = await app.webhookIdempotency.findOrder(orderId)
  t.equal(order?.status, 'step-99', 'the newest occurred_at wins whatever the order inside the batches')
  t.equal(order?.history.length, 100)
  t.same(order?.history.map((h) => h.eventId).sort(), shuffled.map((e) => e.eventId).sort(), 'one history entry per event')

  const metrics = await app.metricsRegistry.getSingleMetricAsString('webhook_commit_batch_size')
  const count = Number(/webhook_commit_batch_size_count (\d+)/.exec(metrics)?.[1])
  const sum = Number(/webhook_commit_batch_size_sum (\d+)/.exec(metrics)?.[1])
  t.equal(sum, 100, 'every new event made durable by a commit')
  t.ok(count <= 20, `in a few commits, not one per event (${count} commits)`)
})
