import { test } from 'tap'
import { Redis } from 'ioredis'
import { RedisHealth, RedisSkippedError, RedisTimeoutError } from '../../src/lib/redis-health.js'

function clock () {
  let now = 1_000_000
  return { now: () => now, advance: (ms: number) => { now += ms } }
}

test('RedisHealth pauses every caller after a failure, then admits one probe', async (t) => {
  const c = clock()
  const health = new RedisHealth({ pauseMs: 1000, now: c.now })
  t.ok(health.admit(), 'healthy: admitted')
  await t.rejects(health.run(async () => { throw new Error('timeout') }), /timeout/)
  t.notOk(health.healthy)
  t.notOk(health.admit(), 'paused right after the failure')
  await t.rejects(health.run(async () => 1), RedisSkippedError, 'run rejects at once while paused')
  c.advance(999)
  t.notOk(health.admit(), 'still paused just before the pause ends')
  c.advance(1)
  t.ok(health.admit(), 'one probe once the pause ends')
  t.notOk(health.admit(), 'a second caller keeps skipping while the probe is out')
  health.failed()
  t.notOk(health.admit(), 'a failed probe pauses again')
  c.advance(1000)
  t.equal(await health.run(async () => 'pong'), 'pong', 'a probe that answers')
  t.ok(health.healthy, 'ends the pause for everyone')
  t.ok(health.admit())
})

test('RedisHealth treats a reply error as an answering Redis', async (t) => {
  const health = new RedisHealth({ pauseMs: 1000 })
  const reply = Object.assign(new Error('ERR script'), { name: 'ReplyError' })
  await t.rejects(health.run(async () => { throw reply }), /ERR script/)
  t.ok(health.healthy)
})

test('RedisHealth: a reconnection (succeeded) ends a pause', async (t) => {
  const c = clock()
  const health = new RedisHealth({ pauseMs: 60_000, now: c.now })
  health.failed()
  t.notOk(health.admit())
  health.succeeded()
  t.ok(health.admit())
})

/** Blocks this thread (the event loop included) for `ms`. */
function stall (ms: number): void {
  const end = Date.now() + ms
  while (Date.now() < end) { /* busy */ }
}

test('RedisHealth: a reply that arrived while the event loop stalled past the deadline is no timeout', async (t) => {
  const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 })
  t.teardown(() => redis.disconnect())
  await redis.ping()
  const health = new RedisHealth({ pauseMs: 1000, timeoutMs: 50 })
  for (let i = 0; i < 5; i++) {
    // Redis answers within a millisecond, but this thread is busy for 200 ms: when it wakes,
    // the deadline's timer and the reply waiting in the socket are both due.
    const answered = health.run(async () => await redis.ping())
    stall(200)
    t.equal(await answered, 'PONG', `round ${i}: the answer read after the stall counts`)
    t.ok(health.healthy, 'Redis is not paused')
  }
})

test('RedisHealth: a command with no answer fails at its deadline and pauses every caller', async (t) => {
  const health = new RedisHealth({ pauseMs: 1000, timeoutMs: 50 })
  const started = Date.now()
  await t.rejects(health.run(async () => await new Promise<never>(() => {})), RedisTimeoutError)
  const elapsed = Date.now() - started
  t.ok(elapsed >= 45 && elapsed < 1000, `failed after ${elapsed} ms`)
  t.notOk(health.healthy)
})
