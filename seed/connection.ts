// The seeder's connections: session settings for bulk loading, the seed lock that keeps two
// seed runs on one database apart, and a few statements on table names.
import mysql from 'mysql2/promise'
import { databaseName, poolOptions, type MysqlSettings } from '../src/lib/mysql-options.js'

export type DbSettings = Pick<MysqlSettings, 'url'> & Partial<MysqlSettings>

/** The service's MySQL settings with the seeder's defaults: one connection, a long deadline. */
export function seedSettings (db: DbSettings): MysqlSettings {
  return { poolSize: 1, timeoutMs: 10_000, ...db }
}

// Session settings for the bulk load, valid on MySQL 8 and MariaDB 10.6+: no FK or unique
// re-checks (the rows are ours and ids are explicit), and a bounded wait for table locks so a
// long transaction elsewhere makes the seeder fail instead of hanging. sql_log_bin stays on:
// a read replica (MYSQL_READ_URL) must receive the catalog too.
const SESSION_SETTINGS = 'SET SESSION unique_checks = 0, foreign_key_checks = 0, lock_wait_timeout = 60'

/** A connection for the seeder; `flags` as mysql2 takes them (e.g. `-LOCAL_FILES`). */
export async function connect (settings: MysqlSettings, flags: string[] = []): Promise<mysql.Connection> {
  const conn = await mysql.createConnection({ ...poolOptions(settings), flags })
  await conn.query(SESSION_SETTINGS)
  return conn
}

/** Runs `work` on a connection of its own, closed afterwards. */
export async function withConnection<T> (settings: MysqlSettings, work: (conn: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await connect(settings)
  try {
    return await work(conn)
  } finally {
    await conn.end().catch(() => {})
  }
}

/**
 * Runs `work` holding the seed lock of the database (a named lock on `conn`): a second seed or
 * reindex run on the same database fails after 30 s rather than interleaving with this one.
 */
export async function withSeedLock<T> (conn: mysql.Connection, url: string, work: () => Promise<T>): Promise<T> {
  // GET_LOCK names are limited to 64 characters; a truncated name only serialises more.
  const lockName = `farmlokal_seed:${databaseName(url)}`.slice(0, 64)
  const [[lock]] = await conn.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, 30) AS ok', [lockName])
  if (lock.ok !== 1) throw new Error('another seed run holds the seed lock of this database')
  try {
    return await work()
  } finally {
    await conn.query('SELECT RELEASE_LOCK(?)', [lockName]).catch(() => {})
  }
}

export function throwIfAborted (signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new Error('seeding aborted')
}

/** DROP TABLE [IF EXISTS] of several tables in one statement. */
export async function dropTables (conn: mysql.Connection, tables: readonly string[], { ifExists = true } = {}): Promise<void> {
  if (tables.length === 0) return
  await conn.query(`DROP TABLE ${ifExists ? 'IF EXISTS ' : ''}${tables.map((t) => mysql.escapeId(t)).join(', ')}`)
}
