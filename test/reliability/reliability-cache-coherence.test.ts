// Two service processes, each holding a page in its memory tier: after a catalog version bump
// (a plain INCR in Redis, as the seeder does: no message to either process), no request that
// reaches either of them more than 1 s after the bump is answered with the old page.
import { test } from 'tap'
import { MYSQL_BASE, REDIS_BASE, TEST_DB, TEST_REDIS_PREFIX, flushPrefix, redisClient, sql } from '../helper.js'
import { CATALOG_VERSION_KEY } from '../../src/lib/catalog-version.js'
import { call, seedProducts, spawnService, waitFor, type Outcome, type ServiceProcess } from './support.js'

/** The contract's bound on serving a page of an old catalog version. */
const BOUND_MS = 1000

test('a version bump reaches the memory tier of every process within 1 s', async (t) => {
  const conn = await sql(t)
  await seedProducts(conn, 60)
  await flushPrefix()
  t.teardown(flushPrefix)
  const env = {
    MYSQL_URL: `${MYSQL_BASE}/${TEST_DB}`,
    REDIS_URL: REDIS_BASE,
    REDIS_KEY_PREFIX: TEST_REDIS_PREFIX,
    RATE_LIMIT_MAX: '1000000',
    CACHE_TTL_SECONDS: '300'
  }
  const services: ServiceProcess[] = await Promise.all([1, 2].map(async () => await spawnService(t, env)))
  const url = '/api/products?limit=3&sort=id'
  const get = async (s: ServiceProcess): Promise<Outcome> => await call(s.url + url, { timeoutMs: 5000 })

  // Both processes answer from memory.
  for (const s of services) {
    await waitFor(async () => (await get(s)).headers.get('x-cache-tier') === 'memory',
      { timeoutMs: 5000, intervalMs: 20, what: `port ${s.port} to hold the page in memory` })
  }
  const old = await get(services[0])
  t.equal(old.headers.get('x-cache'), 'HIT')
  t.equal((await get(services[1])).body, old.body, 'both hold the same page')

  await conn.query("UPDATE products SET name = 'Coherent Carrots 1kg' WHERE id = 1")
  const redis = redisClient(t)
  await redis.incr(CATALOG_VERSION_KEY)
  const bumped = Date.now()

  // Ask both, continuously, for 1.5 s: note when each first answers the new page, and check
  // that nothing sent later than the bound still gets the old one.
  const firstNew = new Map<number, number>()
  const lateOld: string[] = []
  while (Date.now() - bumped < BOUND_MS + 500) {
    const answers = await Promise.all(services.map(async (s) => ({ s, sent: Date.now(), o: await get(s) })))
    for (const { s, sent, o } of answers) {
      t.equal(o.status, 200)
      const isNew = o.body.includes('Coherent Carrots')
      if (isNew && !firstNew.has(s.port)) firstNew.set(s.port, sent - bumped)
      if (!isNew && sent - bumped > BOUND_MS) lateOld.push(`port ${s.port}: old page for a request sent ${sent - bumped} ms after the bump`)
    }
  }
  t.same(lateOld, [], 'no old page past the bound')
  for (const s of services) {
    t.ok(firstNew.has(s.port), `port ${s.port} served the new page`)
    t.comment(`port ${s.port}: new page for requests sent from ${String(firstNew.get(s.port))} ms after the bump`)
  }
})
