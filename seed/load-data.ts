// The LOAD DATA LOCAL path: one statement whose "file" is a stream generated on the fly, for the
// products (seed/load-products.ts).
import { Readable } from 'node:stream'
import type { Socket } from 'node:net'
import mysql from 'mysql2/promise'
import { PRODUCT_COLUMNS, productValues, tsvLine, type RowSource } from './product-rows.js'

/**
 * Errors meaning "LOCAL INFILE is disabled" (on the server or for this client): use INSERTs.
 * 1148 ER_NOT_ALLOWED_COMMAND (MySQL 5.7, older MariaDB), 3948 ER_CLIENT_LOCAL_FILES_DISABLED
 * (MySQL 8), 4166 ER_LOAD_INFILE_CAPABILITY_DISABLED (MariaDB 10.6+).
 */
const LOCAL_INFILE_DISABLED = new Set([1148, 3948, 4166])

export function isLocalInfileRefused (err: unknown): boolean {
  const errno = (err as { errno?: number }).errno
  return errno !== undefined && LOCAL_INFILE_DISABLED.has(errno)
}

/** Whether the server allows LOCAL INFILE at all (`local_infile`). */
export async function serverAllowsLocalInfile (conn: mysql.Connection): Promise<boolean> {
  const [[row]] = await conn.query<mysql.RowDataPacket[]>('SELECT @@GLOBAL.local_infile AS on_')
  return Number(row.on_) === 1
}

export interface LocalLoad {
  table: string
  /** Column names, in the order of the fields of each line. */
  columns: readonly string[]
  /** The name the server is told; mysql2 answers its request for it with `stream`. */
  file: string
  /** Lines of tab-separated fields, as tsvLine writes them. */
  stream: Readable
  /** Lines the stream sent, read once it has ended: every one must be stored. */
  sent: () => number
}

/**
 * Runs one LOAD DATA LOCAL INFILE fed by `load.stream`. The statement is built as text because
 * LOAD DATA takes no placeholders: the file name must be a string literal (a fixed name of ours,
 * escaped all the same), the table and columns identifiers (escapeId), and the field and line
 * terminators are syntax. The values themselves never enter the statement; they travel in the
 * stream. LOCAL turns bad rows into warnings, so any warning fails the load.
 */
export async function loadDataLocal (conn: mysql.Connection, load: LocalLoad): Promise<void> {
  const [result] = await conn.query<mysql.ResultSetHeader>({
    sql: `LOAD DATA LOCAL INFILE ${mysql.escape(load.file)} INTO TABLE ${mysql.escapeId(load.table)} CHARACTER SET utf8mb4
      FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'
      (${load.columns.map((c) => mysql.escapeId(c)).join(', ')})`,
    infileStreamFactory: () => load.stream
  })
  const sent = load.sent()
  if (result.warningStatus > 0 || result.affectedRows !== sent) {
    const [warnings] = await conn.query<mysql.RowDataPacket[]>('SHOW WARNINGS LIMIT 3')
    throw new Error(`LOAD DATA stored ${result.affectedRows} of ${sent} rows into ${load.table}: ${warnings.map((w) => w.Message).join('; ')}`)
  }
}

/** Rows of the product stream are generated this many at a time. */
const CHUNK_ROWS = 1000

export interface ProductLoadOptions {
  onProgress?: (rows: number) => void
  signal?: AbortSignal
}

/**
 * Loads the generated products into `table` with one LOAD DATA LOCAL statement. Generation waits
 * while the socket's write buffer is full, so memory stays bounded whatever the count.
 */
export async function loadProductsLocal (conn: mysql.Connection, table: string, rows: RowSource, options: ProductLoadOptions): Promise<void> {
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
    for (let i = 0; i < n; i++) text += tsvLine(productValues(firstId + sent + i, generator.next()))
    sent += n
    options.onProgress?.(sent)
    stream.push(Buffer.from(text, 'utf8'))
  }
  await loadDataLocal(conn, { table, columns: PRODUCT_COLUMNS, file: 'farmlokal-products.tsv', stream, sent: () => sent })
}
