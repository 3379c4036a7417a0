import { test } from 'tap'
import { execFile } from 'node:child_process'
import { createServer } from 'node:net'
import path from 'node:path'
import { Writable } from 'node:stream'
import type mysql from 'mysql2/promise'
import { seedCatalog, type SeedOptions } from '../../seed/seeder.js'
import { runSeed, seedIfEmpty } from '../../seed/run-seed.js'
import { phaseLines, progressLines, PROGRESS_LINE_INTERVAL_MS } from '../../seed/progress.js'
import { parseIndexClauses } from '../../seed/table-swap.js'
import { parseSeedArgs, UsageError } from '../../seed/seed-cli.js'
import { CREATED_SPAN_MS, SEEDED_REFERENCE_TIME } from '../../seed/data.js'
import { CATEGORY_SLUGS } from '../../seed/catalog-words.js'
import { CATALOG_VERSION_KEY } from '../../src/lib/catalog-version.js'
import { prepareDatabase, redisClient, sql, testConfig, TEST_REDIS_PREFIX, flushPrefix } from '../helper.js'

const root = path.resolve(import.meta.dirname, '..', '..')
const tsx = path.join(root, 'node_modules', '.bin', 'tsx')
const config = testConfig()
const db = { url: config.MYSQL_URL }

async function seed (options: SeedOptions) {
  await prepareDatabase()
  return await seedCatalog(db, options)
}

async function rows (conn: mysql.Connection): Promise<mysql.RowDataPacket[]> {
  const [r] = await conn.query<mysql.RowDataPacket[]>(
    'SELECT id, name, category, price, stock, CAST(created_at AS CHAR) AS created_at FROM products ORDER BY id')
  return r
}

async function idRange (conn: mysql.Connection) {
  const [[r]] = await conn.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n, MIN(id) AS first, MAX(id) AS last FROM products')
  return { n: Number(r.n), first: Number(r.first), last: Number(r.last) }
}

async function tableDefinition (conn: mysql.Connection, table = 'products'): Promise<string> {
  const [[r]] = await conn.query<mysql.RowDataPacket[]>(`SHOW CREATE TABLE ${table}`)
  return String(r['Create Table']).replace(/ AUTO_INCREMENT=\d+/, '')
}

async function tables (conn: mysql.Connection): Promise<string[]> {
  const [r] = await conn.query<mysql.RowDataPacket[]>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1')
  return r.map((x) => String(x.t))
}

function sink (): Writable & { text: string } {
  const w = new Writable({ write (chunk: Buffer, _enc, done) { w.text += chunk.toString('utf8'); done() } }) as Writable & { text: string }
  w.text = ''
  return w
}

interface CliResult { code: number, stdout: string, stderr: string }

async function cli (args: string[], env: Record<string, string>): Promise<CliResult> {
  return await new Promise((resolve) => {
    execFile(tsx, ['seed/seed-cli.ts', ...args], {
      cwd: root,
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }
    }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? -1), stdout, stderr })
    })
  })
}

async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

test('seeding inserts exactly the requested count; --reset restarts ids at 1, otherwise rows are appended', async (t) => {
  const conn = await sql(t)
  const first = await seed({ count: 5000, reset: true, seed: 'counts' })
  t.match(first, { inserted: 5000, firstId: 1, lastId: 5000, replaced: true, skipped: false })
  t.same(await idRange(conn), { n: 5000, first: 1, last: 5000 })

  const appended = await seed({ count: 1200, seed: 'more' })
  t.match(appended, { inserted: 1200, firstId: 5001, lastId: 6200, replaced: false, indexesRebuilt: 0 }, 'a non-empty catalog is appended to in place')
  t.same(await idRange(conn), { n: 6200, first: 1, last: 6200 })

  await seed({ count: 3000, reset: true, seed: 'counts' })
  t.same(await idRange(conn), { n: 3000, first: 1, last: 3000 }, 'reset empties the catalog and ids start again at 1')
  await conn.query("INSERT INTO products (name, category, price) VALUES ('Probe 1kg', 'grains', 10)")
  const [[next]] = await conn.query<mysql.RowDataPacket[]>("SELECT id FROM products WHERE name = 'Probe 1kg'")
  t.equal(Number(next.id), 3001, 'AUTO_INCREMENT continues after the seeded ids')

  t.match(await seed({ count: 0, reset: true }), { inserted: 0, replaced: true })
  t.same((await idRange(conn)).n, 0, '--count 0 --reset leaves an empty catalog')
})

