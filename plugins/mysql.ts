// Longer than most plugins: the deadline around every database call, the mapping of driver
// errors to 503s, the lazy pool used when MySQL is down at start and the read replica's
// fallback to the primary are the one contract every caller relies on (plugins/catalog.ts,
// orders, webhooks, readiness).
import fp from 'fastify-plugin'
import fastifyMysql, { type MySQLPromisePool } from '@fastify/mysql'
import mysql from 'mysql2/promise'
import type { PoolConnection, RowDataPacket, ResultSetHeader } from 'mysql2/promise'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'
import { poolOptions, type MysqlSettings } from '../src/lib/mysql-options.js'
import { DatabaseUnavailableError, withProblem } from '../src/lib/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Primary pool (writes, transactions). */
    mysql: MySQLPromisePool
    /** Raw read pool: the MYSQL_READ_URL replica when set, else the primary (use `db.query(…, { read: true })`). */
    mysqlRead: MySQLPromisePool
    /** Deadline-bounded access to the pools; what routes and plugins should use. */
    db: Db
  }
}

export interface MysqlPluginOptions extends MysqlSettings {
  readUrl?: string
  /** How often a replica taken for down is probed (`SELECT 1`); default 1000 ms. */
  replicaProbeMs?: number
}

export function mysqlOptions (config: Config): MysqlPluginOptions {
  return {
    url: config.MYSQL_URL,
    poolSize: config.MYSQL_POOL_SIZE,
    timeoutMs: config.MYSQL_QUERY_TIMEOUT_MS,
    ...(config.MYSQL_READ_URL !== undefined ? { readUrl: config.MYSQL_READ_URL } : {}),
    ...(config.DB_CA !== undefined ? { ca: config.DB_CA } : {})
  }
}

export type Row = RowDataPacket

/** The callback-style pool and connection mysql2's promise pool wraps. */
interface CoreConnection {
  execute: (sql: string, params: unknown[], cb: (err: Error | null | undefined, rows: unknown) => void) => void
  release: () => void
  destroy: () => void
}
interface CorePool {
  getConnection: (cb: (err: Error | null | undefined, conn: CoreConnection) => void) => void
}
export type Params = Array<string | number | bigint | Date | null | Buffer>

/** Told whether a read was sent to the replica: `replica` becomes true when one was. */
export interface ReadRoute { replica: boolean }

export interface QueryOptions {
  /** A read the replica may answer (MYSQL_READ_URL); the primary when there is none, or it is down. */
  read?: boolean
  /** Marked when the statement is sent to the replica. */
  route?: ReadRoute
}

/** The read replica as the catalog sees it (present only when MYSQL_READ_URL names one). */
export interface ReadReplica {
  /** Whether reads go to the replica now: false from a failed replica call until a probe answers. */
  inUse: () => boolean
  /** One statement on the replica itself, never the primary, within the deadline. */
  query: <T extends Row[] = Row[]>(sql: string, params?: Params) => Promise<T>
}

export interface Db {
  /**
   * One prepared statement, answered within the deadline or failed with a 503 error. A `read`
   * goes to the replica while it is in use; when the replica cannot be reached (refused, lost,
   * or no answer within half the deadline) it is taken for down and the statement is sent to
   * the primary within what is left of the deadline.
   */
  query: <T extends Row[] | ResultSetHeader = Row[]>(sql: string, params?: Params, opts?: QueryOptions) => Promise<T>
  /** The replica's state and a way to query it alone; undefined when reads go to the primary. */
  replica: ReadReplica | undefined
  /**
   * Runs `work` in one transaction on the primary; commits when it resolves, rolls back when it
   * throws. Past the deadline the connection is destroyed, so the server rolls back: never half
   * applied.
   */
  transaction: <T>(work: (conn: PoolConnection) => Promise<T>) => Promise<T>
  /** Resolves when the primary answers `SELECT 1` within the deadline. */
  ping: () => Promise<void>
  timeoutMs: number
}

