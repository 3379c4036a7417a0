import { test } from 'tap'
import { RedisHealth, RedisSkippedError } from '../../src/lib/redis-health.js'

function clock () {
  let now = 1_000_000
  return { now: () => now, advance: (ms: number) => { now += ms } }
}

test('RedisHealth pauses every caller after a failure, then admits one probe', async (t) => {
  const c = clock()
  const health = new RedisHealth(1000, c.now)
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
  const health = new RedisHealth(1000)
  const reply = Object.assign(new Error('ERR script'), { name: 'ReplyError' })
  await t.rejects(health.run(async () => { throw reply }), /ERR script/)
  t.ok(health.healthy)
})

test('RedisHealth: a reconnection (succeeded) ends a pause', async (t) => {
  const c = clock()
  const health = new RedisHealth(60_000, c.now)
  health.failed()
  t.notOk(health.admit())
  health.succeeded()
  t.ok(health.admit())
})
