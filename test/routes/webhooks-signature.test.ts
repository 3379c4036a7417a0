import { test } from 'tap'
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { build, sql, testConfig } from '../helper.js'
import { sign, secretKey } from '../../src/lib/standard-webhooks.js'

const SECRET = 'whsec_' + randomBytes(32).toString('base64')
const KEY = secretKey(SECRET)

let seq = 0
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`
const nowSeconds = () => Math.floor(Date.now() / 1000)

interface Delivery {
  body: string
  id?: string | undefined
  timestamp?: number | string | undefined
  signature?: string | undefined
}

function deliver (app: FastifyInstance, { body, id, timestamp, signature }: Delivery) {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (id !== undefined) headers['webhook-id'] = id
  if (timestamp !== undefined) headers['webhook-timestamp'] = String(timestamp)
  if (signature !== undefined) headers['webhook-signature'] = signature
  return app.inject({ method: 'POST', url: '/webhook/order-update', headers, payload: body })
}

/** A correctly signed delivery of `body`, with the parts a test may then spoil. */
function signed (body: string, timestamp = nowSeconds()) {
  const id = unique('msg')
  return { body, id, timestamp, signature: sign(KEY, id, timestamp, body) }
}

const eventBody = (extra = '') => `{"event_id":"${unique('evt')}","order_id":"${unique('ord')}","status":"paid"${extra}}`

async function stored (db: Awaited<ReturnType<typeof sql>>, body: string): Promise<number> {
  const eventId = (JSON.parse(body) as { event_id: string }).event_id
  const [rows] = await db.query<import('mysql2').RowDataPacket[]>('SELECT 1 FROM webhook_events WHERE event_id = ?', [eventId])
  return rows.length
}

test('a correctly signed delivery is accepted, and its repeat (new webhook-id, same event) is a duplicate', async (t) => {
  const app = await build(t, { WEBHOOK_SECRET: SECRET })
  const body = eventBody(',"note":"café 🍅"')
  const res = await deliver(app, signed(body))
  t.equal(res.statusCode, 200)
  t.same(res.json(), { received: true, duplicate: false })
  const again = await deliver(app, signed(body))
  t.same(again.json(), { received: true, duplicate: true })
})

test('bad or missing signatures are a 401 problem and store nothing', async (t) => {
  const logs: Array<Record<string, unknown>> = []
  const app = await build(t, { WEBHOOK_SECRET: SECRET }, { logs })
  const db = await sql(t)
  const ok = () => signed(eventBody())
  const tamper = (d: Delivery): Delivery => ({ ...d, body: d.body.replace('"paid"', '"lost"') })
  const cases: Array<[string, Delivery, RegExp]> = [
    ['tampered body', tamper(ok()), /no signature .* matches/],
    ['body with one extra space', ((d) => ({ ...d, body: d.body + ' ' }))(ok()), /no signature .* matches/],
    ['other webhook-id', { ...ok(), id: 'msg_other' }, /no signature .* matches/],
    ['other secret', ((d) => ({ ...d, signature: sign(randomBytes(32), d.id, d.timestamp, d.body) }))(ok()), /no signature .* matches/],
    ['stale timestamp (6 minutes old)', signed(eventBody(), nowSeconds() - 360), /older than/],
    ['future timestamp (6 minutes ahead)', signed(eventBody(), nowSeconds() + 360), /in the future/],
    ['timestamp in milliseconds', signed(eventBody(), Date.now()), /in the future|integer/],
    ['no webhook-signature', { ...ok(), signature: undefined }, /headers are required/],
    ['no webhook-id', { ...ok(), id: undefined }, /headers are required/],
    ['no webhook-timestamp', { ...ok(), timestamp: undefined }, /headers are required/],
    ['no signature headers at all', { body: eventBody() }, /headers are required/],
    ['signature without version', ((d) => ({ ...d, signature: d.signature.slice(3) }))(ok()), /no signature .* matches/],
    ['non-numeric timestamp', { ...ok(), timestamp: 'now' }, /integer/]
  ]
  for (const [name, delivery, detail] of cases) {
    const res = await deliver(app, delivery)
    t.equal(res.statusCode, 401, name)
    t.match(res.headers['content-type'], /^application\/problem\+json/, name)
    t.match(res.json(), { status: 401, title: 'Unauthorized', type: /webhook-signature/, detail }, name)
    t.equal(await stored(db, delivery.body), 0, `${name}: nothing stored`)
  }
  const text = JSON.stringify(logs)
  t.notOk(text.includes(SECRET.slice(6)), 'the secret never reaches the logs')
  t.notOk(text.includes(ok().signature.slice(3, 20)) || logs.some((l) => JSON.stringify(l).includes('v1,')), 'nor do signatures')
})

test('timestamps just inside the tolerance are accepted in both directions', async (t) => {
  const app = await build(t, { WEBHOOK_SECRET: SECRET })
  t.equal((await deliver(app, signed(eventBody(), nowSeconds() - 290))).statusCode, 200)
  t.equal((await deliver(app, signed(eventBody(), nowSeconds() + 290))).statusCode, 200)
})

test('several signatures (key rotation): any match is enough', async (t) => {
  const app = await build(t, { WEBHOOK_SECRET: SECRET })
  const d = signed(eventBody())
  const retired = sign(randomBytes(32), d.id, d.timestamp, d.body)
  const res = await deliver(app, { ...d, signature: `${retired} v1a,bm90IHRoaXMgb25l ${d.signature}` })
  t.equal(res.statusCode, 200)
  const first = await deliver(app, { ...signed(eventBody()), signature: undefined })
  t.equal(first.statusCode, 401)
  const d2 = signed(eventBody())
  t.equal((await deliver(app, { ...d2, signature: `${d2.signature} ${retired}` })).statusCode, 200, 'the match may come first too')
})

test('the signature is checked before the body: an unsigned invalid body is a 401, a signed one a 400', async (t) => {
  const app = await build(t, { WEBHOOK_SECRET: SECRET })
  t.equal((await deliver(app, { body: '{"event_id":' })).statusCode, 401)
  t.equal((await deliver(app, signed('{"event_id":'))).statusCode, 400)
  t.equal((await deliver(app, signed('{"status":"paid"}'))).statusCode, 400)
})

test('without WEBHOOK_SECRET signatures are not required, and bad ones are ignored', async (t) => {
  const app = await build(t)
  t.equal((await deliver(app, { body: eventBody() })).statusCode, 200)
  t.equal((await deliver(app, { body: eventBody(), id: 'x', timestamp: 1, signature: 'v1,AAAA' })).statusCode, 200)
})

test('rejected deliveries are counted in webhook_events_total', async (t) => {
  const app = await build(t, { WEBHOOK_SECRET: SECRET })
  await deliver(app, { body: eventBody() })
  await deliver(app, signed(eventBody()))
  const metrics = await app.metricsRegistry.getSingleMetricAsString('webhook_events_total')
  t.match(metrics, /webhook_events_total\{result="rejected"\} 1$/m)
  t.match(metrics, /webhook_events_total\{result="processed"\} 1$/m)
})

test('WEBHOOK_SECRET may hold several secrets separated by spaces: a signature made with any of them verifies', async (t) => {
  const NEXT = 'whsec_' + randomBytes(24).toString('base64')
  const app = await build(t, { WEBHOOK_SECRET: `${SECRET}  ${NEXT}` })
  const byOld = signed(eventBody())
  t.equal((await deliver(app, byOld)).statusCode, 200, 'signed with the first secret')
  const body = eventBody()
  const id = unique('msg')
  const ts = nowSeconds()
  t.equal((await deliver(app, { body, id, timestamp: ts, signature: sign(secretKey(NEXT), id, ts, body) })).statusCode, 200,
    'signed with the second secret')
  const stranger = 'whsec_' + randomBytes(24).toString('base64')
  const body2 = eventBody()
  t.equal((await deliver(app, { body: body2, id, timestamp: ts, signature: sign(secretKey(stranger), id, ts, body2) })).statusCode, 401,
    'a secret not in the list does not verify')

  for (const bad of [`${SECRET},${NEXT}`, `${SECRET} nothex`, `${SECRET} whsec_`, 'whsec_a b']) {
    t.throws(() => testConfig({ WEBHOOK_SECRET: bad }), /WEBHOOK_SECRET/, `refused at start: ${JSON.stringify(bad.slice(-12))}`)
  }
})
