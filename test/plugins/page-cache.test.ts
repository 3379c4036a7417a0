import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { test, type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import metrics from '../../plugins/metrics.js'
import redis from '../../plugins/redis.js'
import pageCache, { PAGE_KEY_PREFIX, type PageCacheOptions } from '../../plugins/page-cache.js'
import httpCache from '../../plugins/http-cache.js'
import { CachedPage, etagMatches } from '../../src/lib/cached-page.js'
import { CATALOG_VERSION_KEY } from '../../src/lib/catalog-version.js'
import { flushPrefix, redisClient, REDIS_BASE, TEST_REDIS_PREFIX } from '../helper.js'

const TTL = 30

/**
 * Only the Redis tier: no memory tier, and the catalog version read on every lookup, so each
 * lookup shows what Redis holds at that moment (the memory tier has tests of its own below).
 */
const REDIS_ONLY: Partial<PageCacheOptions> = { memoryBytes: 0, versionFreshMs: 0 }

/** The page cache on a bare Fastify with its dependencies, as app.ts registers them. */
async function buildCache (t: Test, url = REDIS_BASE, prefix = TEST_REDIS_PREFIX, options: Partial<PageCacheOptions> = REDIS_ONLY): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(metrics)
  await app.register(redis, { url, keyPrefix: prefix, startWaitMs: 1000 })
  await app.register(pageCache, { ttlSeconds: TTL, ...options })
  await app.register(httpCache, { ttlSeconds: TTL })
  app.get('/page', async (_request, reply) => {
    const { page, cache } = await app.pageCache.get('fixed-query', async () => '{"data":[],"nextCursor":null}')
    return reply.sendPage(page, cache)
  })
  t.teardown(() => app.close())
  await app.ready()
  return app
}

/** A load that counts its calls and resolves only when released. */
function gatedLoad (body: string) {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  const counter = { calls: 0 }
  const load = async (): Promise<string> => { counter.calls++; await gate; return body }
  return { load, release, counter }
}

async function counterValue (app: FastifyInstance, result: string): Promise<number> {
  const metric = await app.metricsRegistry.getSingleMetric('products_cache_requests_total')?.get()
  return metric?.values.find((v) => v.labels.result === result)?.value ?? 0
}

test('a miss loads and stores the page; the next lookup is a hit with the same bytes and ETag', async (t) => {
  await flushPrefix()
  const app = await buildCache(t)
  let loads = 0
  const load = async (): Promise<string> => { loads++; return '{"n":1}' }
  const first = await app.pageCache.get('query-a', load)
  t.equal(first.cache, 'MISS')
  t.equal(first.page.body, '{"n":1}')
  t.equal(first.page.etag, new CachedPage('{"n":1}').etag)
  t.match(first.page.etag, /^"[A-Za-z0-9_-]{22}"$/, 'strong ETag')
  const second = await app.pageCache.get('query-a', load)
  t.equal(second.cache, 'HIT')
  t.equal(second.page.body, first.page.body)
  t.equal(second.page.etag, first.page.etag)
  t.equal(loads, 1)
  t.equal(await counterValue(app, 'miss'), 1)
  t.equal(await counterValue(app, 'hit'), 1)
  t.equal(await counterValue(app, 'bypass'), 0)

  const client = redisClient(t)
  const keys = await client.keys(`${TEST_REDIS_PREFIX}${PAGE_KEY_PREFIX}0:*`)
  t.equal(keys.length, 1, 'stored under the key prefix, page prefix and catalog version 0')
  const ttl = await client.ttl(keys[0].slice(TEST_REDIS_PREFIX.length))
  t.ok(ttl > 0 && ttl <= TTL, `expires within CACHE_TTL_SECONDS (${ttl})`)
})

test('bumping the catalog version turns every cached page into a miss', async (t) => {
  await flushPrefix()
  const app = await buildCache(t)
  const client = redisClient(t)
  const bodies = ['{"v":"old"}', '{"v":"new"}']
  let loads = 0
  const load = async (): Promise<string> => bodies[loads++]
  t.equal((await app.pageCache.get('query-b', load)).cache, 'MISS')
  t.equal((await app.pageCache.get('query-b', load)).cache, 'HIT')
  await client.incr(CATALOG_VERSION_KEY)
  const after = await app.pageCache.get('query-b', load)
  t.equal(after.cache, 'MISS')
  t.equal(after.page.body, '{"v":"new"}')
  t.not(after.page.etag, new CachedPage('{"v":"old"}').etag, 'new bytes, new ETag')
  t.equal((await app.pageCache.get('query-b', load)).cache, 'HIT')
  t.equal(loads, 2)
})

