// The multi-row INSERT path: works wherever INSERT does, for servers that refuse LOCAL INFILE.
import mysql from 'mysql2/promise'
import type { MysqlSettings } from '../src/lib/mysql-options.js'
import { connect, throwIfAborted } from './connection.js'
import { PRODUCT_COLUMNS, productValues, type ProductValues, type RowSource } from './product-rows.js'

export interface InsertOptions {
  /** Connections writing at once (default 2). */
  connections?: number
  /** Rows per INSERT statement (default 2000). */
  batchRows?: number
  onProgress?: (rows: number) => void
  signal?: AbortSignal
}

/**
 * Multi-row INSERTs over several connections, the values bound through the `VALUES ?`
 * placeholder (mysql2 escapes each one). Batches are generated in id order by whichever
 * connection is free, so the rows are the same whatever the interleaving; explicit ids keep the
 * id of each row independent of commit order.
 */
export async function insertProducts (settings: MysqlSettings, table: string, rows: RowSource, options: InsertOptions): Promise<void> {
  const { generator, firstId, count } = rows
  const batchRows = options.batchRows ?? 2000
  const workers = Math.max(1, Math.min(options.connections ?? 2, Math.ceil(count / batchRows)))
  const sql = `INSERT INTO ${mysql.escapeId(table)} (${PRODUCT_COLUMNS.map((c) => mysql.escapeId(c)).join(', ')}) VALUES ?`
  let next = 0
  let done = 0
  const worker = async (): Promise<void> => {
    const conn = await connect(settings)
    try {
      while (next < count) {
        throwIfAborted(options.signal)
        const start = next
        const n = Math.min(batchRows, count - start)
        next += n
        const batch: ProductValues[] = new Array(n)
        for (let i = 0; i < n; i++) batch[i] = productValues(firstId + start + i, generator.next())
        await conn.query(sql, [batch])
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