test('the same --seed gives identical rows, whichever load method, and another seed different rows', async (t) => {
  const conn = await sql(t)
  const a = await seed({ count: 5000, reset: true, seed: 'alpha', method: 'load-data' })
  t.equal(a.method, 'load-data')
  const first = await rows(conn)
  const b = await seed({ count: 5000, reset: true, seed: 'alpha', method: 'insert', connections: 3, batchRows: 700 })
  t.equal(b.method, 'insert')
  t.same(await rows(conn), first, 'identical names, categories, prices, stock and created_at per id')

  await seed({ count: 5000, reset: true, seed: 'beta' })
  const other = await rows(conn)
  const same = other.filter((r, i) => r.name === first[i].name && r.price === first[i].price && r.created_at === first[i].created_at).length
  t.ok(same < 50, `a different seed gives different rows (${same} of 5000 alike)`)
})

test('seeded values stay within the documented ranges and categories', async (t) => {
  const conn = await sql(t)
  await seed({ count: 5000, reset: true, seed: 'ranges' })
  const [[r]] = await conn.query<mysql.RowDataPacket[]>(`SELECT MIN(price) AS minPrice, MAX(price) AS maxPrice,
      SUM(price * 100 <> FLOOR(price * 100)) AS fractionalPaise, SUM(price <> FLOOR(price)) AS withPaise,
      MIN(stock) AS minStock, MAX(stock) AS maxStock, SUM(stock = 0) AS outOfStock,
      CAST(MIN(created_at) AS CHAR) AS oldest, CAST(MAX(created_at) AS CHAR) AS newest,
      COUNT(DISTINCT category) AS categories, SUM(name NOT REGEXP '^[A-Z][A-Za-z0-9 -]+ [0-9][0-9a-zA-Z x]*$') AS oddNames
    FROM products`)
  t.ok(r.minPrice >= 5 && r.maxPrice <= 5000, `prices within 5.00-5000.00 (${r.minPrice}-${r.maxPrice})`)
  t.equal(Number(r.fractionalPaise), 0, 'prices have at most two decimals')
  t.ok(Number(r.withPaise) > 4500, 'prices carry paise')
  t.ok(r.minStock >= 0 && r.maxStock <= 1000 && Number(r.outOfStock) > 0, 'stock within 0-1000, some out of stock')
  const from = new Date(SEEDED_REFERENCE_TIME - CREATED_SPAN_MS).toISOString().replace('T', ' ').slice(0, 23)
  const until = new Date(SEEDED_REFERENCE_TIME).toISOString().replace('T', ' ').slice(0, 23)
  t.ok(r.oldest >= from && r.newest < until, `created_at within the two years before ${until} (${r.oldest} .. ${r.newest})`)
  t.ok(r.oldest < '2025-01-01' && r.newest > '2026-09-01', 'created_at spread over the whole span')
  t.equal(Number(r.categories), CATEGORY_SLUGS.length, 'every category appears')
  const [cats] = await conn.query<mysql.RowDataPacket[]>('SELECT DISTINCT category FROM products')
  t.same(cats.map((c) => c.category).sort(), [...CATEGORY_SLUGS].sort(), 'only the documented categories')
  t.equal(Number(r.oddNames), 0, 'names are words followed by a pack size, e.g. "Organic Tomatoes 1kg"')

  // Without a seed, created_at ends at the current time.
  const before = Date.now()
  await seed({ count: 2000, reset: true })
  const [[u]] = await conn.query<mysql.RowDataPacket[]>('SELECT MIN(created_at) AS oldest, MAX(created_at) AS newest FROM products')
  t.ok(u.oldest.getTime() >= before - CREATED_SPAN_MS - 1000 && u.newest.getTime() <= Date.now(), 'unseeded rows span the two years up to now')
})

