// The service's shared-state guarantees on a Redis Cluster (3 masters, 3 replicas of its own):
// several service instances (apps built as server.ts builds them, listening on real ports) share
// one token fetch, take each webhook once, count one rate limit, share cached pages and the
// catalog version, and ride out the loss of the master that owns the catalog version's slot.
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import t, { type Test } from 'tap'
import { build, MYSQL_BASE, sql, TEST_DB, TEST_REDIS_PREFIX, testConfig } from '../helper.js'
import {
  CATEGORIES, call, freePort, jsonBody, seedProducts, sendWebhook, spawnService, startFakeSupplier, startLoad, supplierEnv, tally,
  waitFor, webhookTables, WEBHOOK_SECRET, type Outcome
} from '../reliability/support.js'
import { parseClusterNodes } from '../../src/config.js'
import { CATALOG_VERSION_KEY } from '../../src/lib/catalog-version.js'
import { leaseChunk, lowWater } from '../../src/lib/rate-limit-lease.js'
import { bumpCatalogVersion } from '../../seed/catalog-version.js'
import { runSeed } from '../../seed/run-seed.js'
import { NODE_TIMEOUT_MS, startRedisCluster } from './support/redis-cluster.js'

const cluster = await startRedisCluster(t)
const db = await sql(t)
await seedProducts(db, 300)

/** Each test keeps its keys apart (rate-limit counters, cached pages) under a prefix of its own. */
const prefixFor = (name: string): string => `${TEST_REDIS_PREFIX}${name}:`

