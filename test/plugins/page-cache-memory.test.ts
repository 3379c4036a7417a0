// The in-process tier of the page cache: answers without a Redis command, stays within its
// byte budget, and never serves a page of an old catalog version longer than the freshness
// bound after a bump, with or without background reads.
import { test, type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import metrics from '../../plugins/metrics.js'
import redis from '../../plugins/redis.js'
import pageCache, { type PageCacheOptions } from '../../plugins/page-cache.js'
import { CATALOG_VERSION_KEY } from '../../src/lib/catalog-version.js'
import { startRedisServer, holdFault, type RedisServer } from '../reliability/support.js'

const TTL = 30

async function buildCache (t: Test, server: RedisServer, options: Partial<PageCacheOptions> = {}): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(metrics)
  await app.register(redis, { url: server.url, startWaitMs: 2000 })
  await app.register(pageCache, { ttlSeconds: TTL, ...options })
  t.teardown(() => app.close())
  await app.ready()
  return app
}

function client (t: Test, server: RedisServer): Redis {
  const c = new Redis(server.url, { maxRetriesPerRequest: 1 })
  t.teardown(() => c.disconnect())
  return c
}

async function commandsProcessed (c: Redis): Promise<number> {
  const info = await c.info('stats')
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1])
}

test('a page held in memory is answered without any Redis command', async (t) => {
  const server = await startRedisServer(t)
  // Background reads far apart, so the count below is only what lookups send.
  const app = await buildCache(t, server, { versionIntervalMs: 60_000, versionFreshMs: 60_000 })
  const observer = client(t, server)
  let loads = 0
  const load = async (): Promise<string> => { loads++; return JSON.stringify({ data: [{ id: 1 }], nextCursor: null }) }

  const first = await app.pageCache.get('q-1', load, '/api/products?limit=1')
  t.equal(first.cache, 'MISS')
  // The miss answered at once and writes the page to Redis behind it: wait for that write.
  for (let i = 0; i < 200 && (await observer.keys('products:*')).length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  t.equal((await observer.keys('products:*')).length, 1, 'the missed page is in Redis')
  const before = await commandsProcessed(observer)
  for (let i = 0; i < 100; i++) {
    t.equal(app.pageCache.recall('/api/products?limit=1')?.body, first.page.body)
    const got = await app.pageCache.get('q-1', load, '/api/products?limit=1')
    if (got.cache !== 'HIT' || got.tier !== 'memory') t.fail(`lookup ${i} was ${got.cache}/${String(got.tier)}`)
  }
  const after = await commandsProcessed(observer)
  // INFO itself is the one command processed in between.
  t.equal(after - before, 1, '200 lookups, no command but the observer\'s INFO')
  t.equal(loads, 1)
  const memoryHits = await app.metricsRegistry.getSingleMetric('products_cache_memory_hits_total')?.get()
  t.equal(memoryHits?.values[0]?.value, 200)
})

test('a page another instance stored is found in Redis once, then in memory', async (t) => {
  const server = await startRedisServer(t)
  const one = await buildCache(t, server)
  const two = await buildCache(t, server)
  const load = async (): Promise<string> => '{"shared":true}'
  t.equal((await one.pageCache.get('q-2', load)).cache, 'MISS')
  const fromRedis = await two.pageCache.get('q-2', async () => { throw new Error('must not load') })
  t.same([fromRedis.cache, fromRedis.tier], ['HIT', 'redis'])
  const fromMemory = await two.pageCache.get('q-2', async () => { throw new Error('must not load') })
  t.same([fromMemory.cache, fromMemory.tier], ['HIT', 'memory'])
  t.equal(fromMemory.page.etag, fromRedis.page.etag)
})

test('the memory tier stays within its byte budget, dropping the least recently used pages', async (t) => {
  const server = await startRedisServer(t)
  const app = await buildCache(t, server, { memoryBytes: 64 * 1024 })
  const body = (n: number): string => JSON.stringify({ data: [{ n, pad: 'x'.repeat(4000) }] })
  for (let n = 0; n < 40; n++) await app.pageCache.get(`q-${n}`, async () => body(n), `/p/${n}`)
  const held = Array.from({ length: 40 }, (_, n) => app.pageCache.recall(`/p/${n}`) !== undefined)
  const count = held.filter(Boolean).length
  // Each page counts its text twice (string and bytes) plus overhead: about 8 KiB.
  t.ok(count >= 4 && count <= 8, `${count} pages of ~8 KiB held in 64 KiB`)
  t.ok(held[39], 'the newest page is held')
  t.notOk(held[0], 'the oldest page was dropped')
})

test('after a catalog version bump no lookup serves the old page once the freshness bound has passed, even with no background read', async (t) => {
  const server = await startRedisServer(t)
  const freshMs = 400
  // Background reads effectively off: the foreground re-read alone must keep the bound.
  const app = await buildCache(t, server, { versionIntervalMs: 600_000, versionFreshMs: freshMs })
  const writer = client(t, server)
  let version = 'old'
  const load = async (): Promise<string> => JSON.stringify({ version })
  t.equal((await app.pageCache.get('q-3', load, '/x')).page.body, '{"version":"old"}')

  version = 'new'
  await writer.incr(CATALOG_VERSION_KEY)
  const bumped = Date.now()
  // Inside the bound the memory tier may still answer the old page...
  const early = await app.pageCache.get('q-3', load, '/x')
  t.comment(`right after the bump: ${early.page.body} (${early.cache}/${String(early.tier)})`)
  // ...past it, never: the version it holds is no longer trusted and is read again.
  await holdFault(bumped, freshMs + 1)
  const late = await app.pageCache.get('q-3', load, '/x')
  t.equal(late.page.body, '{"version":"new"}')
  t.equal(late.cache, 'MISS')
  t.equal(app.pageCache.recall('/x')?.body, '{"version":"new"}')
})

test('background reads pick up a bump long before the bound', async (t) => {
  const server = await startRedisServer(t)
  const app = await buildCache(t, server, { versionIntervalMs: 50, versionFreshMs: 60_000 })
  const writer = client(t, server)
  let version = 1
  const load = async (): Promise<string> => JSON.stringify({ version })
  await app.pageCache.get('q-4', load, '/y')
  version = 2
  await writer.incr(CATALOG_VERSION_KEY)
  const bumped = Date.now()
  const deadline = bumped + 5000
  while (app.pageCache.recall('/y') !== undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(app.pageCache.recall('/y'), undefined, 'the old page is no longer recalled')
  t.comment(`seen ${Date.now() - bumped} ms after the bump`)
  t.equal((await app.pageCache.get('q-4', load, '/y')).page.body, '{"version":2}')
})

test('while Redis cannot confirm the version, memory is not trusted past the bound: BYPASS', async (t) => {
  const server = await startRedisServer(t)
  const freshMs = 300
  const app = await buildCache(t, server, { versionIntervalMs: 50, versionFreshMs: freshMs })
  const load = async (): Promise<string> => '{"p":1}'
  await app.pageCache.get('q-5', load, '/z')
  await server.kill()
  const killed = Date.now()
  await holdFault(killed, freshMs + 1)
  t.equal(app.pageCache.recall('/z'), undefined)
  const got = await app.pageCache.get('q-5', load, '/z')
  t.equal(got.cache, 'BYPASS')
  t.ok(Date.now() - killed < 2000, 'answered without waiting for Redis')
})