test('after seeding, the table and its indexes are exactly those of the migration, and no work table is left', async (t) => {
  const conn = await sql(t)
  const migrated = await tableDefinition(conn)
  const report = await seed({ count: 5000, reset: true, seed: 'indexes' })
  t.equal(report.indexesRebuilt, 6, 'the six secondary indexes (five B-trees and the FULLTEXT index) were dropped for the load and rebuilt')
  t.equal(await tableDefinition(conn), migrated, 'SHOW CREATE TABLE is unchanged')
  t.same(await tables(conn), ['catalog_version', 'category_counts', 'orders', 'products', 'schema_migrations', 'webhook_events'])

  const kept = await seed({ count: 2000, reset: true, seed: 'indexes', rebuildIndexes: false })
  t.equal(kept.indexesRebuilt, 0, 'loading with the indexes in place is possible too')
  t.equal(await tableDefinition(conn), migrated, 'and gives the same table')
})

test('a stopped load leaves the live catalog as it was, whether it was reloading or appending', async (t) => {
  const conn = await sql(t)
  await seed({ count: 1000, reset: true, seed: 'kept' })
  const before = await rows(conn)
  for (const method of ['load-data', 'insert'] as const) {
    const abort = new AbortController()
    await t.rejects(seed({
      count: 200_000,
      reset: true,
      method,
      batchRows: 1000,
      signal: abort.signal,
      onProgress: (n) => { if (n >= 3000) abort.abort() }
    }), /aborted/, `${method} stops`)
    t.same(await rows(conn), before, `${method}: the catalog is unchanged`)
    t.same(await tables(conn), ['catalog_version', 'category_counts', 'orders', 'products', 'schema_migrations', 'webhook_events'], `${method}: no work table left`)
  }
  for (const method of ['load-data', 'insert'] as const) {
    const abort = new AbortController()
    await t.rejects(seed({
      count: 200_000,
      method,
      batchRows: 1000,
      signal: abort.signal,
      onProgress: (n) => { if (n >= 3000) abort.abort() }
    }), /aborted/, `${method} stops while appending`)
    t.same(await rows(conn), before, `${method}: rows appended before the stop are taken back`)
  }
})

test('auto falls back to multi-row INSERTs when LOAD DATA LOCAL is refused', async (t) => {
  const conn = await sql(t)
  const report = await seed({ count: 3000, reset: true, seed: 'fallback', allowLocalInfile: false })
  t.equal(report.method, 'insert')
  t.match(report.fallbackReason, /local infile|not allowed|disabled/i, 'the refusal is reported')
  t.same(await idRange(conn), { n: 3000, first: 1, last: 3000 }, 'every row is there once')
  await t.rejects(seed({ count: 10, reset: true, method: 'load-data', allowLocalInfile: false }), /local infile|not allowed|disabled/i,
    'an explicit --method load-data does not fall back')
  t.same(await idRange(conn), { n: 3000, first: 1, last: 3000 }, 'and the failed run changed nothing')
})

test('runSeed bumps the catalog version in Redis and prints a summary', async (t) => {
  await prepareDatabase()
  await flushPrefix()
  const redis = redisClient(t)
  await redis.set(CATALOG_VERSION_KEY, '41')
  const out = sink()
  const err = sink()
  const report = await runSeed(config, { count: 2000, reset: true, seed: 'version' }, { out, err })
  t.equal(await redis.get(CATALOG_VERSION_KEY), '42', 'INCR of the prefixed catalog:version key')
  const conn = await sql(t)
  const [[recorded]] = await conn.query<mysql.RowDataPacket[]>('SELECT version FROM catalog_version WHERE id = 1')
  t.equal(Number(recorded.version), 42, 'and records the new version in MySQL, for read replicas')
  // Redis lost its count (flushed, replaced) while MySQL recorded a higher version: the next
  // bump lands above the recorded one, so a lagging replica cannot pass for up to date.
  await conn.query('UPDATE catalog_version SET version = 50 WHERE id = 1')
  await runSeed(config, { count: 10, seed: 'version' }, { out: sink(), err: sink() })
  t.equal(await redis.get(CATALOG_VERSION_KEY), '51', 'a bump below the recorded version is raised above it')
  const [[raised]] = await conn.query<mysql.RowDataPacket[]>('SELECT version FROM catalog_version WHERE id = 1')
  t.equal(Number(raised.version), 51, 'and recorded')
  t.match(out.text, /\nseeded 2,000 products \(ids 1-2000\) in [\d.]+ s: load [\d.]+ s via (load-data|insert), 6 indexes [\d.]+ s, category counts [\d.]+ s, [\d,]+ rows\/s\n$/,
    'the summary is the last line')
  t.equal(err.text, '', 'no progress bar when stderr is not a terminal')
  t.equal(report.inserted, 2000)
})

