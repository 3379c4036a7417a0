// The service on a real MariaDB primary and replica (test/topology/support/mariadb-pair.ts):
// MYSQL_URL names the primary, MYSQL_READ_URL the replica. Which server answered is proved with
// the servers' own statement counters; lag is made by stopping the replica's SQL thread, death by
// killing its process.
import { Writable } from 'node:stream'
import { readdirSync } from 'node:fs'
import tap from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { build, testConfig, TEST_DB, TEST_REDIS_PREFIX, REDIS_BASE } from '../helper.js'
import { migrationsDir } from '../../src/migrations.js'
import { runSeed } from '../../seed/run-seed.js'
import { waitFor, within } from '../reliability/support/wait.js'
import { call } from '../reliability/support/http.js'
import { spawnService } from '../reliability/support/service-process.js'
import { startMariadbPair, type MariadbServer } from './support/mariadb-pair.js'

const QUERY_TIMEOUT_MS = 2000
/** No request may take longer than the database deadline plus this. */
const ANSWER_BOUND_MS = QUERY_TIMEOUT_MS + 3000

const pair = await startMariadbPair(tap)
tap.comment(`primary and replica started and replicating in ${pair.startupMs} ms`)
const { primary, replica } = pair
const primaryUrl = primary.url(TEST_DB)
const replicaUrl = replica.url(TEST_DB)
const config = testConfig({ MYSQL_URL: primaryUrl, MYSQL_READ_URL: replicaUrl })

const quiet = (): Writable => new Writable({ write (_chunk, _enc, done) { done() } })
async function seed (count: number, reset: boolean): Promise<void> {
  await runSeed(config, { count, reset, seed: 'replica' }, { out: quiet(), err: quiet() })
}

// The migrations and the first catalog, as `npm run seed` makes them, on the primary only.
await seed(400, true)
await pair.waitCaughtUp()
const app = await build(tap, { MYSQL_URL: primaryUrl, MYSQL_READ_URL: replicaUrl, MYSQL_QUERY_TIMEOUT_MS: QUERY_TIMEOUT_MS })
const replicaState = app.db.replica
if (replicaState === undefined) throw new Error('the app did not open a read replica')

/** Statement counters of one server (SHOW GLOBAL STATUS: not counted as a SELECT itself). */
async function counters (server: MariadbServer): Promise<Record<string, number>> {
  const rows = await server.query<Array<{ Variable_name: string, Value: string }>>(
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_select', 'Com_insert', 'Com_update', 'Com_stmt_execute')")
  return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]))
}
function delta (after: Record<string, number>, before: Record<string, number>, name: string): number {
  return (after[name] ?? 0) - (before[name] ?? 0)
}

async function get (app: FastifyInstance, url: string): Promise<LightMyRequestResponse> {
  return await within(ANSWER_BOUND_MS, `GET ${url}`, app.inject({ method: 'GET', url }))
}
function ids (res: LightMyRequestResponse): number[] {
  return (res.json() as { data: Array<{ id: number }> }).data.map((p) => p.id)
}
async function maxId (server: MariadbServer): Promise<number> {
  const [row] = await server.query<Array<{ n: number }>>(`SELECT MAX(id) AS n FROM \`${TEST_DB}\`.products`)
  return Number(row.n)
}

/** A word of a product name, for searches. */
const [{ name: aName }] = await primary.query<Array<{ name: string }>>(`SELECT name FROM \`${TEST_DB}\`.products WHERE id = 1`)
const searchWord = (aName.split(/[^A-Za-z0-9]+/).find((w) => w.length >= 4) ?? 'organic').toLowerCase()

