// Shutdown under load: a real service process gets SIGTERM while storefront requests and
// webhooks pour in over keep-alive connections and slow supplier calls are in flight. In-flight
// requests finish, new ones are refused cleanly (connection refused or a 503 problem), the
// process exits 0 within 10 s, and no acknowledged webhook is lost or applied twice.
import { test } from 'tap'
import type { AddressInfo } from 'node:net'
import { MYSQL_BASE, REDIS_BASE, TEST_DB, TEST_REDIS_PREFIX, build, flushPrefix, sql } from '../helper.js'
import {
  CATEGORIES, WEBHOOK_SECRET, call, isProblem, rawExchange, seedProducts, sendWebhook, signWebhook, spawnService,
  startFakeSupplier, startLoad, supplierEnv, tally, waitFor, webhookTables, within, type OrderEvent, type Outcome
} from './support.js'

/** A call this long has hung: longer than the whole shutdown may take. */
const DEADLINE_MS = 12_000
const SUPPLIER_DELAY_MS = 1500
/** What "refused cleanly" may look like from the client: no connection, or the socket closed on us. */
const CLEAN_REFUSALS = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'])

/** 200, a 503, or a refused connection (whether each 503 is a problem+json is asserted apart). */
function clean (o: Outcome): boolean {
  if (o.status === 200 || o.status === 503) return true
  return o.status === 0 && CLEAN_REFUSALS.has(o.error ?? '')
}

