import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import type { Socket } from 'node:net'
import mysql from 'mysql2/promise'
import { Redis } from 'ioredis'
import cliProgress from 'cli-progress'
import type { Config } from '../src/config.js'
import { CATALOG_VERSION_KEY } from '../src/lib/catalog-version.js'
import { databaseName, poolOptions, type MysqlSettings } from '../src/lib/mysql-options.js'
import { redisClientOptions } from '../plugins/redis.js'
import { migrate } from './migrate.js'
import { ProductGenerator, SEEDED_REFERENCE_TIME, formatDateTime, formatPrice } from './data.js'
import { SEARCH_TABLES, lastIndexedId, refreshSearchCounts, writeProductWords, type SearchTables } from './search-index.js'

/**
 * How rows reach MySQL:
 * - `load-data`: one LOAD DATA LOCAL INFILE whose "file" is a stream generated on the fly;
 * - `insert`: multi-row INSERTs over several connections (works wherever INSERT does);
 * - `auto`: `load-data` when the server allows LOCAL INFILE, else `insert`.
 */
export type SeedMethod = 'auto' | 'load-data' | 'insert'

export interface SeedOptions {
  count: number
  /** Empty the catalog first; ids restart at 1. */
  reset?: boolean
  /** Makes every generated value reproducible; without it each run differs. */
  seed?: string
  method?: SeedMethod
  /** Connections for the `insert` method. */
  connections?: number
  /** Rows per INSERT statement. */
  batchRows?: number
  /**
   * Whether this client offers LOCAL INFILE to the server (default true). False makes `auto`
   * meet the refusal a locked-down server gives, and fall back to INSERTs.
   */
  allowLocalInfile?: boolean
  /**
   * When loading into an empty copy, drop its secondary indexes and rebuild them in one ALTER
   * afterwards (default true); false loads with the indexes in place.
   */
  rebuildIndexes?: boolean
  /** Seed only when the catalog is empty (checked under the seed lock). */
  onlyIfEmpty?: boolean
  /** Called as rows are sent, with the running total. */
  onProgress?: (rows: number) => void
  /** Called when a phase starts. */
  onPhase?: (phase: SeedPhase) => void
  signal?: AbortSignal
}

export type SeedPhase = 'load' | 'index' | 'search' | 'swap'

export interface SeedReport {
  /** Rows inserted (0 when `onlyIfEmpty` found products). */
  inserted: number
  firstId: number
  lastId: number
  method: Exclude<SeedMethod, 'auto'>
  /** Why `auto` settled for `insert`, when it did. */
  fallbackReason?: string
  /** True when the rows replaced the catalog (reset, or it was empty); false when appended. */
  replaced: boolean
  /** Secondary indexes built after the load (0 when rows went into the indexed table). */
  indexesRebuilt: number
  loadMs: number
  indexMs: number
  /** Time spent writing the search structures (word table, vocabulary, category counts). */
  searchMs: number
  totalMs: number
  skipped: boolean
}

export type DbSettings = Pick<MysqlSettings, 'url'> & Partial<MysqlSettings>

const TABLE = 'products'
const SHADOW = 'products_seeding'
const RETIRED = 'products_seed_old'
const COLUMNS = '(id, name, category, price, stock, created_at)'
/** Copies of the search tables filled beside the live ones when the catalog is replaced. */
const SEARCH_SHADOW: SearchTables = { words: 'product_words_seeding', vocabulary: 'search_words_seeding', counts: 'category_counts_seeding' }
const SEARCH_RETIRED: SearchTables = { words: 'product_words_seed_old', vocabulary: 'search_words_seed_old', counts: 'category_counts_seed_old' }
const searchTableList = (t: SearchTables): string[] => [t.words, t.vocabulary, t.counts]

// Session settings for the bulk load, valid on MySQL 8 and MariaDB 10.6+: no FK or unique
// re-checks (the rows are ours and ids are explicit), and a bounded wait for table locks so a
// long transaction elsewhere makes the seeder fail instead of hanging. sql_log_bin stays on:
// a read replica (MYSQL_READ_URL) must receive the catalog too.
const SESSION_SETTINGS = 'SET SESSION unique_checks = 0, foreign_key_checks = 0, lock_wait_timeout = 60'

