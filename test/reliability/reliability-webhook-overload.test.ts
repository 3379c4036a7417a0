// Overload: 1,000 signed webhooks at once over three real service processes on one MySQL, with
// the default settings. Every delivery is answered; an event answered 2xx is committed exactly
// once; an event answered 503 is not in the database (nothing committed is ever answered 5xx),
// and its redelivery is its first processing (duplicate: false, exactly once). A second burst
// (300) arrives while the events table is locked, so that some deliveries pass their deadline
// waiting for a connection or in the middle of their statements.
import { test, type Test } from 'tap'
import type { RowDataPacket } from 'mysql2'
import { MYSQL_BASE, REDIS_BASE, TEST_DB, TEST_REDIS_PREFIX, flushPrefix, sql } from '../helper.js'
import {
  WEBHOOK_SECRET, sendWebhook, spawnService, tally, waitFor, webhookTables, type OrderEvent, type Outcome, type ServiceProcess
} from './support.js'

const BURST = 1000
/** The locked burst is smaller: the whole file must end within the suite's 120 s per file. */
const LOCKED_BURST = 300

function events (tag: string, count: number): OrderEvent[] {
  const base = Date.UTC(2025, 5, 1)
  return Array.from({ length: count }, (_, n) => ({
    event_id: `evt-${tag}-${n}`,
    order_id: `ord-${tag}-${n % 50}`,
    status: `status-${n}`,
    occurred_at: new Date(base + n * 1000).toISOString()
  }))
}

const duplicateFlag = (o: Outcome): boolean | undefined =>
  o.status === 200 ? (JSON.parse(o.body) as { duplicate: boolean }).duplicate : undefined

test('1,000 concurrent signed webhooks over three instances: nothing committed is answered 5xx', async (t) => {
  const conn = await sql(t)
  await conn.query('DELETE FROM webhook_events')
  await conn.query('DELETE FROM orders')
  await flushPrefix()
  const env = {
    MYSQL_URL: `${MYSQL_BASE}/${TEST_DB}`,
    REDIS_URL: REDIS_BASE,
    REDIS_KEY_PREFIX: TEST_REDIS_PREFIX,
    WEBHOOK_SECRET,
    RATE_LIMIT_MAX: '100000000',
    LOG_LEVEL: 'warn'
  }
  const services: ServiceProcess[] = await Promise.all([1, 2, 3].map(async () => await spawnService(t, env, { readyTimeoutMs: 80_000 })))

  /** Sends every event at once, spread over the three instances. */
  async function burst (list: OrderEvent[]): Promise<Outcome[]> {
    return await Promise.all(list.map(async (event, n) =>
      await sendWebhook(services[n % 3].url, event, { timeoutMs: 60_000 })))
  }

  /** Waits until no transaction of this database is open (abandoned ones are rolled back). */
  async function settled (): Promise<void> {
    await waitFor(async () => {
      const [rows] = await conn.query<RowDataPacket[]>(
        `SELECT COUNT(*) AS n FROM information_schema.innodb_trx trx
           JOIN information_schema.processlist p ON p.id = trx.trx_mysql_thread_id
          WHERE p.db = ? AND p.id <> CONNECTION_ID()`, [TEST_DB])
      return Number(rows[0].n) === 0
    }, { timeoutMs: 30_000, intervalMs: 50, what: 'abandoned transactions to be rolled back' })
  }

  /** The invariants of one burst; returns the events answered 503. */
  async function check (t: Test, list: OrderEvent[], outcomes: Outcome[]): Promise<OrderEvent[]> {
    const counts = tally(outcomes)
    t.comment(`answers: ${JSON.stringify(counts)}`)
    t.same(Object.keys(counts).filter((k) => k !== '200' && k !== '503'), [], 'every delivery answered 200 or 503')
    t.ok(outcomes.filter((o) => o.status === 503).every((o) => /^application\/problem\+json/.test(o.headers.get('content-type') ?? '') &&
      Number(o.headers.get('retry-after')) >= 1), 'every 503 is a problem with retry-after')
    await settled()
    const tables = await webhookTables(conn)
    t.same(tables.problems, [], 'nothing half applied, no event stored twice')
    const acknowledged = list.filter((_e, n) => outcomes[n].status === 200)
    const refused = list.filter((_e, n) => outcomes[n].status === 503)
    t.ok(acknowledged.every((e) => tables.events.get(e.event_id) === 1 && duplicateFlag(outcomes[list.indexOf(e)]) === false),
      `each of the ${acknowledged.length} acknowledged events is stored once and was answered duplicate: false`)
    const committedButRefused = refused.filter((e) => tables.events.has(e.event_id)).map((e) => e.event_id)
    t.same(committedButRefused, [], `none of the ${refused.length} events answered 503 is in the database`)
    return refused
  }

  /** Redelivers every refused event once, to another instance: each is now processed, once. */
  async function redeliver (t: Test, refused: OrderEvent[]): Promise<void> {
    if (refused.length === 0) return
    const again = await Promise.all(refused.map(async (event, n) =>
      await sendWebhook(services[(n + 1) % 3].url, event, { timeoutMs: 60_000 })))
    t.same(tally(again), { 200: refused.length }, 'every redelivery acknowledged')
    t.ok(again.every((o) => duplicateFlag(o) === false), 'each redelivery of a refused event is its first processing (duplicate: false)')
    const third = await Promise.all(refused.slice(0, 20).map(async (event) => await sendWebhook(services[0].url, event)))
    t.ok(third.every((o) => duplicateFlag(o) === true), 'and a further delivery is a duplicate')
    const tables = await webhookTables(conn)
    t.ok(refused.every((e) => tables.events.get(e.event_id) === 1), 'each stored once')
    t.same(tables.problems, [])
  }

  await t.test('a burst at default settings', async (t) => {
    const list = events('a', BURST)
    const started = Date.now()
    const outcomes = await burst(list)
    t.comment(`${BURST} deliveries answered in ${Date.now() - started} ms`)
    const refused = await check(t, list, outcomes)
    await redeliver(t, refused)
  })

  await t.test('a burst while the events table is locked for 2.5 s', async (t) => {
    const list = events('b', LOCKED_BURST)
    const locker = await sql(t)
    await locker.query('LOCK TABLES webhook_events WRITE')
    const sending = burst(list)
    // Held for a chosen duration while the burst waits on it (the experiment, not a wait for an event).
    await new Promise((resolve) => setTimeout(resolve, 2500))
    await locker.query('UNLOCK TABLES')
    const outcomes = await sending
    const refused = await check(t, list, outcomes)
    t.ok(refused.length > 0, `deliveries past their deadline were refused (${refused.length})`)
    await redeliver(t, refused)
  })

  for (const s of services) t.equal(s.output().includes('outcome of a COMMIT unknown'), false, `no COMMIT in doubt on port ${s.port}`)
})