test('SIGTERM under load: in-flight requests finish, new ones are refused cleanly, exit 0 within 10 s, no webhook lost or applied twice', async (t) => {
  const conn = await sql(t)
  await seedProducts(conn, 200)
  await conn.query('DELETE FROM webhook_events')
  await conn.query('DELETE FROM orders')
  await flushPrefix()
  const fake = await startFakeSupplier(t)
  fake.productDelayMs = SUPPLIER_DELAY_MS

  const env = {
    MYSQL_URL: `${MYSQL_BASE}/${TEST_DB}`,
    REDIS_URL: REDIS_BASE,
    REDIS_KEY_PREFIX: TEST_REDIS_PREFIX,
    ...supplierEnv(fake),
    SUPPLIER_TIMEOUT_MS: '5000',
    WEBHOOK_SECRET,
    RATE_LIMIT_MAX: '1000000'
  }
  const service = await spawnService(t, env)
  const base = service.url

  const products = startLoad(t, 8, async (n) => {
    const url = n % 3 === 0
      ? `/api/products/${(n % 200) + 1}`
      : `/api/products?limit=${(n % 20) + 1}&category=${CATEGORIES[n % CATEGORIES.length]}&sort=${n % 2 === 0 ? 'price' : '-id'}`
    return await call(base + url, { timeoutMs: DEADLINE_MS })
  })
  const sent = new Map<string, OrderEvent>()
  const webhooks = startLoad(t, 4, async (n) => {
    const event: OrderEvent = {
      event_id: `evt-shutdown-${n}`,
      order_id: `ord-shutdown-${n % 6}`,
      status: `status-${n}`,
      occurred_at: new Date(Date.UTC(2025, 5, 1) + n * 1000).toISOString()
    }
    sent.set(event.event_id, event)
    return await sendWebhook(base, event, { timeoutMs: DEADLINE_MS })
  })
  await waitFor(() => products.outcomes.length >= 100 && webhooks.outcomes.length >= 30,
    { timeoutMs: 15_000, what: 'the load to get going' })

  // Slow requests the server is busy with when the signal arrives.
  const slow = Array.from({ length: 3 }, async () => await call(`${base}/external/products`, { timeoutMs: DEADLINE_MS }))
  await within(5000, 'the supplier to receive the slow call', fake.productRequestsReach(1))

  // Requests arriving at the moment of the signal: the process is paused, new connections queue
  // in the kernel with their requests written, then SIGTERM and SIGCONT. However the service
  // wakes, each must be answered with a 503 problem or refused/reset, never half served.
  service.kill('SIGSTOP')
  const lateEvents: OrderEvent[] = Array.from({ length: 4 }, (_, n) => ({ event_id: `evt-shutdown-late-${n}`, order_id: 'ord-shutdown-late', status: `late-${n}` }))
  const arrivals = [
    ...Array.from({ length: 6 }, (_, n) => rawExchange(service.port, { path: `/api/products?limit=${n + 1}` })),
    ...lateEvents.map((event) => {
      const body = JSON.stringify(event)
      sent.set(event.event_id, event)
      return rawExchange(service.port, { method: 'POST', path: '/webhook/order-update', headers: { 'content-type': 'application/json', ...signWebhook(body) }, body })
    })
  ]
  await within(5000, 'the late requests to be written', Promise.all(arrivals.map(async (a) => await a.sent)))
  const sigtermAt = Date.now()
  service.kill('SIGTERM')
  service.kill('SIGCONT')

  const late = await Promise.all(arrivals.map(async (a) => await a.done))
  const lateSummary = late.map((l) => l.responses.length > 0
    ? `${l.responses[0].status} ${l.responses[0].headers['content-type'] ?? ''}`
    : `refused (${l.error ?? 'closed without an answer'})`)
  t.ok(late.every((l) => l.error !== 'timeout'), 'every request arriving with the signal got an answer or a refusal')
  t.same(late.filter((l) => l.responses.some((r) => r.status !== 200 && r.status !== 503)).length, 0,
    `each was served, answered 503, or refused (${lateSummary.join('; ')})`)
  const late503 = late.flatMap((l) => l.responses.filter((r) => r.status === 503))
  t.same(late503.filter((r) => !/^application\/problem\+json/.test(r.headers['content-type'] ?? '')).map((r) => `${r.headers['content-type'] ?? ''} ${r.body}`), [],
    'each 503 is a problem+json')
  const lateAcked = new Set(late.slice(6).flatMap((l, i) => l.responses.some((r) => r.status === 200) ? [lateEvents[i].event_id] : []))

  const exit = await within(12_000, 'the process to exit', service.exited)
  const webhookOutcomes = await webhooks.stop()
  t.same({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, 'exit code 0')
  t.ok(exit.at - sigtermAt < 10_000, `exited ${exit.at - sigtermAt} ms after SIGTERM`)

  const slowOutcomes = await Promise.all(slow)
  t.same(tally(slowOutcomes), { 200: 3 }, 'the supplier calls in flight at SIGTERM finished with 200')
  t.ok(slowOutcomes.every((o) => JSON.parse(o.body).source === 'live'), 'with the live answer')

  const afterExit = await call(`${base}/health`, { timeoutMs: 2000 })
  t.equal(afterExit.error, 'ECONNREFUSED', 'after exit, connections are refused')

  // The load keeps going after the exit (its workers pause 50 ms after each refusal), so the
  // refusals of requests that start once the process is gone are part of what is checked.
  await waitFor(() => products.outcomes.some((o) => o.startedAt > exit.at),
    { timeoutMs: 5000, what: 'a storefront request started after the exit' })
  const productOutcomes = await products.stop()
  const all = [...productOutcomes, ...webhookOutcomes]
  t.equal(all.filter((o) => o.error === 'timeout').length, 0, 'no request hung')
  t.same(all.filter((o) => !clean(o)).map((o) => `${o.label}: ${o.status} ${o.error ?? ''}`), [],
    `every answer is a 200, a 503 or a refused connection (${JSON.stringify(tally(all))})`)
  const loaded503 = all.filter((o) => o.status === 503 && !isProblem(o))
  t.same(loaded503.map((o) => `${o.label}: ${o.body}`), [], 'each 503 under load is a problem+json')
  const before = all.filter((o) => o.startedAt + o.ms < sigtermAt)
  t.ok(before.length > 0 && before.every((o) => o.status === 200), `all ${before.length} requests completed before SIGTERM were 200`)
  t.ok(productOutcomes.some((o) => o.startedAt > exit.at && o.error === 'ECONNREFUSED'), 'storefront requests after the exit were refused')

  // Nothing lost: every acknowledged event is stored. The provider then redelivers everything
  // that was not acknowledged, to a new instance; every event ends up stored exactly once.
  const acked = new Set([...webhookOutcomes.filter((o) => o.status === 200).map((o) => o.label), ...lateAcked])
  const stored = await webhookTables(conn)
  t.same([...acked].filter((id) => !stored.events.has(id)), [], `all ${acked.size} acknowledged events are stored`)
  t.same(stored.problems, [], 'nothing half applied')

  const app = await build(t, { WEBHOOK_SECRET, RATE_LIMIT_MAX: 1_000_000 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const next = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const unacked = [...sent.values()].filter((e) => !acked.has(e.event_id))
  const redelivered: Outcome[] = []
  for (let i = 0; i < unacked.length; i += 8) {
    redelivered.push(...await Promise.all(unacked.slice(i, i + 8).map(async (e) => await sendWebhook(next, e))))
  }
  t.same(tally(redelivered), unacked.length === 0 ? {} : { 200: unacked.length }, `${unacked.length} unacknowledged events redelivered and accepted`)
  const final = await webhookTables(conn)
  t.same(final.problems, [], 'every event fully applied exactly once')
  const ids = [...final.events.keys()].filter((id) => id.startsWith('evt-shutdown-'))
  t.same(ids.sort(), [...sent.keys()].sort(), 'each event sent is stored, once')
})