/**
 * Errors meaning "LOCAL INFILE is disabled" (on the server or for this client): use INSERTs.
 * 1148 ER_NOT_ALLOWED_COMMAND (MySQL 5.7, older MariaDB), 3948 ER_CLIENT_LOCAL_FILES_DISABLED
 * (MySQL 8), 4166 ER_LOAD_INFILE_CAPABILITY_DISABLED (MariaDB 10.6+).
 */
const LOCAL_INFILE_DISABLED = new Set([1148, 3948, 4166])

/**
 * Inserts `count` generated products. Migrates first. When the catalog is empty (or `reset`)
 * rows go into a fresh copy of the table (`CREATE TABLE ... LIKE`) whose secondary indexes are
 * dropped for the load and rebuilt in one ALTER, and the copy then replaces `products` in one
 * atomic RENAME: the live table keeps serving, and never lacks an index, until the swap.
 * Otherwise rows are appended to the live table with its indexes in place.
 */
export async function seedCatalog (db: DbSettings, options: SeedOptions): Promise<SeedReport> {
  const started = performance.now()
  const settings: MysqlSettings = { poolSize: 1, timeoutMs: 10_000, ...db }
  await migrate(settings)
  const control = await connect(settings, options.allowLocalInfile === false ? ['-LOCAL_FILES'] : [])
  let shadowCreated = false
  const lockName = `farmlokal_seed:${databaseName(settings.url)}`.slice(0, 64)
  try {
    const [[lock]] = await control.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, 30) AS ok', [lockName])
    if (lock.ok !== 1) throw new Error('another seed run holds the seed lock of this database')
    // Leftovers of an interrupted run: a half-filled copy, or a retired table not yet dropped.
    await control.query(`DROP TABLE IF EXISTS ${[SHADOW, RETIRED, ...searchTableList(SEARCH_SHADOW), ...searchTableList(SEARCH_RETIRED)].join(', ')}`)

    const [[existing]] = await control.query<mysql.RowDataPacket[]>(`SELECT MAX(id) AS maxId FROM ${TABLE}`)
    const empty = existing.maxId === null
    if (options.onlyIfEmpty === true && !empty) {
      return { inserted: 0, firstId: 0, lastId: 0, method: 'insert', replaced: false, indexesRebuilt: 0, loadMs: 0, indexMs: 0, searchMs: 0, totalMs: performance.now() - started, skipped: true }
    }
    const rebuild = options.reset === true || empty
    const firstId = rebuild ? 1 : Number(existing.maxId) + 1
    const target = rebuild ? SHADOW : TABLE

    let indexes: IndexClause[] = []
    if (rebuild) {
      await control.query(`CREATE TABLE ${SHADOW} LIKE ${TABLE}`)
      shadowCreated = true
      indexes = options.rebuildIndexes === false ? [] : await secondaryIndexes(control, SHADOW)
      if (indexes.length > 0) {
        await control.query(`ALTER TABLE ${SHADOW} ${indexes.map((i) => `DROP INDEX ${mysql.escapeId(i.name)}`).join(', ')}`)
      }
    }

    const seed = options.seed ?? randomBytes(8).toString('hex')
    const until = options.seed !== undefined ? SEEDED_REFERENCE_TIME : Date.now()
    const rows: RowSource = { generator: new ProductGenerator(seed, until), firstId, count: options.count }

    options.onPhase?.('load')
    const loadStart = performance.now()
    let loaded: Awaited<ReturnType<typeof load>>
    try {
      loaded = await load(settings, control, target, rows, options)
      throwIfAborted(options.signal)
    } catch (err) {
      // Appending goes straight into the live table, batch by batch: take back what got in.
      // (A copy is simply dropped below.) Only this run writes these explicit ids.
      if (!rebuild) {
        await control.query(`DELETE FROM ${TABLE} WHERE id BETWEEN ? AND ?`, [firstId, firstId + options.count - 1]).catch(() => {})
      }
      throw err
    }
    const { method, fallbackReason } = loaded
    const loadMs = performance.now() - loadStart

    options.onPhase?.('index')
    const indexStart = performance.now()
    if (indexes.length > 0) {
      await control.query(`ALTER TABLE ${SHADOW} ${indexes.map((i) => `ADD ${i.clause}`).join(', ')}`)
    }
    const indexMs = performance.now() - indexStart

    // The search structures follow the products they describe: rebuilt beside a replacing copy
    // (and swapped in with it), or extended with the appended products.
    throwIfAborted(options.signal)
    options.onPhase?.('search')
    const searchStart = performance.now()
    if (rebuild) {
      await buildSearchCopy(settings, control, SHADOW, method)
    } else {
      try {
        await indexAppended(settings, control, method)
      } catch (err) {
        await control.query(`DELETE FROM ${TABLE} WHERE id BETWEEN ? AND ?`, [firstId, firstId + options.count - 1]).catch(() => {})
        await control.query(`DELETE FROM ${SEARCH_TABLES.words} WHERE product_id BETWEEN ? AND ?`, [firstId, firstId + options.count - 1]).catch(() => {})
        throw err
      }
    }
    const searchMs = performance.now() - searchStart

    throwIfAborted(options.signal)
    if (rebuild) {
      options.onPhase?.('swap')
      await assertSameDefinition(control, SHADOW, TABLE)
      for (const [copy, live] of pairs(SEARCH_SHADOW, SEARCH_TABLES)) await assertSameDefinition(control, copy, live)
      // One RENAME: readers see the old catalog with its search tables, or the new with its own.
      const renames = [[TABLE, RETIRED], [SHADOW, TABLE]]
      for (const [copy, live] of pairs(SEARCH_SHADOW, SEARCH_TABLES)) renames.push([live, retiredOf(live)], [copy, live])
      await control.query(`RENAME TABLE ${renames.map(([a, b]) => `${a} TO ${b}`).join(', ')}`)
      shadowCreated = false
      await control.query(`DROP TABLE ${[RETIRED, ...searchTableList(SEARCH_RETIRED)].join(', ')}`)
    }

    return {
      inserted: options.count,
      firstId,
      lastId: firstId + options.count - 1,
      method,
      ...(fallbackReason !== undefined ? { fallbackReason } : {}),
      replaced: rebuild,
      indexesRebuilt: indexes.length,
      loadMs,
      indexMs,
      searchMs,
      totalMs: performance.now() - started,
      skipped: false
    }
  } finally {
    if (shadowCreated) await control.query(`DROP TABLE IF EXISTS ${[SHADOW, ...searchTableList(SEARCH_SHADOW)].join(', ')}`).catch(() => {})
    await control.query('SELECT RELEASE_LOCK(?)', [lockName]).catch(() => {})
    await control.end().catch(() => {})
  }
}

