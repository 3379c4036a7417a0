// The webhook under pressure, in process: a pool with no free connection, a COMMIT whose answer
// arrives after the deadline, and a Redis that swallows every packet.
import { test } from 'tap'
import net, { type AddressInfo, type Socket } from 'node:net'
import { once } from 'node:events'
import { setTimeout as delay } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { build, sql, MYSQL_BASE, TEST_DB } from '../helper.js'
import { startTcpProxy } from '../reliability/support.js'

type Teardown = { teardown: (fn: () => unknown) => void }

let seq = 0
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`

/**
 * One delivery. The load shedder (under-pressure) answers its own 503 while this busy machine
 * stalls the event loop; such an answer is not what these tests examine, so the delivery is
 * repeated (at most 20 times), as the provider would.
 */
async function post (app: FastifyInstance, body: Record<string, unknown>) {
  for (let attempt = 1; ; attempt++) {
    const res = await app.inject({ method: 'POST', url: '/webhook/order-update', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) })
    if (res.statusCode !== 503 || !/\/overloaded$/.test(String(res.json().type)) || attempt === 20) return res
    await delay(100)
  }
}

async function storedCount (db: Awaited<ReturnType<typeof sql>>, eventId: string): Promise<number> {
  const [rows] = await db.query<import('mysql2').RowDataPacket[]>('SELECT COUNT(*) AS n FROM webhook_events WHERE event_id = ?', [eventId])
  return Number(rows[0].n)
}

/**
 * A TCP proxy in front of MySQL that forwards everything, but once a client sends `COMMIT`
 * (COM_QUERY), holds the server's answer back for `holdMs`: the commit happens on the server
 * on time, its acknowledgement reaches the service late, as over a congested network.
 */
async function commitDelayProxy (t: Teardown, holdMs: number): Promise<{ port: number, held: () => number }> {
  const marker = Buffer.from('\x03COMMIT', 'latin1')
  let held = 0
  const sockets = new Set<Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(3306, '127.0.0.1')
    sockets.add(client).add(upstream)
    let releaseAt = 0
    let chain = Promise.resolve()
    client.on('data', (chunk: Buffer) => {
      if (chunk.includes(marker)) { releaseAt = Date.now() + holdMs; held++ }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      const wait = releaseAt - Date.now()
      // Keeps the byte order: every later chunk queues behind a held one.
      chain = chain.then(async () => {
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
        if (!client.destroyed) client.write(chunk)
      })
    })
    const close = () => { client.destroy(); upstream.destroy() }
    client.on('close', close).on('error', close)
    upstream.on('close', close).on('error', close)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { port: (server.address() as AddressInfo).port, held: () => held }
}

test('with no pool connection free, a webhook fails fast with a 503 before any statement runs', async (t) => {
  const app = await build(t, { MYSQL_POOL_SIZE: 1, MYSQL_QUERY_TIMEOUT_MS: 600 })
  const db = await sql(t)
  const event = { event_id: unique('evt'), order_id: unique('ord'), status: 'paid' }

  const hog = await app.mysql.getConnection() // the pool's only connection, held by someone else
  let released = false
  t.teardown(() => { if (!released) hog.release() })
  const started = Date.now()
  const res = await post(app, event)
  const took = Date.now() - started
  t.equal(res.statusCode, 503)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.ok(Number(res.headers['retry-after']) >= 1, 'with retry-after')
  t.match(res.json(), { status: 503, detail: /no database connection free within 300 ms/ })
  t.ok(took >= 250 && took < 2000, `answered after the bounded wait (${took} ms), not after the deadline`)
  t.equal(await storedCount(db, event.event_id), 0, 'nothing stored')

  hog.release()
  released = true
  t.same((await post(app, event)).json(), { received: true, duplicate: false }, 'the redelivery is the first processing')
  t.same((await post(app, event)).json(), { received: true, duplicate: true })
})

test('a committed event is answered 200 even when the COMMIT acknowledgement arrives after the deadline', async (t) => {
  await sql(t) // the database exists and is migrated before the proxy is used
  const proxy = await commitDelayProxy(t, 3000)
  const app = await build(t, { MYSQL_URL: `${MYSQL_BASE.replace(/:\d+$/, `:${proxy.port}`)}/${TEST_DB}`, MYSQL_QUERY_TIMEOUT_MS: 1000 })
  const db = await sql(t)
  // Warm the pool: the connection is open before the measured delivery.
  await app.db.query('SELECT 1')
  const event = { event_id: unique('evt'), order_id: unique('ord'), status: 'paid' }
  const started = Date.now()
  const res = await post(app, event)
  const took = Date.now() - started
  t.ok(proxy.held() >= 1, 'the COMMIT answer was held back')
  t.ok(took >= 2900, `the answer waited for the late acknowledgement (${took} ms), past the 1000 ms deadline`)
  t.equal(res.statusCode, 200, `committed, so 2xx whatever the clock says (${res.body})`)
  t.same(res.json(), { received: true, duplicate: false })
  t.equal(await storedCount(db, event.event_id), 1)
})

test('with Redis black-holed, the duplicate fast path costs at most one timeout per second, not one per request', async (t) => {
  const redis = await startTcpProxy(t, { host: '127.0.0.1', port: 6379 })
  const app = await build(t, { REDIS_URL: `redis://127.0.0.1:${redis.port}` })
  const event = { event_id: unique('evt'), order_id: unique('ord'), status: 'paid' }
  t.same((await post(app, event)).json(), { received: true, duplicate: false })
  redis.cut('blackhole')

  const durations: number[] = []
  const started = Date.now()
  for (let i = 0; i < 30; i++) {
    const sent = Date.now()
    const res = await post(app, i % 2 === 0 ? event : { event_id: unique('evt'), status: 'paid' })
    t.equal(res.statusCode, 200, `delivery ${i}`)
    durations.push(Date.now() - sent)
  }
  const elapsed = Date.now() - started
  // A Redis command times out after 300 ms; only the one probe per pause may pay it.
  const slow = durations.filter((ms) => ms >= 250).length
  const allowed = Math.ceil(elapsed / 1000) + 1
  t.ok(slow <= allowed, `${slow} slow deliveries in ${elapsed} ms (at most ${allowed}): ${durations.join(',')}`)
  t.ok(durations.filter((ms) => ms < 250).length >= 20, 'the rest answer without waiting on Redis')
  redis.restore()
})
