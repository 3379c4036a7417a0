// MySQL goes away: the service reaches MySQL only through a TCP proxy of this test's own, which
// is cut in the two ways a database disappears (connections refused/reset, or a black hole where
// nothing answers) while webhooks keep arriving. Readiness flips within 5 s, uncached reads fail
// fast with a 503 problem, cached pages are still served, webhooks answer 503 and are never half
// applied; when the proxy is restored everything recovers without a restart.
import { test } from 'tap'
import type { AddressInfo } from 'node:net'
import { build, sql, TEST_DB } from '../helper.js'
import {
  call, holdFault, isProblem, seedProducts, sendWebhook, startLoad, startTcpProxy, tally, waitFor, webhookTables,
  type OrderEvent, type Outcome, type ProxyMode
} from './support.js'

const QUERY_TIMEOUT_MS = 1000
/** The contract: a 503 within MYSQL_QUERY_TIMEOUT_MS "plus a little"; the suite allows 1.5 s of little. */
const FAIL_FAST_MS = QUERY_TIMEOUT_MS + 1500

for (const mode of ['refuse', 'blackhole'] as Array<Exclude<ProxyMode, 'open'>>) {
  const how = mode === 'refuse' ? 'refused and reset' : 'black-holed'
  test(`MySQL ${how}: /ready 503 within 5 s, uncached reads 503 fast, cached pages 200, webhooks 503 and never half applied, recovery without restart`, async (t) => {
    const conn = await sql(t)
    await seedProducts(conn, 100)
    const proxy = await startTcpProxy(t, { host: '127.0.0.1', port: 3306 })
    const app = await build(t, {
      MYSQL_URL: `mysql://root@127.0.0.1:${proxy.port}/${TEST_DB}`,
      MYSQL_QUERY_TIMEOUT_MS: QUERY_TIMEOUT_MS,
      RATE_LIMIT_MAX: 1_000_000
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    // Pages of their own per mode: the two tests share the file's database and Redis prefix.
    const pageSize = mode === 'refuse' ? 5 : 6
    const cachedUrl = `${base}/api/products?limit=${pageSize}&sort=-price&category=fruits`
    const uncachedUrl = `${base}/api/products?limit=${pageSize}&sort=price&category=grains`

    // Before: ready, one page cached, webhooks applied.
    t.equal((await call(`${base}/ready`)).status, 200, 'ready before the cut')
    t.equal((await call(cachedUrl)).status, 200)
    const warm = await call(cachedUrl)
    t.equal(warm.headers.get('x-cache'), 'HIT', 'the page is cached')
    t.ok(proxy.accepted() > 0, 'the service talks to MySQL through the proxy')

    // Webhooks arriving all along: four orders, each event newer than the last.
    const sent: OrderEvent[] = []
    const webhooks = startLoad(t, 4, async (n) => {
      const event: OrderEvent = {
        event_id: `evt-${mode}-${n}`,
        order_id: `ord-${mode}-${n % 4}`,
        status: `status-${n}`,
        occurred_at: new Date(Date.UTC(2025, 0, 1) + n * 1000).toISOString()
      }
      sent.push(event)
      return await sendWebhook(base, event, { timeoutMs: 6000 })
    })
    await waitFor(() => webhooks.outcomes.filter((o) => o.status === 200).length >= 10, { timeoutMs: 5000, what: 'webhooks applied before the cut' })

    // Cut.
    proxy.cut(mode)
    const cutAt = Date.now()
    const notReady = await waitFor(async () => {
      const res = await call(`${base}/ready`, { timeoutMs: 5000 })
      return res.status === 503 ? res : undefined
    }, { timeoutMs: 5000, intervalMs: 100, what: '/ready to report 503' })
    t.ok(Date.now() - cutAt <= 5000, `/ready answered 503 ${Date.now() - cutAt} ms after the cut`)
    t.ok(isProblem(notReady), '/ready 503 is a problem+json')
    t.match(JSON.parse(notReady.body), { mysql: 'down' })

    const reads = await Promise.all([
      call(uncachedUrl, { timeoutMs: 6000 }),
      call(`${base}/api/products?limit=${pageSize}&minPrice=10&maxPrice=500`, { timeoutMs: 6000 }),
      call(`${base}/api/products/42`, { timeoutMs: 6000 }),
      call(`${base}/api/orders/ord-${mode}-1`, { timeoutMs: 6000 })
    ])
    for (const res of reads) {
      t.equal(res.status, 503, `${res.label} answers 503 while MySQL is away`)
      t.ok(isProblem(res), 'as a problem+json')
      t.ok(res.ms < FAIL_FAST_MS, `within ${res.ms} ms (bound ${FAIL_FAST_MS})`)
      t.notMatch(res.body, /SELECT|INSERT|\bFROM\b|mysql2|\bat \S+ \(/, 'no SQL and no stack in the answer')
    }
    t.ok(Number(reads[0].headers.get('retry-after')) >= 1, 'with retry-after')

    const cached = await call(cachedUrl, { timeoutMs: 3000 })
    t.equal(cached.status, 200, 'the cached page is still served')
    t.equal(cached.headers.get('x-cache'), 'HIT')
    t.equal(cached.body, warm.body, 'the same bytes as before the cut')

    const lost: OrderEvent = { event_id: `evt-${mode}-during`, order_id: `ord-${mode}-during`, status: 'paid' }
    const during = await sendWebhook(base, lost, { timeoutMs: 6000 })
    t.equal(during.status, 503, 'a webhook during the outage answers 503, so the provider retries')
    t.ok(isProblem(during), 'as a problem+json')
    t.ok(during.ms < FAIL_FAST_MS, `within ${during.ms} ms`)
    const [[stored]] = await conn.query<Array<import('mysql2').RowDataPacket>>(
      'SELECT (SELECT COUNT(*) FROM webhook_events WHERE event_id = ?) AS events, (SELECT COUNT(*) FROM orders WHERE order_id = ?) AS orders',
    [lost.event_id, lost.order_id])
    t.same({ events: Number(stored.events), orders: Number(stored.orders) }, { events: 0, orders: 0 }, 'nothing of it was stored')

    // Let the webhooks run into the outage a while longer, then restore.
    await holdFault(cutAt, 2500)
    const midway = await webhookTables(conn)
    t.same(midway.problems, [], 'nothing half applied while MySQL is away')
    proxy.restore()
    const restoredAt = Date.now()

    await waitFor(async () => (await call(`${base}/ready`, { timeoutMs: 3000 })).status === 200,
      { timeoutMs: 5000, intervalMs: 100, what: '/ready to report 200 again' })
    t.pass(`ready again ${Date.now() - restoredAt} ms after the restore`)
    const outcomes = await webhooks.stop()
    const uncached = await call(uncachedUrl)
    t.equal(uncached.status, 200, 'uncached reads work again')
    t.equal((await call(`${base}/api/products/42`)).status, 200)

    // Webhook outcomes: 200 or a 503 problem; nothing else, nothing hung.
    const counts = tally(outcomes)
    t.same(Object.keys(counts).filter((k) => k !== '200' && k !== '503'), [], `webhooks answered 200 or 503 only (${JSON.stringify(counts)})`)
    t.ok((counts['503'] ?? 0) > 0, 'some webhooks met the outage')
    t.ok(outcomes.filter((o) => o.status === 503).every(isProblem), 'every 503 a problem+json')

    // The provider redelivers what was not acknowledged (and the event refused during the cut).
    const refused = outcomes.filter((o) => o.status !== 200).map((o) => sent.find((e) => e.event_id === o.label) as OrderEvent)
    const redelivered: Outcome[] = []
    for (const event of [...refused, lost]) redelivered.push(await sendWebhook(base, event))
    t.same(tally(redelivered), { 200: refused.length + 1 }, 'every redelivery accepted after the restore')

    const acked = new Set([...outcomes.filter((o) => o.status === 200).map((o) => o.label), ...redelivered.map((o) => o.label)])
    const tables = await webhookTables(conn)
    t.same(tables.problems, [], 'every stored event fully applied, every order consistent')
    const missing = [...acked].filter((id) => !tables.events.has(id))
    t.same(missing, [], 'every acknowledged event is stored')
    const ours = [...tables.events.keys()].filter((id) => id.startsWith(`evt-${mode}-`))
    t.equal(ours.length, acked.size, 'no event stored that was never acknowledged')

    // The orders read back as the newest event of each.
    for (let k = 0; k < 4; k++) {
      const newest = sent.filter((e) => e.order_id === `ord-${mode}-${k}`).sort((a, b) => (a.occurred_at ?? '').localeCompare(b.occurred_at ?? '')).at(-1)
      const order = await call(`${base}/api/orders/ord-${mode}-${k}`)
      t.equal(order.status, 200)
      t.equal(JSON.parse(order.body).status, newest?.status, `ord-${mode}-${k} shows its newest event`)
    }
  })
}