test('progress lines are paced: none before the first interval, then at most one per interval', async (t) => {
  let now = 0
  const written: string[] = []
  const lines = progressLines(1_000_000, (line) => written.push(line), 5000, () => now)
  now = 1000; lines.update(50_000)
  t.same(written, [], 'nothing within the first interval (a short run prints only its summary)')
  now = 5000; lines.update(250_000)
  now = 6000; lines.update(300_000)
  now = 10_000; lines.update(500_000)
  t.same(written, [
    'seeding: 250,000/1,000,000 rows (25%), 50,000 rows/s, ETA 15 s, 5.0 s elapsed',
    'seeding: 500,000/1,000,000 rows (50%), 50,000 rows/s, ETA 10 s, 10.0 s elapsed'
  ])
  now = 20_000; lines.update(1_000_000); lines.loaded()
  t.equal(written.at(-1), 'seeding: 1,000,000 rows loaded in 20.0 s')
  t.equal(PROGRESS_LINE_INTERVAL_MS, 5000, 'a line every 5 s by default')

  const quick: string[] = []
  const short = progressLines(100, (line) => quick.push(line), 5000, () => 10)
  short.update(100)
  t.same(quick, [], 'a load shorter than one interval prints no paced line')
  short.loaded()
  t.same(quick, ['seeding: 100 rows loaded in 0.0 s'], 'only the line saying it is over')
})

/** A clock whose time and repeating timers move only when told. */
function fakeClock () {
  let time = 0
  const timers = new Set<{ ms: number, next: number, tick: () => void }>()
  return {
    timers,
    now: () => time,
    every (ms: number, tick: () => void) {
      const timer = { ms, next: time + ms, tick }
      timers.add(timer)
      return () => { timers.delete(timer) }
    },
    advance (ms: number) {
      const end = time + ms
      for (;;) {
        const due = [...timers].filter((x) => x.next <= end).sort((a, b) => a.next - b.next)[0]
        if (due === undefined) break
        time = due.next
        due.next += due.ms
        due.tick()
      }
      time = end
    }
  }
}

test('phase lines: a start line at once, then one every interval while the step runs, none after it', async (t) => {
  const clock = fakeClock()
  const written: string[] = []
  const phases = phaseLines((line) => written.push(line), 5000, clock)
  phases.start('building indexes')
  t.same(written, ['seeding: building indexes...'], 'the start is said at once')
  clock.advance(4999)
  t.equal(written.length, 1, 'nothing more within the interval')
  clock.advance(10_001)
  t.same(written.slice(1), ['seeding: building indexes, 5.0 s elapsed', 'seeding: building indexes, 10.0 s elapsed', 'seeding: building indexes, 15.0 s elapsed'])

  written.length = 0
  phases.start('indexing words for search', { total: 1_000_000, unit: 'products' })
  t.equal(clock.timers.size, 1, 'the previous step\'s heartbeat is stopped')
  phases.update(40_000)
  clock.advance(5000)
  phases.update(1_000_000)
  clock.advance(5000)
  t.same(written, [
    'seeding: indexing words for search...',
    'seeding: indexing words for search, 40,000/1,000,000 products (4%), 5.0 s elapsed',
    'seeding: indexing words for search, 1,000,000/1,000,000 products (100%), 10.0 s elapsed'
  ])
  phases.stop()
  t.equal(clock.timers.size, 0, 'stop ends the heartbeat')
  clock.advance(60_000)
  t.equal(written.length, 3, 'no line after stop')
})

