import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import mysql from 'mysql2/promise'
import { poolOptions, databaseName, type MysqlSettings } from '../src/lib/mysql-options.js'

function migrationsDir (): string {
  // From seed/migrate.ts the folder is ./migrations; from dist/seed/migrate.js it is ../../seed/migrations.
  const here = path.dirname(fileURLToPath(import.meta.url))
  return here.includes(`${path.sep}dist${path.sep}`) || here.endsWith(`${path.sep}dist`)
    ? path.resolve(here, '..', '..', 'seed', 'migrations')
    : path.resolve(here, 'migrations')
}

export interface MigrationResult { applied: string[], current: number }

/**
 * Creates the database if missing, then applies every numbered `NNN_name.sql` not yet recorded
 * in `schema_migrations`, in order. Safe to run from several processes at once (a named lock
 * serialises them) and as often as you like (applied files are skipped).
 */
export async function migrate (settings: Pick<MysqlSettings, 'url' | 'ca'> & Partial<MysqlSettings>, log: (msg: string) => void = () => {}): Promise<MigrationResult> {
  const full: MysqlSettings = { poolSize: 1, timeoutMs: 10_000, ...settings }
  const server = await mysql.createConnection(poolOptions(full, { withDatabase: false }))
  try {
    await server.query(`CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(databaseName(full.url))} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  } finally {
    await server.end()
  }

  const conn = await mysql.createConnection(poolOptions(full))
  try {
    const [[lock]] = await conn.query<mysql.RowDataPacket[]>("SELECT GET_LOCK('farmlokal_migrate', 60) AS ok")
    if (lock.ok !== 1) throw new Error('could not take the migration lock within 60 s')
    await conn.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INT UNSIGNED NOT NULL PRIMARY KEY,
      name VARCHAR(200) NOT NULL,
      applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
    ) ENGINE=InnoDB`)
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT version FROM schema_migrations')
    const done = new Set(rows.map((r) => Number(r.version)))
    const files = (await readdir(migrationsDir())).filter((f) => /^\d+_.+\.sql$/.test(f)).sort()
    const applied: string[] = []
    let current = Math.max(0, ...done)
    for (const file of files) {
      const version = Number.parseInt(file, 10)
      if (done.has(version)) continue
      const sql = await readFile(path.join(migrationsDir(), file), 'utf8')
      for (const statement of splitStatements(sql)) await conn.query(statement)
      await conn.execute('INSERT INTO schema_migrations (version, name) VALUES (?, ?)', [version, file])
      applied.push(file)
      current = Math.max(current, version)
      log(`applied migration ${file}`)
    }
    return { applied, current }
  } finally {
    await conn.query("SELECT RELEASE_LOCK('farmlokal_migrate')").catch(() => {})
    await conn.end()
  }
}

/** Splits a migration file on semicolons that end a line, dropping comment-only chunks. */
export function splitStatements (sql: string): string[] {
  return sql
    .split(/;\s*(?:\r?\n|$)/)
    .map((s) => s.split('\n').filter((line) => !/^\s*--/.test(line)).join('\n').trim())
    .filter((s) => s.length > 0)
}
