// The read replica's routing (plugins/mysql.ts) and the catalog's rule for caching what it reads
// (plugins/catalog.ts), with the shared server standing in for the replica behind a TCP proxy
// that can be cut. Real replication (lag, a killed replica process) is test/topology's.
import { test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type mysql from 'mysql2/promise'
import { build, redisClient, sql, TEST_DB } from '../helper.js'
import { CATALOG_VERSION_KEY } from '../../src/lib/catalog-version.js'
import { seedProducts, startTcpProxy, waitFor, within, type TcpProxy } from '../reliability/support.js'

const QUERY_TIMEOUT_MS = 1000

async function replicaApp (t: Parameters<typeof build>[0], poolSize?: number): Promise<{ app: FastifyInstance, proxy: TcpProxy }> {
  const proxy = await startTcpProxy(t, { host: '127.0.0.1', port: 3306 })
  const app = await build(t, {
    MYSQL_READ_URL: `mysql://root@127.0.0.1:${proxy.port}/${TEST_DB}`,
    MYSQL_QUERY_TIMEOUT_MS: QUERY_TIMEOUT_MS,
    ...(poolSize !== undefined ? { MYSQL_POOL_SIZE: poolSize } : {})
  })
  return { app, proxy }
}

async function status (app: FastifyInstance, url: string): Promise<{ status: number, ms: number, cache: unknown }> {
  const started = performance.now()
  const res = await within(QUERY_TIMEOUT_MS + 2000, `GET ${url}`, app.inject({ method: 'GET', url }))
  return { status: res.statusCode, ms: performance.now() - started, cache: res.headers['x-cache'] }
}

test('reads go through MYSQL_READ_URL; a refused replica is left at once for the primary and used again once a probe answers', async (t) => {
  await seedProducts(await sql(t), 50)
  const { app, proxy } = await replicaApp(t)
  const replica = app.db.replica
  if (replica === undefined) throw new Error('no replica')
  t.ok(replica.inUse())
  const before = proxy.accepted()
  t.equal((await status(app, '/api/products/3')).status, 200)
  t.ok(proxy.accepted() > before || proxy.open() > 0, 'the read went through the replica URL')
  t.equal((await status(app, '/api/orders/none')).status, 404, 'order reads are the primary\'s')

  proxy.cut('refuse')
  for (const url of ['/api/products/4', '/api/products?limit=3&sort=price', '/api/categories?minPrice=2']) {
    const res = await status(app, url)
    t.equal(res.status, 200, `${url} answered by the primary`)
    t.ok(res.ms < QUERY_TIMEOUT_MS, `without waiting for a deadline (${res.ms.toFixed(0)} ms)`)
  }
  t.notOk(replica.inUse(), 'the replica is out of use')
  const refusedAt = proxy.accepted()
  t.equal((await status(app, '/api/products/5')).status, 200)
  t.equal(proxy.accepted(), refusedAt, 'an out-of-use replica is not tried per request')

  proxy.restore()
  await waitFor(() => replica.inUse(), { timeoutMs: 5000, intervalMs: 20, what: 'the probe to bring the replica back' })
  t.pass('a probe brought the replica back')
})

test('a black-holed replica: the read goes to the primary after half the deadline, within the whole deadline', async (t) => {
  await seedProducts(await sql(t), 50)
  const { app, proxy } = await replicaApp(t)
  const replica = app.db.replica
  if (replica === undefined) throw new Error('no replica')
  proxy.cut('blackhole')
  const res = await status(app, '/api/products?limit=4&sort=-price')
  t.equal(res.status, 200, 'answered by the primary')
  t.ok(res.ms >= QUERY_TIMEOUT_MS / 2 - 50 && res.ms < QUERY_TIMEOUT_MS + 1000, `after half the deadline (${res.ms.toFixed(0)} ms)`)
  t.notOk(replica.inUse())
  const next = await status(app, '/api/products?limit=5&sort=-price')
  t.equal(next.status, 200)
  t.ok(next.ms < QUERY_TIMEOUT_MS / 2, `the next read goes straight to the primary (${next.ms.toFixed(0)} ms)`)
  proxy.restore()
  await waitFor(() => replica.inUse(), { timeoutMs: 5000, intervalMs: 20, what: 'the probe to bring the replica back' })
  t.pass('a probe brought the replica back')
})

test('a slow statement on a live replica keeps its whole deadline there; the replica stays in use', async (t) => {
  const { app } = await replicaApp(t)
  const replica = app.db.replica
  if (replica === undefined) throw new Error('no replica')
  // Longer than half the deadline, shorter than all of it: the replica answers a SELECT 1
  // beside it, so it is busy, not gone.
  const started = performance.now()
  const rows = await within(QUERY_TIMEOUT_MS + 2000, 'the slow read', app.db.query(
    `SELECT SLEEP(${(QUERY_TIMEOUT_MS * 0.7) / 1000}) AS s`, [], { read: true }))
  const ms = performance.now() - started
  t.same(rows.map((r) => Number(r.s)), [0], `answered by the replica after ${ms.toFixed(0)} ms, past half the deadline`)
  t.ok(replica.inUse(), 'and the replica is still in use')
  // A statement longer than the whole deadline fails as it would without a replica (a 503 error),
  // and does not take the replica out of use either.
  const failed = await app.db.query(`SELECT SLEEP(${(QUERY_TIMEOUT_MS * 1.5) / 1000})`, [], { read: true }).then(() => undefined, (err: { statusCode?: number }) => err)
  t.equal(failed?.statusCode, 503, 'a statement past the deadline is a 503 error')
  t.ok(replica.inUse(), 'a statement past the deadline is not a dead replica')
})

test('a replica whose every pooled connection runs a slow statement is busy, not gone: the question is asked outside the pool', async (t) => {
  const poolSize = 2
  const { app } = await replicaApp(t, poolSize)
  const replica = app.db.replica
  if (replica === undefined) throw new Error('no replica')
  // As many slow reads as the pool holds, each past half the deadline: a SELECT 1 waiting for a
  // pooled connection would find none free, and the replica would be taken for a hung server
  // (each read then sent to the primary with too little time left for it).
  const started = performance.now()
  const reads = Array.from({ length: poolSize }, async () => await app.db.query(
    `SELECT SLEEP(${(QUERY_TIMEOUT_MS * 0.7) / 1000}) AS s`, [], { read: true }))
  const answers = await within(QUERY_TIMEOUT_MS + 2000, 'the slow reads', Promise.allSettled(reads))
  const ms = performance.now() - started
  t.same(answers.map((a) => a.status), answers.map(() => 'fulfilled'), `every slow read answered (${ms.toFixed(0)} ms)`)
  t.ok(replica.inUse(), 'and the replica is still in use')
})

test('a replica page is cached only under a catalog version the replica holds; a bump made without the seeder is recorded by the service', async (t) => {
  const conn = await sql(t)
  await seedProducts(conn, 50)
  const redis = redisClient(t)
  const { app } = await replicaApp(t)
  const url = '/api/products?limit=7&sort=createdAt'
  await waitFor(async () => (await status(app, url)).cache === 'HIT', { timeoutMs: 5000, intervalMs: 50, what: 'the page to be cached' })

  // A version the database does not hold yet: the replica (here the same server) is taken to lag until the row says otherwise.
  await conn.query('DELETE FROM catalog_version')
  const version = Number(await redis.incr(CATALOG_VERSION_KEY))
  const first = await waitFor(async () => { const r = await status(app, url); return r.cache !== 'HIT' && r }, {
    timeoutMs: 5000, intervalMs: 20, what: 'the new version to be seen'
  })
  t.equal(first.status, 200)
  // The service records the version it sees in Redis on the primary within a second; until its
  // replica read confirms it, pages are answered MISS and not stored.
  const [[row]] = await waitFor(async () => {
    const r = await conn.query<mysql.RowDataPacket[]>('SELECT version FROM catalog_version WHERE id = 1')
    return r[0].length > 0 && r
  }, { timeoutMs: 5000, intervalMs: 50, what: 'the service to record the version' })
  t.equal(Number(row.version), version, 'the version seen in Redis is recorded on the primary')
  await waitFor(async () => (await status(app, url)).cache === 'HIT', { timeoutMs: 5000, intervalMs: 50, what: 'the page to be cached again' })
  t.pass('cached again once the replica holds the version')
})