tap.test('catalog reads (list, product, categories, search) go to the replica; webhooks and order reads to the primary', async (t) => {
  t.ok(replicaState.inUse(), 'the replica is in use')
  const urls = [
    ...[1, 2, 3, 4, 5, 6].map((n) => `/api/products?limit=${n}&sort=price`),
    ...[1, 2, 3, 4, 5].map((id) => `/api/products/${id}`),
    ...[10, 20, 30].map((p) => `/api/categories?minPrice=${p}`),
    `/api/products?q=${searchWord}&limit=3`,
    `/api/categories?q=${searchWord}`
  ]
  const before = { primary: await counters(primary), replica: await counters(replica) }
  for (const url of urls) {
    const res = await get(app, url)
    t.equal(res.statusCode, 200, url)
    if (url.includes('?')) t.not(res.headers['x-cache'], 'HIT', `${url} was read, not found in the cache`)
  }
  const after = { primary: await counters(primary), replica: await counters(replica) }
  const replicaSelects = delta(after.replica, before.replica, 'Com_select')
  const primarySelects = delta(after.primary, before.primary, 'Com_select')
  t.comment(`${urls.length} catalog requests: ${replicaSelects} SELECTs on the replica, ${primarySelects} on the primary`)
  t.ok(replicaSelects >= urls.length, `every catalog request read from the replica (${replicaSelects} >= ${urls.length})`)
  t.equal(primarySelects, 0, 'no catalog read reached the primary')

  // A write and the read of what it wrote: both on the primary, even while the replica applies nothing.
  await pair.stopReplicaSql()
  t.teardown(async () => { await pair.startReplicaSql().catch(() => {}) })
  const orderId = `ord-${Date.now()}`
  const beforeWrite = { primary: await counters(primary), replica: await counters(replica) }
  const hook = await within(ANSWER_BOUND_MS, 'webhook', app.inject({
    method: 'POST',
    url: '/webhook/order-update',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ event_id: `evt-${orderId}`, status: 'shipped', order_id: orderId })
  }))
  t.equal(hook.statusCode, 200, 'the webhook is committed')
  const order = await get(app, `/api/orders/${orderId}`)
  t.equal(order.statusCode, 200, 'the order reads back at once: order reads go to the primary')
  const afterWrite = { primary: await counters(primary), replica: await counters(replica) }
  t.ok(delta(afterWrite.primary, beforeWrite.primary, 'Com_insert') >= 1, 'the webhook inserted on the primary')
  t.ok(delta(afterWrite.primary, beforeWrite.primary, 'Com_select') >= 1, 'the order was read on the primary')
  t.equal(delta(afterWrite.replica, beforeWrite.replica, 'Com_insert') + delta(afterWrite.replica, beforeWrite.replica, 'Com_update'), 0,
    'nothing was written on the replica')
  const [onReplica] = await replica.query<Array<{ n: number }>>(`SELECT COUNT(*) AS n FROM \`${TEST_DB}\`.orders WHERE order_id = ?`, [orderId])
  t.equal(Number(onReplica.n), 0, 'the replica (SQL thread stopped) does not have the order')
  await pair.startReplicaSql()
  await pair.waitCaughtUp()
})