function pairs (copies: SearchTables, live: SearchTables): Array<[string, string]> {
  return [[copies.words, live.words], [copies.vocabulary, live.vocabulary], [copies.counts, live.counts]]
}

function retiredOf (live: string): string {
  return `${live}_seed_old`
}

/**
 * Fills fresh copies of the search tables (SEARCH_SHADOW) from the products table `from`: the
 * word table loaded without its secondary indexes, which are then built in one ALTER, then the
 * vocabulary and category counts.
 */
async function buildSearchCopy (settings: MysqlSettings, control: mysql.Connection, from: string, method: Exclude<SeedMethod, 'auto'>): Promise<void> {
  for (const [copy, live] of pairs(SEARCH_SHADOW, SEARCH_TABLES)) await control.query(`CREATE TABLE ${copy} LIKE ${live}`)
  const indexes = await secondaryIndexes(control, SEARCH_SHADOW.words)
  if (indexes.length > 0) {
    await control.query(`ALTER TABLE ${SEARCH_SHADOW.words} ${indexes.map((i) => `DROP INDEX ${mysql.escapeId(i.name)}`).join(', ')}`)
  }
  const reader = await connect(settings)
  try {
    await writeProductWords(reader, control, { from, into: SEARCH_SHADOW.words, method })
  } finally {
    await reader.end().catch(() => {})
  }
  if (indexes.length > 0) {
    await control.query(`ALTER TABLE ${SEARCH_SHADOW.words} ${indexes.map((i) => `ADD ${i.clause}`).join(', ')}`)
  }
  await refreshSearchCounts(control, from, SEARCH_SHADOW)
}

