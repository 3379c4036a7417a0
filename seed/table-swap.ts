// The table swap: a run that replaces the catalog fills copies of the live tables (CREATE TABLE
// ... LIKE), loads them without their secondary indexes, builds those in one ALTER, and swaps
// the copies in with one atomic RENAME, so the live tables keep serving, never lacking an index,
// until the swap. Every statement here is DDL on our own table names: identifiers go through
// escapeId, and the index clauses are the server's own text (SHOW CREATE TABLE), read back.
import mysql from 'mysql2/promise'
import { dropTables } from './connection.js'

/** The copy of a live table that a run fills. */
export function copyOf (live: string): string {
  return `${live}_seeding`
}

/** The name a live table takes while the copy replaces it, until it is dropped. */
export function retiredOf (live: string): string {
  return `${live}_seed_old`
}

/** Drops what an interrupted run may have left: half-filled copies, retired tables. */
export async function dropLeftovers (conn: mysql.Connection, lives: readonly string[]): Promise<void> {
  await dropTables(conn, [...lives.map(copyOf), ...lives.map(retiredOf)])
}

/** Creates empty copies of the live tables, same definition. */
export async function createCopies (conn: mysql.Connection, lives: readonly string[]): Promise<void> {
  for (const live of lives) await conn.query(`CREATE TABLE ${mysql.escapeId(copyOf(live))} LIKE ${mysql.escapeId(live)}`)
}

export async function dropCopies (conn: mysql.Connection, lives: readonly string[]): Promise<void> {
  await dropTables(conn, lives.map(copyOf))
}

/**
 * Replaces each live table by its copy in one RENAME, after checking the definitions match:
 * readers see the old tables or the new ones, never a mix. The retired tables are then dropped.
 */
export async function swapIn (conn: mysql.Connection, lives: readonly string[]): Promise<void> {
  for (const live of lives) await assertSameDefinition(conn, copyOf(live), live)
  const renames = lives.flatMap((live) => [[live, retiredOf(live)], [copyOf(live), live]])
  await conn.query(`RENAME TABLE ${renames.map(([a, b]) => `${mysql.escapeId(a)} TO ${mysql.escapeId(b)}`).join(', ')}`)
  await dropTables(conn, lives.map(retiredOf), { ifExists: false })
}

export interface IndexClause {
  name: string
  /** The index exactly as SHOW CREATE TABLE prints it, e.g. KEY `idx_price_id` (`price`,`id`). */
  clause: string
}

/** Drops the secondary indexes of `table` (a copy being loaded) and returns them for addIndexes. */
export async function dropSecondaryIndexes (conn: mysql.Connection, table: string): Promise<IndexClause[]> {
  const indexes = await secondaryIndexes(conn, table)
  if (indexes.length > 0) {
    await conn.query(`ALTER TABLE ${mysql.escapeId(table)} ${indexes.map((i) => `DROP INDEX ${mysql.escapeId(i.name)}`).join(', ')}`)
  }
  return indexes
}

/** Builds the indexes in one ALTER (one pass over the rows, whatever their number). */
export async function addIndexes (conn: mysql.Connection, table: string, indexes: readonly IndexClause[]): Promise<void> {
  if (indexes.length === 0) return
  await conn.query(`ALTER TABLE ${mysql.escapeId(table)} ${indexes.map((i) => `ADD ${i.clause}`).join(', ')}`)
}

/**
 * The secondary indexes of a table, read from the live definition (SHOW CREATE TABLE), checked
 * against SHOW INDEX so that an index the parser missed stops the seeder rather than vanishing.
 */
export async function secondaryIndexes (conn: mysql.Connection, table: string): Promise<IndexClause[]> {
  const clauses = parseIndexClauses(await createStatement(conn, table))
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

async function createStatement (conn: mysql.Connection, table: string): Promise<string> {
  const [[row]] = await conn.query<mysql.RowDataPacket[]>(`SHOW CREATE TABLE ${mysql.escapeId(table)}`)
  return String(row['Create Table'])
}

/** Refuses to swap in a copy whose definition differs from the live table's in anything but its name. */
async function assertSameDefinition (conn: mysql.Connection, copy: string, live: string): Promise<void> {
  const normalise = async (table: string): Promise<string> => (await createStatement(conn, table))
    .replace(/^CREATE TABLE `[^`]+`/, 'CREATE TABLE')
    .replace(/ AUTO_INCREMENT=\d+/, '')
  const [a, b] = await Promise.all([normalise(copy), normalise(live)])
  if (a !== b) throw new Error(`the reloaded ${live} table differs from the live definition; left ${live} unchanged`)
}