/** Network-level failures: the database is unreachable rather than the statement wrong. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH',
  'EAI_AGAIN', 'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN', 'ER_QUERY_INTERRUPTED', 'ER_LOCK_WAIT_TIMEOUT', 'ER_LOCK_DEADLOCK',
  'POOL_CLOSED', 'ER_CLIENT_INTERACTION_TIMEOUT'
])

export function isUnavailable (err: unknown): boolean {
  const e = err as { code?: string, fatal?: boolean }
  return e?.fatal === true || (typeof e?.code === 'string' && UNAVAILABLE_CODES.has(e.code))
}

function unavailable (err: unknown): Error {
  const e = err as { code?: string, message?: string }
  return withProblem(new DatabaseUnavailableError(e?.code ?? 'timeout'), { retryAfter: 1 })
}

/** Same shape as what @fastify/mysql decorates, for pools it did not open. */
function wrap (pool: mysql.Pool): MySQLPromisePool {
  return {
    pool,
    query: pool.query.bind(pool),
    execute: pool.execute.bind(pool),
    getConnection: pool.getConnection.bind(pool),
    format: mysql.format,
    escape: mysql.escape,
    escapeId: mysql.escapeId
  } as unknown as MySQLPromisePool
}

/**
 * Whether MySQL answers at start; false (and a warning) when it cannot be reached. The database
 * itself is the migrations' to create (src/migrations.ts runs before the app is built), so a
 * missing one fails the start here like any other error.
 */
async function reachable (fastify: FastifyInstance, settings: MysqlSettings): Promise<boolean> {
  let conn: mysql.Connection | undefined
  try {
    conn = await mysql.createConnection(poolOptions(settings))
    return true
  } catch (err) {
    if (!isUnavailable(err)) throw err
    fastify.log.warn({ code: (err as { code?: string }).code }, 'MySQL is unreachable at start; /ready reports it until it answers')
    return false
  } finally {
    await conn?.end().catch(() => {})
  }
}

/** Every connection works in UTC so DATETIME values mean the same on MySQL 8 and MariaDB. */
function onConnection (pool: mysql.Pool): void {
  // The underlying callback pool emits 'connection' with callback-style connections.
  (pool as unknown as { pool: NodeJS.EventEmitter }).pool.on('connection', (conn: { query: (sql: string) => void }) => {
    conn.query("SET time_zone = '+00:00'")
  })
}