/** Adds the words of the products not yet in the word table, then refreshes the counts. */
async function indexAppended (settings: MysqlSettings, control: mysql.Connection, method: Exclude<SeedMethod, 'auto'>): Promise<void> {
  const reader = await connect(settings)
  try {
    const afterId = await lastIndexedId(control, SEARCH_TABLES.words)
    await writeProductWords(reader, control, { from: TABLE, into: SEARCH_TABLES.words, afterId, method })
  } finally {
    await reader.end().catch(() => {})
  }
  await refreshSearchCounts(control, TABLE, SEARCH_TABLES)
}

/**
 * Rebuilds the search tables from the live products table, for a catalog written other than by
 * the seeder (the copies are filled beside the live tables and swapped in with one RENAME).
 */
export async function reindexSearch (db: DbSettings, method: Exclude<SeedMethod, 'auto'> = 'insert'): Promise<void> {
  const settings: MysqlSettings = { poolSize: 1, timeoutMs: 10_000, ...db }
  const control = await connect(settings)
  const lockName = `farmlokal_seed:${databaseName(settings.url)}`.slice(0, 64)
  try {
    const [[lock]] = await control.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, 30) AS ok', [lockName])
    if (lock.ok !== 1) throw new Error('another seed run holds the seed lock of this database')
    await control.query(`DROP TABLE IF EXISTS ${[...searchTableList(SEARCH_SHADOW), ...searchTableList(SEARCH_RETIRED)].join(', ')}`)
    try {
      await buildSearchCopy(settings, control, TABLE, method)
      const renames: string[] = []
      for (const [copy, live] of pairs(SEARCH_SHADOW, SEARCH_TABLES)) renames.push(`${live} TO ${retiredOf(live)}`, `${copy} TO ${live}`)
      await control.query(`RENAME TABLE ${renames.join(', ')}`)
      await control.query(`DROP TABLE ${searchTableList(SEARCH_RETIRED).join(', ')}`)
    } finally {
      await control.query(`DROP TABLE IF EXISTS ${searchTableList(SEARCH_SHADOW).join(', ')}`).catch(() => {})
    }
  } finally {
    await control.query('SELECT RELEASE_LOCK(?)', [lockName]).catch(() => {})
    await control.end().catch(() => {})
  }
}

function throwIfAborted (signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new Error('seeding aborted')
}

async function connect (settings: MysqlSettings, flags: string[] = []): Promise<mysql.Connection> {
  const conn = await mysql.createConnection({ ...poolOptions(settings), flags })
  await conn.query(SESSION_SETTINGS)
  return conn
}

export interface IndexClause {
  name: string
  /** The index exactly as SHOW CREATE TABLE prints it, e.g. KEY `idx_price_id` (`price`,`id`). */
  clause: string
}

/**
 * The secondary indexes of a table, read from the live definition (SHOW CREATE TABLE), checked
 * against SHOW INDEX so that an index the parser missed stops the seeder rather than vanishing.
 */
export async function secondaryIndexes (conn: mysql.Connection, table: string): Promise<IndexClause[]> {
  const [[created]] = await conn.query<mysql.RowDataPacket[]>(`SHOW CREATE TABLE ${mysql.escapeId(table)}`)
  const clauses = parseIndexClauses(String(created['Create Table']))
  const [shown] = await conn.query<mysql.RowDataPacket[]>(`SHOW INDEX FROM ${mysql.escapeId(table)}`)
  const names = [...new Set(shown.map((r) => String(r.Key_name)).filter((n) => n !== 'PRIMARY'))].sort()
  const parsed = clauses.map((c) => c.name).sort()
  if (names.join('\n') !== parsed.join('\n')) {
    throw new Error(`could not read the index definitions of ${table} (SHOW INDEX lists ${names.join(', ')}; parsed ${parsed.join(', ')})`)
  }
  return clauses
}

/** The non-primary KEY lines of a SHOW CREATE TABLE text. */
export function parseIndexClauses (createTable: string): IndexClause[] {
  const out: IndexClause[] = []
  for (const line of createTable.split('\n')) {
    const m = /^\s*((?:UNIQUE |FULLTEXT |SPATIAL )?KEY `((?:[^`]|``)+)` .*?),?$/.exec(line)
    if (m !== null) out.push({ name: m[2].replace(/``/g, '`'), clause: m[1] })
  }
  return out
}

