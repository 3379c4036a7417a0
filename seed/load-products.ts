// Chooses how the generated products reach MySQL (SeedMethod) and falls back from LOAD DATA
// LOCAL to INSERTs when the server refuses it.
import type mysql from 'mysql2/promise'
import type { MysqlSettings } from '../src/lib/mysql-options.js'
import { insertProducts } from './insert-rows.js'
import { isLocalInfileRefused, loadProductsLocal, serverAllowsLocalInfile } from './load-data.js'
import type { RowSource } from './product-rows.js'
import type { LoadMethod, SeedOptions } from './seed-options.js'

export interface Loaded {
  method: LoadMethod
  /** Why `auto` settled for `insert`, when it did. */
  fallbackReason?: string
}

/** Writes `rows` into `table` by `options.method`; `control` is the seeder's own connection. */
export async function loadProducts (settings: MysqlSettings, control: mysql.Connection, table: string, rows: RowSource,
  options: SeedOptions): Promise<Loaded> {
  const method = options.method ?? 'auto'
  if (rows.count === 0) return { method: method === 'load-data' ? 'load-data' : 'insert' }
  if (method === 'insert') {
    await insertProducts(settings, table, rows, options)
    return { method: 'insert' }
  }
  if (method === 'auto' && !await serverAllowsLocalInfile(control)) {
    await insertProducts(settings, table, rows, options)
    return { method: 'insert', fallbackReason: 'the server has local_infile=OFF' }
  }
  try {
    await loadProductsLocal(control, table, rows, options)
    return { method: 'load-data' }
  } catch (err) {
    if (method !== 'auto' || !isLocalInfileRefused(err)) throw err
    // The statement failed as a whole, so nothing was loaded: start over with INSERTs.
    await insertProducts(settings, table, { ...rows, generator: rows.generator.restart() }, options)
    return { method: 'insert', fallbackReason: (err as Error).message }
  }
}