test('concurrent misses for one key run a single load and all get its page', async (t) => {
  await flushPrefix()
  const app = await buildCache(t)
  const { load, release, counter } = gatedLoad('{"single":"flight"}')
  const pending = Array.from({ length: 25 }, async () => await app.pageCache.get('query-c', load))
  // Every lookup has reached Redis and joined the flight once the load has started.
  const deadline = Date.now() + 5000
  while (counter.calls === 0 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve))
  release()
  const results = await Promise.all(pending)
  t.equal(counter.calls, 1, 'one load for 25 concurrent misses')
  t.same(new Set(results.map((r) => r.cache)), new Set(['MISS']))
  t.equal(new Set(results.map((r) => r.page.etag)).size, 1)
  t.equal((await app.pageCache.get('query-c', load)).cache, 'HIT')
  t.equal(counter.calls, 1)
})

test('a failed load reaches every waiter and is not remembered', async (t) => {
  await flushPrefix()
  const app = await buildCache(t)
  let calls = 0
  let fail = true
  const load = async (): Promise<string> => {
    calls++
    await new Promise((resolve) => setTimeout(resolve, 20))
    if (fail) throw Object.assign(new Error('database down'), { statusCode: 503 })
    return '{"ok":true}'
  }
  const outcomes = await Promise.allSettled(Array.from({ length: 10 }, async () => await app.pageCache.get('query-d', load)))
  t.equal(calls, 1)
  t.ok(outcomes.every((o) => o.status === 'rejected' && (o.reason as Error).message === 'database down'))
  fail = false
  const next = await app.pageCache.get('query-d', load)
  t.equal(next.cache, 'MISS')
  t.equal(calls, 2, 'the next request loads again')
})

test('with Redis unreachable every lookup is a BYPASS answered by the load, at once', async (t) => {
  const app = await buildCache(t, 'redis://127.0.0.1:1')
  let loads = 0
  const load = async (): Promise<string> => { loads++; return '{"from":"mysql"}' }
  const started = Date.now()
  const first = await app.pageCache.get('query-e', load)
  const second = await app.pageCache.get('query-e', load)
  t.equal(first.cache, 'BYPASS')
  t.equal(second.cache, 'BYPASS')
  t.equal(first.page.body, '{"from":"mysql"}')
  t.equal(loads, 2, 'nothing is cached without Redis')
  t.ok(Date.now() - started < 500, `no waiting on Redis (${Date.now() - started} ms)`)
  t.equal(await counterValue(app, 'bypass'), 2)

  // single flight still protects MySQL while Redis is down
  const gated = gatedLoad('{"x":1}')
  const pending = Array.from({ length: 10 }, async () => await app.pageCache.get('query-f', gated.load))
  const deadline = Date.now() + 5000
  while (gated.counter.calls === 0 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve))
  gated.release()
  const results = await Promise.all(pending)
  t.equal(gated.counter.calls, 1)
  t.ok(results.every((r) => r.cache === 'BYPASS'))
})