tap.test('the service migrates the primary (MYSQL_URL), never the replica', async (t) => {
  const database = `${TEST_DB}_m`
  await pair.stopReplicaSql()
  t.teardown(async () => { await pair.startReplicaSql().catch(() => {}) })
  const service = await spawnService(t, {
    MYSQL_URL: primary.url(database),
    MYSQL_READ_URL: replica.url(database),
    REDIS_URL: REDIS_BASE,
    REDIS_KEY_PREFIX: `${TEST_REDIS_PREFIX}m:`
  })
  const files = readdirSync(migrationsDir()).filter((f) => /^\d+_.+\.sql$/.test(f))
  const [applied] = await primary.query<Array<{ n: number }>>(`SELECT COUNT(*) AS n FROM \`${database}\`.schema_migrations`)
  t.equal(Number(applied.n), files.length, 'every migration was applied on the primary')
  const onReplica = await replica.query<unknown[]>('SHOW DATABASES LIKE ?', [database])
  t.equal(onReplica.length, 0, 'the replica (SQL thread stopped) has not even the database: nothing was sent to it')
  await pair.startReplicaSql()
  await pair.waitCaughtUp()
  const [tables] = await replica.query<Array<{ n: number }>>(
    'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [database, 'catalog_version'])
  t.equal(Number(tables.n), 1, 'the schema reached the replica by replication')
  const res = await call(`${service.url}/api/products?limit=1`, { timeoutMs: ANSWER_BOUND_MS })
  t.equal(res.status, 200, 'the spawned service answers catalog reads once the replica holds the schema')
})

tap.test('with the replica\'s SQL thread stopped a product inserted on the primary is 404 until the replica catches up', async (t) => {
  await pair.stopReplicaSql()
  t.teardown(async () => { await pair.startReplicaSql().catch(() => {}) })
  await primary.query(`INSERT INTO \`${TEST_DB}\`.products (name, category, price, stock, created_at) VALUES ('Replica Probe Jam 250g', 'spreads', 3.5, 7, UTC_TIMESTAMP(3))`)
  const id = await maxId(primary)
  const missing = await get(app, `/api/products/${id}`)
  t.equal(missing.statusCode, 404, 'read from the replica: not there yet')
  t.match(missing.headers['content-type'], /application\/problem\+json/)

  const restarted = performance.now()
  await pair.startReplicaSql()
  await pair.waitCaughtUp()
  const caughtUpMs = performance.now() - restarted
  const found = await waitFor(async () => { const r = await get(app, `/api/products/${id}`); return r.statusCode === 200 && r }, {
    timeoutMs: 10_000, intervalMs: 20, what: 'the product to be served from the replica'
  })
  const visibleMs = performance.now() - restarted
  t.equal((found.json() as { name: string }).name, 'Replica Probe Jam 250g')
  t.comment(`replica caught up ${caughtUpMs.toFixed(0)} ms after START SLAVE SQL_THREAD; the product was served ${visibleMs.toFixed(0)} ms after`)
})

tap.test('a page read from a replica behind the catalog version is answered but never cached', async (t) => {
  const url = '/api/products?sort=-id&limit=5'
  const categories = '/api/categories'
  // Caught up: the replica path caches like the primary's (the replica's version is read once a second).
  await waitFor(async () => (await get(app, url)).headers['x-cache'] === 'HIT' && (await get(app, categories)).headers['x-cache'] === 'HIT', {
    timeoutMs: 10_000, intervalMs: 100, what: 'pages read from a caught-up replica to be cached'
  })
  const oldTop = ids(await get(app, url))
  const oldTotal = ((await get(app, categories)).json() as { data: Array<{ count: number }> }).data.reduce((n, c) => n + c.count, 0)

  // A seed while the replica applies nothing: new rows, the version bumped in Redis and recorded on the primary.
  await pair.stopReplicaSql()
  t.teardown(async () => { await pair.startReplicaSql().catch(() => {}) })
  await seed(2000, false)
  const newest = await maxId(primary)
  t.ok(newest > oldTop[0], 'the seed appended products on the primary')

  const first = await waitFor(async () => { const r = await get(app, url); return r.headers['x-cache'] !== 'HIT' && r }, {
    timeoutMs: 5000, intervalMs: 20, what: 'the page cache to see the new catalog version'
  })
  t.equal(first.statusCode, 200)
  t.same(ids(first), oldTop, 'the lagging replica answers the rows it has')
  for (let i = 0; i < 5; i++) {
    const again = await get(app, url)
    t.equal(again.headers['x-cache'], 'MISS', `request ${i + 1} after the bump: read again, never cached from the lagging replica`)
    t.same(ids(again), oldTop)
    const counts = await get(app, categories)
    t.equal(counts.headers['x-cache'], 'MISS', 'the facet counts are not cached either')
    t.equal((counts.json() as { data: Array<{ count: number }> }).data.reduce((n, c) => n + c.count, 0), oldTotal)
  }

  const restarted = performance.now()
  await pair.startReplicaSql()
  const caughtUp = pair.waitCaughtUp().then(() => performance.now() - restarted)
  const fresh = await waitFor(async () => { const r = await get(app, url); return ids(r)[0] === newest && r }, {
    timeoutMs: 15_000, intervalMs: 20, what: 'the page to show the new products'
  })
  const freshMs = performance.now() - restarted
  t.not(fresh.headers['x-cache'], 'HIT', 'the first page with the new rows was read, not cached')
  const cached = await waitFor(async () => { const r = await get(app, url); return r.headers['x-cache'] === 'HIT' && r }, {
    timeoutMs: 5000, intervalMs: 50, what: 'the page to be cached again'
  })
  const cachedMs = performance.now() - restarted
  t.equal(ids(cached)[0], newest, 'the page cached under the new version holds the new rows')
  t.comment(`after restarting the SQL thread: the replica applied the 2,000-product seed in ${(await caughtUp).toFixed(0)} ms; ` +
    `the new rows were served after ${freshMs.toFixed(0)} ms and cached again after ${cachedMs.toFixed(0)} ms (the replica's version is read once a second)`)
})

tap.test('a hung replica (SIGSTOP): reads go to the primary after half the deadline, never hang, and return after SIGCONT', async (t) => {
  await pair.waitCaughtUp()
  t.ok(replicaState.inUse(), 'the replica is in use')
  replica.pause()
  t.teardown(() => { replica.resume() })
  const pausedAt = performance.now()
  const answers = await Promise.all([1, 2, 3, 4].map(async (i) => {
    const res = await get(app, `/api/products?minPrice=${i}.125&limit=3`)
    return { status: res.statusCode, ms: performance.now() - pausedAt }
  }))
  for (const a of answers) t.equal(a.status, 200, `answered by the primary in ${a.ms.toFixed(0)} ms`)
  t.ok(Math.max(...answers.map((a) => a.ms)) < QUERY_TIMEOUT_MS + 1000, 'within the database deadline (plus a little)')
  t.notOk(replicaState.inUse(), 'the hung replica is out of use')
  const next = await get(app, '/api/products?minPrice=5.125&limit=3')
  t.equal(next.statusCode, 200, 'the next read goes straight to the primary')
  t.comment(`hung replica: ${answers.length} concurrent reads answered by the primary within ${Math.max(...answers.map((a) => a.ms)).toFixed(0)} ms (replica budget: half of MYSQL_QUERY_TIMEOUT_MS=${QUERY_TIMEOUT_MS})`)

  const resumedAt = performance.now()
  replica.resume()
  await waitFor(() => replicaState.inUse(), { timeoutMs: 10_000, intervalMs: 20, what: 'the replica to be used again' })
  t.comment(`hung replica resumed: reads back on it after ${(performance.now() - resumedAt).toFixed(0)} ms`)
})

tap.test('a killed replica: catalog reads fall back to the primary at once, and return to the replica once it answers', async (t) => {
  await pair.waitCaughtUp()
  t.ok(replicaState.inUse(), 'the replica is in use')
  await replica.kill()
  const killedAt = performance.now()
  t.teardown(async () => { if (!replica.running()) await replica.start() })

  // Uncached pages and products just after the process died: every one answered, by the primary.
  const requests = Array.from({ length: 12 }, (_v, i) => i % 3 === 0 ? `/api/products/${i + 1}` : `/api/products?minPrice=${i}.25&limit=4`)
  const answers = await Promise.all(requests.map(async (url) => {
    const res = await get(app, url)
    return { url, status: res.statusCode, ms: performance.now() - killedAt }
  }))
  for (const a of answers) t.equal(a.status, 200, `${a.url} answered while the replica is dead`)
  t.notOk(replicaState.inUse(), 'the replica is out of use')
  t.comment(`replica killed: ${answers.length} concurrent reads, the first to meet the dead replica among them, all answered by the primary within ${Math.max(...answers.map((a) => a.ms)).toFixed(0)} ms of its exit`)

  const before = await counters(primary)
  for (let i = 0; i < 5; i++) {
    const res = await get(app, `/api/products?minPrice=${i}.75&limit=3`)
    t.equal(res.statusCode, 200, 'still answered')
  }
  t.ok(delta(await counters(primary), before, 'Com_select') >= 5, 'by the primary')

  const restarting = performance.now()
  await replica.start()
  const readyMs = performance.now() - restarting
  await waitFor(() => replicaState.inUse(), { timeoutMs: 10_000, intervalMs: 20, what: 'the replica to be used again' })
  const backMs = performance.now() - restarting
  t.comment(`replica restarted (crash recovery) in ${readyMs.toFixed(0)} ms; reads back on it ${(backMs - readyMs).toFixed(0)} ms after it accepted connections`)
  t.ok(backMs - readyMs <= 3000, 'the re-probe brings it back within a few seconds (probe every second)')

  await pair.waitCaughtUp()
  const beforeBack = { primary: await counters(primary), replica: await counters(replica) }
  for (let i = 0; i < 5; i++) {
    const res = await get(app, `/api/products?minPrice=${i}.5&limit=2`)
    t.equal(res.statusCode, 200)
  }
  const afterBack = { primary: await counters(primary), replica: await counters(replica) }
  t.ok(delta(afterBack.replica, beforeBack.replica, 'Com_select') >= 5, 'catalog reads are on the replica again')
  t.equal(delta(afterBack.primary, beforeBack.primary, 'Com_select'), 0, 'and no longer on the primary')
})

tap.test('with no traffic, a dead replica is noticed by the once-a-second version read', async (t) => {
  await pair.waitCaughtUp()
  t.ok(replicaState.inUse())
  await replica.kill()
  const killedAt = performance.now()
  t.teardown(async () => { if (!replica.running()) await replica.start() })
  await waitFor(() => !replicaState.inUse(), { timeoutMs: 5000, intervalMs: 10, what: 'the dead replica to be noticed' })
  const detectionMs = performance.now() - killedAt
  t.comment(`dead replica noticed without any request ${detectionMs.toFixed(0)} ms after its exit (bound: the 1 s version read)`)
  t.ok(detectionMs < 2500, 'within about a second')
  await replica.start()
  await waitFor(() => replicaState.inUse(), { timeoutMs: 10_000, intervalMs: 20, what: 'the replica to be used again' })
  await pair.waitCaughtUp()
})