/** Refuses to swap in a copy whose definition differs from the live table's in anything but its name. */
async function assertSameDefinition (conn: mysql.Connection, copy: string, live: string): Promise<void> {
  const normalise = async (table: string): Promise<string> => {
    const [[row]] = await conn.query<mysql.RowDataPacket[]>(`SHOW CREATE TABLE ${mysql.escapeId(table)}`)
    return String(row['Create Table'])
      .replace(/^CREATE TABLE `[^`]+`/, 'CREATE TABLE')
      .replace(/ AUTO_INCREMENT=\d+/, '')
  }
  const [a, b] = await Promise.all([normalise(copy), normalise(live)])
  if (a !== b) throw new Error(`the reloaded ${live} table differs from the live definition; left ${live} unchanged`)
}

interface RowSource {
  generator: ProductGenerator
  firstId: number
  count: number
}

async function load (settings: MysqlSettings, control: mysql.Connection, table: string, rows: RowSource,
  options: SeedOptions): Promise<{ method: Exclude<SeedMethod, 'auto'>, fallbackReason?: string }> {
  const method = options.method ?? 'auto'
  if (rows.count === 0) return { method: method === 'load-data' ? 'load-data' : 'insert' }
  if (method === 'insert') {
    await insertRows(settings, table, rows, options)
    return { method: 'insert' }
  }
  if (method === 'auto') {
    const [[row]] = await control.query<mysql.RowDataPacket[]>('SELECT @@GLOBAL.local_infile AS on_')
    if (Number(row.on_) !== 1) {
      await insertRows(settings, table, rows, options)
      return { method: 'insert', fallbackReason: 'the server has local_infile=OFF' }
    }
  }
  try {
    await loadDataRows(control, table, rows, options)
    return { method: 'load-data' }
  } catch (err) {
    const errno = (err as { errno?: number }).errno
    if (method !== 'auto' || errno === undefined || !LOCAL_INFILE_DISABLED.has(errno)) throw err
    // The statement failed as a whole, so nothing was loaded: start over with INSERTs.
    const fresh: RowSource = { ...rows, generator: rows.generator.restart() }
    await insertRows(settings, table, fresh, options)
    return { method: 'insert', fallbackReason: (err as Error).message }
  }
}

/** Rows of a LOAD DATA stream (and of one INSERT batch) are built this many at a time. */
const CHUNK_ROWS = 1000

/**
 * One LOAD DATA LOCAL INFILE statement fed by a stream that generates tab-separated rows as the
 * server reads them. Generation waits while the socket's write buffer is full, so memory stays
 * bounded whatever the count. LOCAL turns bad rows into warnings: any warning fails the run.
 */
async function loadDataRows (conn: mysql.Connection, table: string, rows: RowSource, options: SeedOptions): Promise<void> {
  const socket = (conn as unknown as { connection: { stream: Socket } }).connection.stream
  const { generator, firstId, count } = rows
  let sent = 0
  const stream = new Readable({
    highWaterMark: 256 * 1024,
    read () { produce() }
  })
  const produce = (): void => {
    if (stream.destroyed) return
    if (options.signal?.aborted === true) { stream.destroy(new Error('seeding aborted')); return }
    if (sent >= count) { stream.push(null); return }
    if (socket.writableNeedDrain) { socket.once('drain', produce); return }
    const n = Math.min(CHUNK_ROWS, count - sent)
    let text = ''
    for (let i = 0; i < n; i++) {
      const p = generator.next()
      text += `${firstId + sent + i}\t${p.name}\t${p.category}\t${formatPrice(p.pricePaise)}\t${p.stock}\t${formatDateTime(p.createdAtMs)}\n`
    }
    sent += n
    options.onProgress?.(sent)
    stream.push(Buffer.from(text, 'utf8'))
  }
  const [result] = await conn.query<mysql.ResultSetHeader>({
    sql: `LOAD DATA LOCAL INFILE 'farmlokal-products.tsv' INTO TABLE ${mysql.escapeId(table)} CHARACTER SET utf8mb4
      FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ${COLUMNS}`,
    infileStreamFactory: () => stream
  })
  if (result.warningStatus > 0 || result.affectedRows !== count) {
    const [warnings] = await conn.query<mysql.RowDataPacket[]>('SHOW WARNINGS LIMIT 3')
    throw new Error(`LOAD DATA stored ${result.affectedRows} of ${count} rows: ${warnings.map((w) => w.Message).join('; ')}`)
  }
}

/**
 * Multi-row INSERTs over several connections. Batches are generated in id order by whichever
 * connection is free, so the rows are the same whatever the interleaving; explicit ids keep the
 * id of each row independent of commit order.
 */
async function insertRows (settings: MysqlSettings, table: string, rows: RowSource, options: SeedOptions): Promise<void> {
  const { generator, firstId, count } = rows
  const batchRows = options.batchRows ?? 2000
  const workers = Math.max(1, Math.min(options.connections ?? 2, Math.ceil(count / batchRows)))
  let next = 0
  let done = 0
  const into = `INSERT INTO ${mysql.escapeId(table)} ${COLUMNS} VALUES `
  const worker = async (): Promise<void> => {
    const conn = await connect(settings)
    try {
      while (next < count) {
        throwIfAborted(options.signal)
        const start = next
        const n = Math.min(batchRows, count - start)
        next += n
        let sql = into
        for (let i = 0; i < n; i++) {
          const p = generator.next()
          sql += `${i === 0 ? '' : ','}(${firstId + start + i},'${p.name}','${p.category}',${formatPrice(p.pricePaise)},${p.stock},'${formatDateTime(p.createdAtMs)}')`
        }
        await conn.query(sql)
        done += n
        options.onProgress?.(done)
      }
    } finally {
      await conn.end().catch(() => {})
    }
  }
  const results = await Promise.allSettled(Array.from({ length: workers }, worker))
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed !== undefined) throw failed.reason
}

/**
 * INCRs the catalog version so every cached product page is dropped. Uses the service's Redis
 * client options (same key prefix, fails fast); throws when Redis does not answer.
 */
export async function bumpCatalogVersion (url: string, keyPrefix: string): Promise<number> {
  const client = new Redis(url, { ...redisClientOptions({ url, keyPrefix, commandTimeoutMs: 2000 }), retryStrategy: () => null })
  client.on('error', () => {}) // reported through the rejected command instead
  try {
    await client.connect()
    return await client.incr(CATALOG_VERSION_KEY)
  } finally {
    client.disconnect()
  }
}

export interface RunSeedOutput {
  /** Progress bar (on a terminal) and warnings. */
  err: NodeJS.WritableStream & { isTTY?: boolean }
  /** Progress lines (when not a terminal) and the summary line. */
  out: NodeJS.WritableStream & { isTTY?: boolean }
  /** Least time between two progress lines on `out`; default PROGRESS_LINE_INTERVAL_MS. */
  progressIntervalMs?: number
}

/** How often a progress line is written when the output is a file or a pipe. */
export const PROGRESS_LINE_INTERVAL_MS = 5000

/**
 * Progress for output that is not a terminal (a file, a pipe, a container log): a plain line
 * when at least `intervalMs` has passed since the previous one, where a terminal gets the bar.
 * The first line comes after one interval, so a short run prints only its summary.
 * `now` is injectable so the pacing can be tested without waiting.
 */
export function progressLines (total: number, write: (line: string) => void, intervalMs = PROGRESS_LINE_INTERVAL_MS,
  now: () => number = () => performance.now()): { update: (rows: number) => void, phase: (phase: SeedPhase) => void } {
  const started = now()
  let last = started
  return {
    update (rows) {
      const t = now()
      if (t - last < intervalMs) return
      last = t
      write(progressLine(rows, total, (t - started) / 1000))
    },
    phase (phase) {
      // Only a load long enough to have been reported says so; index building can take a while.
      const t = now()
      if (phase !== 'index' || t - started < intervalMs) return
      last = t
      write(`seeding: ${total.toLocaleString('en-US')} rows loaded in ${((t - started) / 1000).toFixed(1)} s; building indexes...`)
    }
  }
}

/** `seeding: 250,000/1,000,000 rows (25%), 61,204 rows/s, ETA 12 s, 4.1 s elapsed` */
export function progressLine (rows: number, total: number, seconds: number): string {
  const percent = total > 0 ? Math.floor(rows * 100 / total) : 100
  const rate = seconds > 0 ? rows / seconds : 0
  const eta = rate > 0 ? `ETA ${Math.ceil((total - rows) / rate)} s` : 'ETA unknown'
  return `seeding: ${rows.toLocaleString('en-US')}/${total.toLocaleString('en-US')} rows (${percent}%), ` +
    `${Math.round(rate).toLocaleString('en-US')} rows/s, ${eta}, ${seconds.toFixed(1)} s elapsed`
}

/**
 * A seed run as the CLI and `npm run dev` do it: a progress bar on stderr when it is a
 * terminal, progress lines every few seconds on stdout when that is not one (`npm run dev >
 * file`, a pipe, a container), then the version bump (a Redis outage is a warning, not a
 * failure), then a one-line summary.
 */
export async function runSeed (config: Config, options: SeedOptions, io: RunSeedOutput = { err: process.stderr, out: process.stdout }): Promise<SeedReport> {
  const bar = io.err.isTTY === true ? progressBar(options.count, io.err) : undefined
  const lines = io.out.isTTY === true
    ? undefined
    : progressLines(options.count, (line) => io.out.write(line + '\n'), io.progressIntervalMs)
  let report: SeedReport
  try {
    report = await seedCatalog({ url: config.MYSQL_URL, ca: config.DB_CA }, {
      ...options,
      onProgress: (rows) => { bar?.update(rows); lines?.update(rows); options.onProgress?.(rows) },
      onPhase: (phase) => {
        if (phase === 'index') bar?.stop()
        if (phase === 'search' && io.err.isTTY === true) io.err.write('indexing words for search...\n')
        if (phase === 'index' && io.err.isTTY === true) io.err.write('building indexes...\n')
        lines?.phase(phase)
        options.onPhase?.(phase)
      }
    })
  } finally {
    bar?.stop()
  }
  if (report.skipped) return report
  try {
    await bumpCatalogVersion(config.REDIS_URL, config.REDIS_KEY_PREFIX)
  } catch (err) {
    io.err.write(`warning: could not bump the catalog version in Redis (${(err as Error).message}); cached pages expire within CACHE_TTL_SECONDS\n`)
  }
  io.out.write(summary(report) + '\n')
  return report
}

export function summary (r: SeedReport): string {
  const s = (ms: number): string => (ms / 1000).toFixed(1)
  if (r.inserted === 0) return `seeded 0 products in ${s(r.totalMs)} s${r.replaced ? ': the catalog is now empty' : ''}`
  const rate = Math.round(r.inserted / Math.max((r.loadMs + r.indexMs) / 1000, 0.001))
  return `seeded ${r.inserted.toLocaleString('en-US')} products (ids ${r.firstId}-${r.lastId}) in ${s(r.totalMs)} s: ` +
    `load ${s(r.loadMs)} s via ${r.method}${r.fallbackReason !== undefined ? ` (${r.fallbackReason})` : ''}, ` +
    `${r.indexesRebuilt} indexes ${s(r.indexMs)} s, search words ${s(r.searchMs)} s, ${rate.toLocaleString('en-US')} rows/s`
}

function progressBar (total: number, stream: NodeJS.WritableStream): cliProgress.SingleBar {
  const bar = new cliProgress.SingleBar({
    stream,
    format: 'seeding [{bar}] {percentage}% | {value}/{total} rows | {speed} rows/s | ETA {eta_formatted}',
    formatValue: (v, _o, type) => type === 'value' || type === 'total' ? v.toLocaleString('en-US') : String(v),
    hideCursor: true,
    clearOnComplete: false,
    etaBuffer: 50
  }, cliProgress.Presets.shades_classic)
  const started = performance.now()
  bar.start(total, 0, { speed: '0' })
  const update = bar.update.bind(bar)
  bar.update = ((value: number) => {
    const seconds = (performance.now() - started) / 1000
    update(value, { speed: seconds > 0 ? Math.round(value / seconds).toLocaleString('en-US') : '0' })
  }) as typeof bar.update
  return bar
}

/**
 * `npm run dev`: seeds `count` products when the catalog is empty, with the CLI's progress bar.
 * Migrations have already run; seedCatalog runs them again, idempotently.
 */
export async function seedIfEmpty (config: Config, count: number, io?: RunSeedOutput): Promise<void> {
  await runSeed(config, { count, onlyIfEmpty: true }, io)
}