async function freePort (): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as net.AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A redis-server of this test's own, which it may stop, pause and restart. */
async function startRedis (t: Test, port: number): Promise<ChildProcess> {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--enable-debug-command', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (proc.exitCode === null) proc.kill('SIGKILL') })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000)
    proc.stdout?.on('data', (d: Buffer) => {
      output += d.toString()
      if (output.includes('Ready to accept connections')) { clearTimeout(timer); resolve() }
    })
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited ${String(code)}: ${output}`)) })
  })
  return proc
}

async function stopRedis (proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return
  const exited = once(proc, 'exit')
  proc.kill('SIGKILL')
  await exited
}

test('Redis dying mid-run degrades to BYPASS within the command timeout, and caching resumes when it returns', async (t) => {
  const port = await freePort()
  let server = await startRedis(t, port)
  const app = await buildCache(t, `redis://127.0.0.1:${port}`, 'mid:')
  let loads = 0
  const load = async (): Promise<string> => { loads++; return '{"p":1}' }
  t.equal((await app.pageCache.get('query-g', load)).cache, 'MISS')
  t.equal((await app.pageCache.get('query-g', load)).cache, 'HIT')

  await stopRedis(server)
  const started = Date.now()
  const down = await app.pageCache.get('query-g', load)
  t.equal(down.cache, 'BYPASS')
  t.equal(down.page.body, '{"p":1}')
  t.ok(Date.now() - started < 1000, `answered without waiting for Redis (${Date.now() - started} ms)`)

  // Not events.once: it rejects on the 'error' events of the reconnection attempts made while
  // the server is still starting, which are expected here.
  const ready = new Promise((resolve) => { app.redis.once('ready', resolve) })
  server = await startRedis(t, port)
  await Promise.race([ready, new Promise((_resolve, reject) => setTimeout(() => reject(new Error('no reconnection within 5 s')), 5000))])
  t.equal((await app.pageCache.get('query-g', load)).cache, 'MISS', 'the restarted Redis is empty')
  t.equal((await app.pageCache.get('query-g', load)).cache, 'HIT')
  t.equal(loads, 3)
  // Close while Redis answers: the redis plugin quits its client on close.
  await app.close()
  await stopRedis(server)
})

test('a Redis that stops answering costs at most the command timeout, then BYPASS', async (t) => {
  const port = await freePort()
  const server = await startRedis(t, port)
  const app = await buildCache(t, `redis://127.0.0.1:${port}`, 'slow:')
  const load = async (): Promise<string> => '{"slow":false}'
  t.equal((await app.pageCache.get('query-h', load)).cache, 'MISS')
  // Block the server for 1.5 s from another connection.
  const blocker = net.connect(port, '127.0.0.1')
  await once(blocker, 'connect')
  const woke = once(blocker, 'data')
  blocker.write('DEBUG SLEEP 1.5\r\n')
  await new Promise((resolve) => setTimeout(resolve, 50))
  const started = Date.now()
  const result = await app.pageCache.get('query-h', load)
  const elapsed = Date.now() - started
  t.equal(result.cache, 'BYPASS')
  t.ok(elapsed >= 250 && elapsed < 1000, `bounded by the 300 ms command timeout (${elapsed} ms)`)
  // Close once Redis answers again: the redis plugin quits its client on close.
  await Promise.race([woke, new Promise((_resolve, reject) => setTimeout(() => reject(new Error('DEBUG SLEEP never ended')), 5000))])
  blocker.destroy()
  await app.close()
  await stopRedis(server)
})

test('sendPage sets ETag and Cache-Control, and answers a matching If-None-Match with 304 and no body', async (t) => {
  await flushPrefix()
  const app = await buildCache(t)
  const res = await app.inject('/page')
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], `public, max-age=${TTL}, stale-while-revalidate=${TTL}`)
  t.match(res.headers['content-type'], /^application\/json/)
  const etag = String(res.headers.etag)
  t.equal(etag, new CachedPage(res.body).etag)
  for (const header of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
    const again = await app.inject({ url: '/page', headers: { 'if-none-match': header } })
    t.equal(again.statusCode, 304, header)
    t.equal(again.body, '')
    t.equal(again.headers.etag, etag)
    t.equal(again.headers['cache-control'], `public, max-age=${TTL}, stale-while-revalidate=${TTL}`)
  }
  const other = await app.inject({ url: '/page', headers: { 'if-none-match': '"something-else"' } })
  t.equal(other.statusCode, 200)
  t.equal(other.body, res.body)
})

test('etagMatches follows the weak comparison of If-None-Match', async (t) => {
  t.equal(etagMatches(undefined, '"a"'), false)
  t.equal(etagMatches('', '"a"'), false)
  t.equal(etagMatches('"a"', '"a"'), true)
  t.equal(etagMatches('W/"a"', '"a"'), true)
  t.equal(etagMatches(' "b" , "a" ', '"a"'), true)
  t.equal(etagMatches('"b"', '"a"'), false)
  t.equal(etagMatches('a', '"a"'), false, 'quotes are part of the tag')
  t.equal(etagMatches('*', '"a"'), true)
})
