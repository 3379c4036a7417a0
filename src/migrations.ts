// The schema migrations the service runs before it serves (src/server.ts) and `npm run migrate`
// runs on its own (seed/migrate-cli.ts). The numbered SQL files stay in seed/migrations/.
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import mysql from 'mysql2/promise'
import { poolOptions, databaseName, type MysqlSettings } from './lib/mysql-options.js'

/**
 * seed/migrations/ seen from this module (`moduleUrl`): the project root is the parent of src/
 * when run through tsx, and the parent of dist/ once compiled (dist/src/migrations.js). The
 * Docker image copies the folder to the same place beside dist/.
 */
export function migrationsDir (moduleUrl: string = import.meta.url): string {
  const parent = path.resolve(path.dirname(fileURLToPath(moduleUrl)), '..')
  const root = path.basename(parent) === 'dist' ? path.dirname(parent) : parent
  return path.join(root, 'seed', 'migrations')
}

export interface MigrationResult { applied: string[], current: number }

export type MigrationSettings = Pick<MysqlSettings, 'url' | 'ca'> & Partial<MysqlSettings>

export interface MigrateOptions {
  /** Told the name of each file applied. */
  log?: (msg: string) => void
  /** Folder of `NNN_name.sql` files; default migrationsDir(). */
  dir?: string
}

/** How long a process waits for another one's migrations to finish. */
const LOCK_WAIT_SECONDS = 60

/**
 * Creates the database if missing, then applies every numbered `NNN_name.sql` not yet recorded
 * in `schema_migrations`, in order. Safe to run from several processes at once (a named lock
 * per database serialises them) and as often as you like (applied files are skipped).
 */
export async function migrate (settings: MigrationSettings, { log = () => {}, dir = migrationsDir() }: MigrateOptions = {}): Promise<MigrationResult> {
  const full: MysqlSettings = { poolSize: 1, timeoutMs: 10_000, ...settings }
  const database = databaseName(full.url)
  await createDatabase(full, database)

  const conn = await mysql.createConnection(poolOptions(full))
  // GET_LOCK names are limited to 64 characters; a truncated name only serialises more.
  const lockName = `farmlokal_migrate:${database}`.slice(0, 64)
  try {
    const [[lock]] = await conn.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS ok', [lockName, LOCK_WAIT_SECONDS])
    if (lock.ok !== 1) throw new Error(`could not take the migration lock within ${LOCK_WAIT_SECONDS} s`)
    await conn.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INT UNSIGNED NOT NULL PRIMARY KEY,
      name VARCHAR(200) NOT NULL,
      applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
    ) ENGINE=InnoDB`)
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT version FROM schema_migrations')
    const done = new Set(rows.map((r) => Number(r.version)))
    const files = (await readdir(dir)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort()
    const applied: string[] = []
    let current = Math.max(0, ...done)
    for (const file of files) {
      const version = Number.parseInt(file, 10)
      if (done.has(version)) continue
      const sql = await readFile(path.join(dir, file), 'utf8')
      for (const statement of splitStatements(sql)) await conn.query(statement)
      await conn.execute('INSERT INTO schema_migrations (version, name) VALUES (?, ?)', [version, file])
      applied.push(file)
      current = Math.max(current, version)
      log(`applied migration ${file}`)
    }
    return { applied, current }
  } finally {
    await conn.query('SELECT RELEASE_LOCK(?)', [lockName]).catch(() => {})
    await conn.end()
  }
}

/**
 * CREATE DATABASE IF NOT EXISTS, on a connection that names no database. The name is an
 * identifier (no placeholder exists for one), so it goes through escapeId.
 */
async function createDatabase (settings: MysqlSettings, database: string): Promise<void> {
  const server = await mysql.createConnection(poolOptions(settings, { withDatabase: false }))
  try {
    await server.query(`CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  } finally {
    await server.end()
  }
}

/** Splits a migration file on semicolons that end a line, dropping comment-only chunks. */
export function splitStatements (sql: string): string[] {
  return sql
    .split(/;\s*(?:\r?\n|$)/)
    .map((s) => s.split('\n').filter((line) => !/^\s*--/.test(line)).join('\n').trim())
    .filter((s) => s.length > 0)
}