test('runSeed writes progress lines to stdout when it is not a terminal, and none when it is', async (t) => {
  await prepareDatabase()
  const out = sink()
  const err = sink()
  await runSeed(config, { count: 3000, reset: true, seed: 'lines' }, { out, err, progressIntervalMs: 0 })
  const written = out.text.trimEnd().split('\n')
  const progress = written.filter((l) => /^seeding: [\d,]+\/3,000 rows \(\d+%\), [\d,]+ rows\/s, ETA (\d+ s|unknown), [\d.]+ s elapsed$/.test(l))
  t.ok(progress.length >= 2, `several progress lines (${progress.length})`)
  const counts = progress.map((l) => Number(/^seeding: ([\d,]+)/.exec(l)?.[1].replace(/,/g, '')))
  t.same(counts, [...counts].sort((a, b) => a - b), 'rows only go up')
  t.equal(counts.at(-1), 3000, 'the last one reports every row')
  t.equal(written[0], 'seeding: loading 3,000 products...', 'the load is announced')
  t.ok(written.some((l) => /^seeding: 3,000 rows loaded in [\d.]+ s$/.test(l)), 'the end of the load is said')
  for (const phase of ['building indexes', 'counting products per category', 'swapping in the new catalog']) {
    t.ok(written.includes(`seeding: ${phase}...`), `${phase} is announced`)
  }
  t.match(written.at(-1), /^seeded 3,000 products/, 'the summary comes last')
  t.equal(err.text, '', 'stderr (not a terminal) gets no bar')

  const terminal = Object.assign(sink(), { isTTY: true })
  await runSeed(config, { count: 500, reset: true, seed: 'tty' }, { out: terminal, err: sink(), progressIntervalMs: 0 })
  const shown = terminal.text.trimEnd().split('\n')
  t.notOk(shown.some((l) => /rows \(\d+%\)/.test(l)), 'a terminal on stdout gets no paced load lines')
  t.ok(shown.includes('seeding: counting products per category...'), 'but it hears of the phases after the load')
  t.match(shown.at(-1), /^seeded 500 products/, 'then the summary')

  // A terminal on stderr: the bar, then the phase lines under it; stdout still gets its lines.
  const bar = Object.assign(sink(), { isTTY: true })
  const piped = sink()
  await runSeed(config, { count: 500, reset: true, seed: 'tty' }, { out: piped, err: bar, progressIntervalMs: 0 })
  t.match(bar.text, /seeding \[/, 'the bar is drawn on stderr')
  for (const phase of ['building indexes', 'counting products per category', 'swapping in the new catalog']) {
    t.ok(bar.text.includes(`seeding: ${phase}...\n`), `${phase} is announced under the bar`)
    t.ok(piped.text.includes(`seeding: ${phase}...\n`), `${phase} is announced on stdout`)
  }
})

test('runSeed warns and succeeds when Redis is down', async (t) => {
  await prepareDatabase()
  const conn = await sql(t)
  const out = sink()
  const err = sink()
  const down = testConfig({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}` })
  const report = await runSeed(down, { count: 500, reset: true, seed: 'no-redis' }, { out, err })
  t.equal(report.inserted, 500)
  t.match(err.text, /^warning: could not bump the catalog version in Redis/)
  t.equal((await idRange(conn)).n, 500)
})

test('seedIfEmpty seeds an empty catalog and leaves a non-empty one alone', async (t) => {
  const conn = await sql(t)
  await seed({ count: 0, reset: true })
  const out = sink()
  await seedIfEmpty(config, 700, { out, err: sink() })
  t.equal((await idRange(conn)).n, 700, 'seeded when empty')
  t.match(out.text, /\nseeded 700 products[^\n]*\n$/)
  const again = await seedCatalog(db, { count: 700, onlyIfEmpty: true })
  t.equal(again.skipped, true)
  t.equal((await idRange(conn)).n, 700, 'not seeded again')
})

test('parseIndexClauses reads every secondary index of a SHOW CREATE TABLE text', async (t) => {
  const text = [
    'CREATE TABLE `p` (',
    '  `id` bigint unsigned NOT NULL AUTO_INCREMENT,',
    '  `key` varchar(10) NOT NULL,',
    '  PRIMARY KEY (`id`),',
    '  UNIQUE KEY `uq_a` (`key`),',
    '  KEY `idx_b` (`price` DESC,`id`) USING BTREE COMMENT \'keyset, sorted\',',
    '  KEY `we``ird` (`key`(5)),',
    '  FULLTEXT KEY `ft` (`name`),',
    '  CONSTRAINT `fk` FOREIGN KEY (`x`) REFERENCES `y` (`id`)',
    ') ENGINE=InnoDB'
  ].join('\n')
  t.same(parseIndexClauses(text), [
    { name: 'uq_a', clause: 'UNIQUE KEY `uq_a` (`key`)' },
    { name: 'idx_b', clause: 'KEY `idx_b` (`price` DESC,`id`) USING BTREE COMMENT \'keyset, sorted\'' },
    { name: 'we`ird', clause: 'KEY `we``ird` (`key`(5))' },
    { name: 'ft', clause: 'FULLTEXT KEY `ft` (`name`)' }
  ])
})

