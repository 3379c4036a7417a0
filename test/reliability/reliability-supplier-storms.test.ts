// Supplier storms: the supplier fails in every way we know (a 503 storm, a slow drip that never
// finishes, connection resets, malformed JSON). The breaker opens, GET /external/products stays
// bounded (stale or a 503 with retry-after), the storefront stays fast, nothing leaks, and the
// supplier is used again once it recovers.
import { test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import { build, flushPrefix, sql } from '../helper.js'
import {
  call, isProblem, percentile, seedProducts, startFakeSupplier, startLoad, supplierEnv, tally, waitFor, within,
  type FakeSupplier, type Outcome, type SupplierMode
} from './support.js'

type Teardown = Parameters<typeof build>[0]

const TIMEOUT_MS = 300
const RETRIES = 2
const RESET_MS = 600
/** One call's worst case: every attempt times out, plus the backoff waits, plus slack for a busy machine. */
const CALL_BOUND_MS = (RETRIES + 1) * TIMEOUT_MS + 20 + 40 + 1200
/**
 * A storefront request never waits on the supplier: 95% of them stay under this, on a busy
 * 2-core machine running the load generator in the same process. A request held up by the
 * supplier would wait for its whole attempt chain, (RETRIES + 1) × TIMEOUT_MS = 900 ms.
 */
const STOREFRONT_P95_MS = 500

async function service (t: Teardown, fake: FakeSupplier): Promise<{ app: FastifyInstance, url: string }> {
  await flushPrefix()
  const conn = await sql(t)
  await seedProducts(conn, 60)
  const app = await build(t, {
    ...supplierEnv(fake),
    SUPPLIER_TIMEOUT_MS: TIMEOUT_MS,
    SUPPLIER_RETRIES: RETRIES,
    SUPPLIER_RETRY_BASE_MS: 20,
    BREAKER_RESET_MS: RESET_MS,
    RATE_LIMIT_MAX: 1_000_000
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` }
}

async function circuitState (url: string): Promise<number | undefined> {
  const res = await call(`${url}/metrics`, { timeoutMs: 2000 })
  const match = /^supplier_circuit_state(?:\{[^}]*\})? (\d+)$/m.exec(res.body)
  return match === null ? undefined : Number(match[1])
}

/**
 * The circuit state /metrics reports once it shows `expected` (a scrape reuses a rendering for
 * up to 1 s), or the last value seen after 3 s.
 */
async function reportedState (url: string, expected: number): Promise<number | undefined> {
  let last: number | undefined
  try {
    await waitFor(async () => { last = await circuitState(url); return last === expected }, { timeoutMs: 3000, intervalMs: 100, what: `supplier_circuit_state ${expected}` })
  } catch {}
  return last
}

/** Calls GET /external/products until the supplier answers live again (the breaker closed). */
async function recovered (url: string): Promise<Outcome> {
  return await waitFor(async () => {
    const res = await call(`${url}/external/products`, { timeoutMs: CALL_BOUND_MS })
    return res.status === 200 && JSON.parse(res.body).source === 'live' ? res : undefined
  }, { timeoutMs: RESET_MS + 3000, intervalMs: 100, what: 'a live supplier response after recovery' })
}

/** Storefront requests over several pages, run next to the supplier calls. */
function storefront (t: Teardown, url: string) {
  return startLoad(t, 4, async (n) => await call(`${url}/api/products?limit=5&sort=${n % 2 === 0 ? 'id' : '-price'}&category=${['fruits', 'dairy', 'grains'][n % 3]}`, { timeoutMs: 5000 }))
}

test('a 503 storm with nothing kept: 503 problems with retry-after, the breaker opens and stops calling, recovery when the supplier returns', async (t) => {
  const fake = await startFakeSupplier(t, 'storm')
  const { app, url } = await service(t, fake)

  const shop = storefront(t, url)
  const first = await call(`${url}/external/products`, { timeoutMs: CALL_BOUND_MS })
  t.equal(first.status, 503, 'nothing to serve while the supplier storms')
  t.ok(isProblem(first), 'a problem+json body')
  t.ok(Number(first.headers.get('retry-after')) >= 1, `retry-after ${String(first.headers.get('retry-after'))}`)
  t.equal(fake.productRequests, RETRIES + 1, 'the first attempt and every retry reached the supplier')
  t.equal(await reportedState(url, 2), 2, 'supplier_circuit_state reports open')

  // While open: fast answers, and the supplier is left alone.
  const seen = fake.productRequests
  const whileOpen = await Promise.all(Array.from({ length: 20 }, async () => await call(`${url}/external/products`, { timeoutMs: 2000 })))
  t.same(tally(whileOpen), { 503: 20 }, 'every call is a 503 while the circuit is open')
  t.ok(whileOpen.every(isProblem), 'every one a problem+json')
  t.ok(Math.max(...whileOpen.map((o) => o.ms)) < TIMEOUT_MS * 3, `fail fast, without waiting for the supplier (slowest ${Math.max(...whileOpen.map((o) => o.ms))} ms)`)
  t.equal(fake.productRequests, seen, 'no call reached the supplier while the circuit was open')

  const shopOutcomes = await shop.stop()
  t.same(Object.keys(tally(shopOutcomes)), ['200'], `storefront kept answering 200 (${JSON.stringify(tally(shopOutcomes))})`)
  const shopP95 = percentile(shopOutcomes.map((o) => o.ms), 95)
  t.ok(shopP95 < STOREFRONT_P95_MS, `storefront stayed fast (p95 ${shopP95} ms over ${shopOutcomes.length} requests)`)

  fake.mode = 'ok'
  const back = await recovered(url)
  t.same(JSON.parse(back.body).data, { products: [{ sku: 'TOM-1KG', name: 'Organic Tomatoes 1kg', price: 42.5 }] })
  t.equal(await reportedState(url, 0), 0, 'supplier_circuit_state reports closed again')

  await app.close()
  await waitFor(() => fake.openConnections() === 0, { timeoutMs: 2000, what: 'the service to close its supplier sockets' })
  t.equal(fake.openConnections(), 0, 'no socket to the supplier is left open after close')
})

for (const mode of ['drip', 'reset', 'malformed'] as SupplierMode[]) {
  test(`a supplier ${mode === 'drip' ? 'dripping one byte at a time' : mode === 'reset' ? 'resetting connections' : 'sending malformed JSON'}: stale answers within the deadline, the breaker opens, the storefront stays fast, no socket leaks, recovery`, async (t) => {
    const fake = await startFakeSupplier(t, 'ok')
    const { app, url } = await service(t, fake)

    const live = await call(`${url}/external/products`, { timeoutMs: CALL_BOUND_MS })
    t.equal(live.status, 200)
    const kept = JSON.parse(live.body) as { fetchedAt: string }

    fake.mode = mode
    const shop = storefront(t, url)
    const feed = startLoad(t, 6, async () => await call(`${url}/external/products`, { timeoutMs: CALL_BOUND_MS + 2000 }))
    let peakSockets = 0
    await waitFor(async () => {
      peakSockets = Math.max(peakSockets, fake.openConnections())
      return await circuitState(url) === 2
    }, { timeoutMs: CALL_BOUND_MS + 2000, intervalMs: 50, what: 'the circuit to open' })
    // Keep the load on while the circuit is open, through one half-open trial.
    const openedAt = Date.now()
    await waitFor(() => { peakSockets = Math.max(peakSockets, fake.openConnections()); return Date.now() - openedAt > RESET_MS + 400 },
      { timeoutMs: RESET_MS + 2000, intervalMs: 50, what: 'a while under load with the circuit open' })
    const feedOutcomes = await feed.stop()
    const shopOutcomes = await shop.stop()

    t.same(Object.keys(tally(feedOutcomes)), ['200'], `every supplier feed call answered 200 (${JSON.stringify(tally(feedOutcomes))})`)
    const bodies = feedOutcomes.map((o) => JSON.parse(o.body) as { source: string, fetchedAt: string })
    t.ok(bodies.every((b) => b.source === 'stale' && b.fetchedAt === kept.fetchedAt), 'all of them the last good response, marked stale')
    const slowest = Math.max(...feedOutcomes.map((o) => o.ms))
    t.ok(slowest < CALL_BOUND_MS, `every call within the attempt deadlines (slowest ${slowest} ms, bound ${CALL_BOUND_MS} ms)`)
    t.ok(peakSockets <= 4, `no pile-up of sockets at the supplier (peak ${peakSockets})`)

    t.same(Object.keys(tally(shopOutcomes)), ['200'], `storefront kept answering 200 (${JSON.stringify(tally(shopOutcomes))})`)
    const shopP95 = percentile(shopOutcomes.map((o) => o.ms), 95)
    t.ok(shopP95 < STOREFRONT_P95_MS, `storefront stayed fast (p95 ${shopP95} ms over ${shopOutcomes.length} requests)`)

    fake.mode = 'ok'
    await recovered(url)
    t.equal(await reportedState(url, 0), 0, 'the circuit closed after the supplier returned')

    // Close while a call is stuck on the supplier: close is not held up, nothing stays open.
    fake.mode = mode
    const stuck = call(`${url}/external/products`, { timeoutMs: CALL_BOUND_MS + 2000 })
    await within(2000, 'the supplier to receive the call', fake.productRequestsReach(fake.productRequests + 1))
    const closing = Date.now()
    await within(CALL_BOUND_MS, 'app.close()', app.close())
    t.ok(Date.now() - closing < CALL_BOUND_MS, `close finished in ${Date.now() - closing} ms with a supplier call in flight`)
    const last = await stuck
    t.not(last.error, 'timeout', `the in-flight call got an answer (${last.status} ${last.error ?? ''})`)
    await waitFor(() => fake.openConnections() === 0, { timeoutMs: 2000, what: 'the service to close its supplier sockets' })
    t.equal(fake.openConnections(), 0, 'no socket to the supplier is left open after close')
  })
}
