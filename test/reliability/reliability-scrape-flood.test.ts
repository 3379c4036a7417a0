// 200 concurrent scrapers of /metrics and /docs/json from one IP (both unlimited routes) must not
// slow the API: scrapes share one rendering of /metrics per second and one serialized OpenAPI
// document, so the API's p50 under the flood stays within 10× of its p50 measured just before.
import { test } from 'tap'
import { MYSQL_BASE, TEST_DB, TEST_REDIS_PREFIX, REDIS_BASE, sql } from '../helper.js'
import { call, holdFault, percentile, seedProducts, spawnService, startFakeSupplier, startLoad, supplierEnv, tally, type Outcome } from './support.js'

const SCRAPERS = 200
/** Loopback timings below this are the scheduler's, not the service's: the baseline's floor. */
const FLOOR_MS = 5

/** `count` API requests one after another over a few URLs; their durations. */
async function apiSample (url: string, count: number): Promise<Outcome[]> {
  const out: Outcome[] = []
  for (let i = 0; i < count; i++) {
    out.push(await call(i % 2 === 0 ? `${url}/api/products?limit=10` : `${url}/api/products/${1 + (i % 50)}`, { timeoutMs: 30_000 }))
  }
  return out
}

test('a flood of 200 concurrent /metrics and /docs/json scrapers keeps the API p50 within 10x of normal', async (t) => {
  const fake = await startFakeSupplier(t)
  const conn = await sql(t)
  await seedProducts(conn, 100)
  const svc = await spawnService(t, {
    ...supplierEnv(fake),
    MYSQL_URL: `${MYSQL_BASE}/${TEST_DB}`,
    REDIS_URL: REDIS_BASE,
    REDIS_KEY_PREFIX: `${TEST_REDIS_PREFIX}flood:`,
    RATE_LIMIT_MAX: '1000000'
  })
  await apiSample(svc.url, 20) // warm-up: connections, JIT, cached pages
  const normal = await apiSample(svc.url, 40)
  const normalP50 = Math.max(FLOOR_MS, percentile(normal.map((o) => o.ms), 50))

  const scrapes = startLoad(t, SCRAPERS, async (n) => await call(`${svc.url}${n % 2 === 0 ? '/metrics' : '/docs/json'}`, { timeoutMs: 30_000 }))
  const floodAt = Date.now()
  await holdFault(floodAt, 1000) // every scraper running
  const flooded = await apiSample(svc.url, 40)
  const scraped = await scrapes.stop()

  t.same(Object.keys(tally(scraped)), ['200'], `every scrape answered 200 (${JSON.stringify(tally(scraped))} over ${scraped.length})`)
  t.ok(scraped.length >= SCRAPERS, `${scraped.length} scrapes made`)
  t.same(Object.keys(tally(flooded)), ['200'], 'every API request answered 200')
  const floodedP50 = percentile(flooded.map((o) => o.ms), 50)
  t.ok(floodedP50 <= 10 * normalP50, `API p50 ${floodedP50} ms under the flood <= 10 x normal p50 ${normalP50} ms`)
})