test('parseSeedArgs reads --count, --reset and --seed and rejects bad values', async (t) => {
  t.match(parseSeedArgs([]), { count: 1_000_000, reset: false, method: 'auto' }, 'defaults to 1,000,000 rows')
  t.match(parseSeedArgs(['--count', '5000', '--reset', '--seed', 'S']), { count: 5000, reset: true, seed: 'S' })
  t.match(parseSeedArgs(['--count=1_000_000']), { count: 1_000_000 })
  for (const bad of [['--count', 'abc'], ['--count', '-5'], ['--count', '1.5'], ['--count', '1e6'], ['--count', ''],
    ['--count', '100000001'], ['--count'], ['--seed', ''], ['--method', 'copy'], ['--connections', '0'], ['--bogus'], ['extra']]) {
    t.throws(() => parseSeedArgs(bad), UsageError, `rejects ${bad.join(' ')}`)
  }
  t.throws(() => parseSeedArgs(['--count', 'abc']), { message: '--count must be a whole number from 0 to 100,000,000 (got "abc")' })
})

test('the CLI seeds, with no bar when not on a terminal, and bumps the version', async (t) => {
  await prepareDatabase()
  const conn = await sql(t)
  await conn.query('DELETE FROM catalog_version') // a version recorded by an earlier test would be a floor
  const redis = redisClient(t)
  await redis.set(CATALOG_VERSION_KEY, '7')
  const r = await cli(['--count', '500', '--reset', '--seed', '7'],
    { MYSQL_URL: config.MYSQL_URL, REDIS_URL: config.REDIS_URL, REDIS_KEY_PREFIX: TEST_REDIS_PREFIX })
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /\nseeded 500 products \(ids 1-500\)[^\n]*\n$/)
  t.equal(r.stderr, '', 'nothing on stderr without a terminal')
  t.same(await idRange(conn), { n: 500, first: 1, last: 500 })
  t.equal(await redis.get(CATALOG_VERSION_KEY), '8')
})

test('the CLI exits 1 with one clear line when MySQL is unreachable', async (t) => {
  const port = await closedPort()
  const r = await cli(['--count', '10'], { MYSQL_URL: `mysql://root:s3cret@127.0.0.1:${port}/nowhere` })
  t.equal(r.code, 1)
  t.equal(r.stderr, `seed failed: cannot reach MySQL at 127.0.0.1:${port} (ECONNREFUSED)\n`)
  t.notMatch(r.stderr, /s3cret/, 'the password is not printed')
  t.equal(r.stdout, '')
})

test('the CLI exits 1 with one clear line on a bad --count and changes nothing', async (t) => {
  const conn = await sql(t)
  const before = await idRange(conn)
  const r = await cli(['--count', 'lots', '--reset'], { MYSQL_URL: config.MYSQL_URL })
  t.equal(r.code, 1)
  t.match(r.stderr, /^seed: --count must be a whole number from 0 to 100,000,000 \(got "lots"\); usage: npm run seed -- --count N \[--reset\] \[--seed S\]/)
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line')
  t.same(await idRange(conn), before)
})