/** `n` service instances on the cluster, listening on spare ports; closed when `t` ends. */
async function instances (t: Test, n: number, env: Record<string, string | number>): Promise<string[]> {
  const urls: string[] = []
  for (let i = 0; i < n; i++) {
    const app = await build(t, { REDIS_CLUSTER_NODES: cluster.seedNodes, WEBHOOK_SECRET, RATE_LIMIT_MAX: 1_000_000_000, ...env })
    await app.listen({ port: 0, host: '127.0.0.1' })
    urls.push(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`)
  }
  return urls
}

t.test('a service process started with REDIS_CLUSTER_NODES (REDIS_URL unused) shares pages with an in-process instance', async (t) => {
  const keyPrefix = prefixFor('ready')
  const spawned = await spawnService(t, {
    MYSQL_URL: `${MYSQL_BASE}/${TEST_DB}`,
    REDIS_CLUSTER_NODES: cluster.seedNodes,
    // Nothing listens there: the service must not use it.
    REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    REDIS_KEY_PREFIX: keyPrefix
  })
  t.match(jsonBody(await call(`${spawned.url}/ready`, { timeoutMs: 10_000 })), { status: 'ready', mysql: 'up', redis: 'up' })
  const [url] = await instances(t, 1, { REDIS_KEY_PREFIX: keyPrefix })
  const page = '/api/products?limit=7&sort=-price'
  t.equal((await call(`${spawned.url}${page}`, { timeoutMs: 10_000 })).headers.get('x-cache'), 'MISS')
  const shared = await call(`${url}${page}`)
  t.equal(shared.headers.get('x-cache'), 'HIT', 'the page the spawned service stored is found by the other instance')
  t.equal(shared.headers.get('x-cache-tier'), 'redis')
})

t.test('with no cluster node reachable the service starts and answers from MySQL; the seeder bump fails at once', async (t) => {
  const closed = await freePort()
  const [url] = await instances(t, 1, { REDIS_CLUSTER_NODES: `127.0.0.1:${closed}`, REDIS_KEY_PREFIX: prefixFor('down') })
  const page = await call(`${url}/api/products?limit=3`)
  t.equal(page.status, 200)
  t.equal(page.headers.get('x-cache'), 'BYPASS')
  t.match(jsonBody(await call(`${url}/ready`)), { status: 'ready', mysql: 'up', redis: 'down' })
  const startedAt = Date.now()
  await t.rejects(bumpCatalogVersion({ url: '', clusterNodes: [{ host: '127.0.0.1', port: closed }], keyPrefix: 'x:' }), /startup nodes/)
  t.ok(Date.now() - startedAt < 5000, 'the bump gives up without reconnecting')
})

t.test('three instances asking for a token at once make one token request between them', async (t) => {
  const fake = await startFakeSupplier(t)
  fake.tokenDelayMs = 300 // the first fetch is still running when the others ask
  const urls = await instances(t, 3, { ...supplierEnv(fake), REDIS_KEY_PREFIX: prefixFor('token') })
  const answers = await Promise.all(urls.flatMap((url) => [0, 1, 2, 3].map(async () => await call(`${url}/auth/token`, { timeoutMs: 15_000 }))))
  t.same(tally(answers), { 200: 12 })
  t.equal(fake.tokenRequests, 1, 'one token request across the instances')
  t.equal(new Set(answers.map((a) => jsonBody(a).fingerprint)).size, 1, 'every instance hands out the same token')
})

t.test('the same events delivered at once to three instances are taken exactly once', async (t) => {
  const urls = await instances(t, 3, { REDIS_KEY_PREFIX: prefixFor('webhooks') })
  const events = Array.from({ length: 30 }, (_, i) => ({
    event_id: `cluster-wh-${i}`,
    status: `status-${i}`,
    order_id: `cluster-order-${i % 6}`,
    occurred_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString()
  }))
  // Each event twice to every instance, all at once.
  const deliveries = await Promise.all(events.flatMap((event) =>
    urls.flatMap((url) => [0, 1].map(async () => await sendWebhook(url, event, { timeoutMs: 20_000 })))))
  t.same(tally(deliveries), { 200: events.length * urls.length * 2 })
  for (const event of events) {
    const firsts = deliveries.filter((d) => d.label === event.event_id && jsonBody(d).duplicate === false)
    t.equal(firsts.length, 1, `${event.event_id}: one delivery is the first, the others duplicates`)
  }
  const tables = await webhookTables(db)
  t.same(tables.problems, [])
  for (const event of events) t.equal(tables.events.get(event.event_id), 1, `${event.event_id} stored once`)
})

t.test('the rate limit is counted across instances within the documented bound', async (t) => {
  const max = 100
  const urls = await instances(t, 3, { REDIS_KEY_PREFIX: prefixFor('rate'), RATE_LIMIT_MAX: max, RATE_LIMIT_WINDOW_MS: 600_000 })
  const outcomes: Outcome[] = []
  let next = 0
  await Promise.all(Array.from({ length: 6 }, async () => {
    while (next < 160) {
      const i = next++
      outcomes.push(await call(`${urls[i % urls.length]}/api/products?limit=1`, { timeoutMs: 15_000 }))
    }
  }))
  const admitted = outcomes.filter((o) => o.status === 200).length
  const refused = outcomes.filter((o) => o.status === 429)
  t.equal(admitted + refused.length, outcomes.length, `only 200 and 429 (${JSON.stringify(tally(outcomes))})`)
  // The contract's bound on over-admission, and the lease's own bound on quota left unspent.
  t.ok(admitted <= max + Math.floor(max * 5 / 100), `admitted ${admitted} <= ${max} + 5%`)
  const stranded = urls.length * (leaseChunk(max) + lowWater(leaseChunk(max)))
  t.ok(admitted >= max - stranded, `admitted ${admitted} >= ${max} - ${stranded} (leases left unspent)`)
  t.ok(refused.every((o) => o.headers.get('retry-after') !== null && o.headers.get('x-ratelimit-limit') === String(max)), '429s carry retry-after and the limit')
})

t.test('a page cached by one instance is a hit on another; a catalog version bump is seen by all', async (t) => {
  const keyPrefix = prefixFor('pages')
  const urls = await instances(t, 2, { REDIS_KEY_PREFIX: keyPrefix })
  const page = '/api/products?limit=5&category=fruits'
  const first = await call(`${urls[0]}${page}`)
  t.equal(first.headers.get('x-cache'), 'MISS', 'instance A loads the page')
  const second = await call(`${urls[1]}${page}`)
  t.equal(second.headers.get('x-cache'), 'HIT', 'instance B finds it in the cluster')
  t.equal(second.headers.get('x-cache-tier'), 'redis')
  t.equal(second.body, first.body)
  t.equal((await call(`${urls[0]}${page}`)).headers.get('x-cache-tier'), 'memory', 'A now answers from memory')

  const id = (jsonBody(first).data as Array<{ id: number }>)[0].id
  await db.query('UPDATE products SET name = ? WHERE id = ?', [`Renamed ${id}`, id])
  await bumpCatalogVersion({ url: '', clusterNodes: parseClusterNodes(cluster.seedNodes), keyPrefix })
  const bumpedAt = Date.now()
  const seen: Outcome[] = []
  await waitFor(async () => {
    const now = await Promise.all(urls.map(async (url) => await call(`${url}${page}`)))
    seen.push(...now)
    return now.every((o) => o.body.includes(`Renamed ${id}`))
  }, { timeoutMs: 10_000, intervalMs: 50, what: 'both instances to serve the new catalog version' })
  const stale = seen.filter((o) => o.startedAt > bumpedAt + 1000 && !o.body.includes(`Renamed ${id}`))
  t.same(stale.map((o) => o.startedAt - bumpedAt), [], 'no page of the old version asked for more than 1 s after the bump')
  t.comment(`new version seen by both instances ${Math.max(...seen.filter((o) => o.body.includes('Renamed')).map((o) => o.startedAt)) - bumpedAt} ms after the bump at the latest`)
})

t.test('failover: the master owning the catalog version slot is killed under load', async (t) => {
  const keyPrefix = prefixFor('failover')
  const urls = await instances(t, 3, { REDIS_KEY_PREFIX: keyPrefix, CACHE_TTL_SECONDS: 600 })
  const slot = await cluster.slotOf(keyPrefix + CATALOG_VERSION_KEY)
  const firstMaster = (await cluster.view(cluster.nodes[0].port)).find((n) => n.flags.includes('master') && n.slots.some(([a, b]) => slot >= a && slot <= b))
  if (firstMaster === undefined) throw new Error(`no master serves slot ${slot}`)
  const victim = cluster.nodes.find((n) => n.id === firstMaster.id)
  const survivor = cluster.nodes.find((n) => n.id !== firstMaster.id)
  if (victim === undefined || survivor === undefined) throw new Error('cluster nodes not found')

  const pages = Array.from({ length: 50 }, (_, i) => `/api/products?limit=${5 + (i % 10)}&category=${CATEGORIES[i % CATEGORIES.length]}`)
  const load = startLoad(t, 20, async (n) => await call(`${urls[n % urls.length]}${n % 2 === 0 ? '/api/products?limit=20' : pages[n % pages.length]}`, { timeoutMs: 15_000 }))
  const hooks = startLoad(t, 2, async (n) => await sendWebhook(urls[n % urls.length], {
    event_id: `failover-${n}`,
    status: `s${n}`,
    order_id: `failover-order-${n % 8}`,
    occurred_at: new Date(Date.UTC(2026, 1, 1) + n * 1000).toISOString()
  }, { timeoutMs: 20_000 }))

  const hits = () => load.outcomes.filter((o) => o.headers.get('x-cache') === 'HIT').length
  await waitFor(() => hits() >= 300, { timeoutMs: 60_000, intervalMs: 50, what: 'a warm cache under load' })

  const killedAt = Date.now()
  await victim.kill()
  const promotedAt = await waitFor(async () => {
    const master = await cluster.masterOf(slot, survivor.port)
    return master !== undefined && master.id !== victim.id ? Date.now() : false
  }, { timeoutMs: 30_000 + 10 * NODE_TIMEOUT_MS, intervalMs: 25, what: `a replica promoted for slot ${slot}` })
  const firstHit = await waitFor(() => load.outcomes.find((o) => o.startedAt >= promotedAt && o.headers.get('x-cache') === 'HIT'),
    { timeoutMs: 20_000, intervalMs: 25, what: 'a cache hit after the promotion' })
  const hitAfterPromotionMs = firstHit.startedAt + firstHit.ms - promotedAt
  // A little more load on the new topology, then stop.
  const calmFrom = load.outcomes.length
  await waitFor(() => load.outcomes.length >= calmFrom + 200, { timeoutMs: 30_000, intervalMs: 50, what: 'load after the recovery' })
  const [pagesDone, hooksDone] = await Promise.all([load.stop(), hooks.stop()])

  const all = [...pagesDone, ...hooksDone]
  const failed = all.filter((o) => o.status < 200 || o.status >= 300)
  t.comment(`failover figures: ${all.length} requests (${pagesDone.length} pages, ${hooksDone.length} webhooks), ` +
    `${failed.length} non-2xx ${JSON.stringify(tally(failed))}; kill -> promotion ${promotedAt - killedAt} ms; ` +
    `promotion -> first HIT ${hitAfterPromotionMs} ms; pages during the outage ${JSON.stringify(tallyCache(pagesDone, killedAt, firstHit.startedAt))}`)
  t.ok(failed.length <= all.length / 100, `non-2xx ${failed.length} <= 1% of ${all.length}`)
  t.ok(hitAfterPromotionMs <= 10_000, `cache hits again ${hitAfterPromotionMs} ms after the promotion (<= 10 s)`)

  // Every acknowledged webhook is stored, once; a refused one (5xx) was never half applied.
  const tables = await webhookTables(db)
  t.same(tables.problems, [])
  const acknowledged = hooksDone.filter((o) => o.status === 200)
  t.ok(acknowledged.length > 0, 'webhooks were acknowledged')
  t.same(acknowledged.filter((o) => tables.events.get(o.label) !== 1).map((o) => o.label), [], 'every acknowledged webhook is stored once')
  t.same(hooksDone.filter((o) => o.status >= 500).map((o) => o.label).filter((id) => tables.events.get(id) === 1), [],
    'no stored webhook was answered 5xx')
})

/** x-cache of the pages answered between `from` and `to`. */
function tallyCache (outcomes: Outcome[], from: number, to: number): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const o of outcomes) {
    if (o.startedAt < from || o.startedAt > to) continue
    const key = o.headers.get('x-cache') ?? String(o.status)
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

// Last: it appends products to the catalog the tests above page through.
t.test('npm run seed on REDIS_CLUSTER_NODES bumps the catalog version on the cluster', async (t) => {
  const keyPrefix = prefixFor('seed')
  const target = { url: '', clusterNodes: parseClusterNodes(cluster.seedNodes), keyPrefix }
  const before = await bumpCatalogVersion(target)
  const quiet = new Writable({ write (_chunk, _enc, done) { done() } })
  await runSeed(testConfig({ REDIS_CLUSTER_NODES: cluster.seedNodes, REDIS_URL: `redis://127.0.0.1:${await freePort()}`, REDIS_KEY_PREFIX: keyPrefix }),
    { count: 10, seed: 'cluster' }, { out: quiet, err: quiet })
  t.equal(await bumpCatalogVersion(target), before + 2, 'the seed run bumped the version once on the cluster')
})