async function mysqlPlugin (fastify: FastifyInstance, opts: MysqlPluginOptions) {
  const options = poolOptions(opts)
  if (await reachable(fastify, opts)) {
    // @fastify/mysql opens the pool, checks it answers, and closes it on shutdown.
    await fastify.register(fastifyMysql, { promise: true, ...options })
  } else {
    // Started while MySQL is down: a lazy pool of the same shape connects once MySQL answers.
    const pool = mysql.createPool(options)
    fastify.decorate('mysql', wrap(pool))
    fastify.addHook('onClose', async () => { await pool.end() })
  }
  onConnection(fastify.mysql.pool)

  let readPool: mysql.Pool | undefined
  let probePool: mysql.Pool | undefined
  if (opts.readUrl !== undefined && opts.readUrl !== opts.url) {
    const replicaOptions = poolOptions({ ...opts, url: opts.readUrl })
    const pool = readPool = mysql.createPool(replicaOptions)
    onConnection(pool)
    fastify.decorate('mysqlRead', wrap(pool))
    // One connection of its own for the replica's liveness questions (readReplica): asked from
    // the read pool, they would wait behind the very statements that made them necessary.
    const probes = probePool = mysql.createPool({ ...replicaOptions, connectionLimit: 1, maxIdle: 1 })
    fastify.addHook('onClose', async () => { await Promise.all([pool.end(), probes.end()]) })
  } else {
    fastify.decorate('mysqlRead', fastify.mysql)
  }

  const timeoutMs = opts.timeoutMs

  /**
   * Runs `work` on a pooled connection within the deadline. mysql2 has no deadline of its own
   * that covers acquiring a connection and preparing a statement, so a timer races the work;
   * when it fires, the connection is destroyed (a stalled socket is never reused).
   */
  async function withConnection<T> (pool: MySQLPromisePool, work: (conn: PoolConnection) => Promise<T>): Promise<T> {
    let conn: PoolConnection | undefined
    let timedOut = false
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        timedOut = true
        conn?.destroy()
        reject(withProblem(new DatabaseUnavailableError(`no answer within ${timeoutMs} ms`), { retryAfter: 1 }))
      }, timeoutMs)
    })
    const run = (async () => {
      const c = await pool.getConnection()
      if (timedOut) { c.destroy(); throw new Error('deadline passed') }
      conn = c
      try {
        return await work(c)
      } finally {
        if (!timedOut) c.release()
      }
    })()
    run.catch(() => {}) // settled by the race below; a late failure is not unhandled
    try {
      return await Promise.race([run, deadline])
    } catch (err) {
      if (isUnavailable(err)) throw unavailable(err)
      throw err
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * One prepared statement within the deadline, on the callback pool under the promise pool:
   * the busiest call of the service (every uncached page) makes no promise wrapper, captures no
   * stack and arms one timer. Past the deadline the connection is destroyed, as above; a
   * connection handed over after the deadline goes back to the pool unused.
   */
  function execute<T> (pool: MySQLPromisePool, sql: string, params: Params, budgetMs = timeoutMs): Promise<T> {
    const core = (pool.pool as unknown as { pool: CorePool }).pool
    return new Promise<T>((resolve, reject) => {
      let conn: CoreConnection | undefined
      let settled = false
      const timer = setTimeout(() => {
        settled = true
        conn?.destroy()
        reject(withProblem(new DatabaseUnavailableError(`no answer within ${budgetMs} ms`), { retryAfter: 1 }))
      }, budgetMs)
      const fail = (err: unknown): void => {
        settled = true
        clearTimeout(timer)
        reject(isUnavailable(err) ? unavailable(err) : err)
      }
      core.getConnection((err, c) => {
        if (settled) { if (err == null) c.release(); return }
        if (err != null) { fail(err); return }
        conn = c
        c.execute(sql, params, (err, rows) => {
          if (settled) return
          c.release()
          if (err != null) { fail(err); return }
          settled = true
          clearTimeout(timer)
          resolve(rows as T)
        })
      })
    })
  }

  const replica = readPool === undefined || probePool === undefined ? undefined : readReplica(fastify.mysqlRead, wrap(probePool))

  /**
   * The read replica's routing. Reads go to it while it is in use. A replica call that fails
   * for want of the server (refused, connection lost) takes it out of use at once, and that read
   * is sent to the primary within what is left of its deadline; from then on reads go to the
   * primary, with no further attempt on the replica, until a probe (`SELECT 1` every
   * `replicaProbeMs`) answers. A read the replica has not answered within half the deadline is
   * either a slow statement or a server that hangs: a `SELECT 1` beside it tells which. When the
   * replica answers that, the read keeps its whole deadline there; when it does not, the replica
   * is taken out of use and the read goes to the primary. The `SELECT 1` (and the probe) run on
   * `probes`, a connection outside the read pool, so a pool whose every connection is busy with
   * slow statements still tells a live replica from a hung one. A SQL error from the replica is
   * the statement's, not the server's: it is thrown as it is.
   */
  function readReplica (pool: MySQLPromisePool, probes: MySQLPromisePool) {
    const probeMs = opts.replicaProbeMs ?? 1000
    const replicaBudgetMs = Math.max(1, Math.ceil(timeoutMs / 2))
    let up = true
    let probing = false

    function markDown (err: unknown): void {
      if (!up) return
      up = false
      fastify.log.warn({ err: { message: (err as Error).message } }, 'read replica unreachable: catalog reads go to the primary until it answers a probe')
    }

    const probe = setInterval(() => {
      if (up || probing) return
      probing = true
      execute(probes, 'SELECT 1', [], Math.min(timeoutMs, probeMs)).then(() => {
        if (!up) fastify.log.info('read replica answers again: catalog reads go back to it')
        up = true
      }, () => {}).finally(() => { probing = false })
    }, probeMs)
    probe.unref()
    fastify.addHook('onClose', async () => { clearInterval(probe) })

    const state: ReadReplica = {
      inUse: () => up,
      async query<T extends Row[] = Row[]> (sql: string, params: Params = []) {
        try {
          return await execute<T>(pool, sql, params, replicaBudgetMs)
        } catch (err) {
          if (err instanceof DatabaseUnavailableError) markDown(err)
          throw err
        }
      }
    }

    /** Whether the replica answers `SELECT 1` within `ms` (a server that hangs does not). */
    async function answers (ms: number): Promise<boolean> {
      return await execute(probes, 'SELECT 1', [], Math.max(1, ms)).then(() => true, () => false)
    }

    /** Resolves 'slow' after `ms` unless `work` has settled first (its own result is kept by the caller). */
    async function settledWithin (work: Promise<unknown>, ms: number): Promise<'settled' | 'slow'> {
      let timer: NodeJS.Timeout | undefined
      const slow = new Promise<'slow'>((resolve) => { timer = setTimeout(resolve, ms, 'slow') })
      try {
        return await Promise.race([work.then(() => 'settled' as const, () => 'settled' as const), slow])
      } finally {
        clearTimeout(timer)
      }
    }

    /** A read on the replica, else (replica down or hanging now) on the primary, within one deadline. */
    async function read<T> (sql: string, params: Params, route: ReadRoute | undefined): Promise<T> {
      if (!up) return await execute<T>(fastify.mysql, sql, params)
      if (route !== undefined) route.replica = true
      const started = Date.now()
      const onReplica = execute<T>(pool, sql, params)
      onReplica.catch(() => {}) // awaited below, or abandoned to its own deadline
      const toPrimary = async (err: unknown): Promise<T> => {
        markDown(err)
        const left = timeoutMs - (Date.now() - started)
        if (left <= 0) throw err
        return await execute<T>(fastify.mysql, sql, params, left)
      }
      if (await settledWithin(onReplica, replicaBudgetMs) === 'slow') {
        // Half the deadline gone: alive and busy, or hanging? Ask with a quarter of what is left.
        const alive = await answers((timeoutMs - (Date.now() - started)) / 4)
        if (!alive) {
          return await toPrimary(withProblem(new DatabaseUnavailableError(`replica silent for ${Date.now() - started} ms`), { retryAfter: 1 }))
        }
      }
      try {
        return await onReplica
      } catch (err) {
        if (!(err instanceof DatabaseUnavailableError)) throw err
        // Refused or lost (the server is gone), or the whole deadline spent on a slow statement:
        // only the first is worth the primary's time.
        if (Date.now() - started >= timeoutMs) throw err
        return await toPrimary(err)
      }
    }
    return { state, read }
  }

  const db: Db = {
    timeoutMs,
    replica: replica?.state,
    async query<T extends Row[] | ResultSetHeader = Row[]> (sql: string, params: Params = [], { read = false, route }: QueryOptions = {}) {
      if (read && replica !== undefined) return await replica.read<T>(sql, params, route)
      return await execute<T>(fastify.mysql, sql, params)
    },
    async transaction<T> (work: (conn: PoolConnection) => Promise<T>) {
      return await withConnection(fastify.mysql, async (conn) => {
        await conn.beginTransaction()
        try {
          const result = await work(conn)
          await conn.commit()
          return result
        } catch (err) {
          await conn.rollback().catch(() => {})
          throw err
        }
      })
    },
    async ping () {
      await withConnection(fastify.mysql, async (conn) => { await conn.query('SELECT 1') })
    }
  }
  fastify.decorate('db', db)
}

export default fp(mysqlPlugin, { name: 'mysql' })
