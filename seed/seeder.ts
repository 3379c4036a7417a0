// One seed run, start to end: migrate, take the seed lock, load the generated products (into a
// copy that is swapped in, or appended to the live table), write the category counts with them.
// The jobs themselves live beside this file: data.ts (the row generator), load-products.ts with
// load-data.ts and insert-rows.ts (how rows reach MySQL), table-swap.ts (copies, indexes,
// RENAME; the FULLTEXT index search reads is rebuilt there with the other indexes),
// category-counts.ts (the category counts) and run-seed.ts (progress, version bump, CLI).
import { randomBytes } from 'node:crypto'
import type mysql from 'mysql2/promise'
import { CATALOG_VERSION_READ, CATALOG_VERSION_RECORD } from '../src/lib/catalog-reads.js'
import type { MysqlSettings } from '../src/lib/mysql-options.js'
import { migrate } from '../src/migrations.js'
import { connect, seedSettings, throwIfAborted, withConnection, withSeedLock, type DbSettings } from './connection.js'
import { ProductGenerator, SEEDED_REFERENCE_TIME } from './data.js'
import { loadProducts } from './load-products.js'
import type { RowSource } from './product-rows.js'
import { CATEGORY_COUNT_TABLE_LIST, buildCategoryCountCopies, recountAppended, type CategoryCountProgress } from './category-counts.js'
import type { SeedOptions, SeedReport } from './seed-options.js'
import { addIndexes, copyOf, createCopies, dropCopies, dropLeftovers, dropSecondaryIndexes, swapIn, type IndexClause } from './table-swap.js'

export type { DbSettings } from './connection.js'
export type { LoadMethod, SeedMethod, SeedOptions, SeedPhase, SeedReport } from './seed-options.js'
export type { CategoryCountProgress, CategoryCountStep } from './category-counts.js'
// Part of the seeder's API for the scripts that seed a catalog and then rebuild or announce it.
export { recountCategories } from './category-counts.js'
export { bumpCatalogVersion } from './catalog-version.js'

/** The seeder's options, plus the steps of the counts phase (for the output). */
export interface SeedRunOptions extends SeedOptions {
  categoryCountProgress?: CategoryCountProgress
}

const PRODUCTS = 'products'
/** Every table a replacing run fills a copy of and swaps in: the catalog and its category counts. */
const SWAPPED: readonly string[] = [PRODUCTS, ...CATEGORY_COUNT_TABLE_LIST]

/**
 * Inserts `count` generated products. Migrates first. When the catalog is empty (or `reset`)
 * rows go into a fresh copy of the table whose secondary indexes are dropped for the load and
 * rebuilt in one ALTER, and the copy then replaces `products` in one
 * atomic RENAME (with fresh category counts): the live table keeps serving, and never lacks an
 * index, until the swap.
 * Otherwise rows are appended to the live table with its indexes in place.
 */
export async function seedCatalog (db: DbSettings, options: SeedRunOptions): Promise<SeedReport> {
  const started = performance.now()
  const settings = seedSettings(db)
  await migrate(settings)
  const control = await connect(settings, options.allowLocalInfile === false ? ['-LOCAL_FILES'] : [])
  try {
    return await withSeedLock(control, settings.url, async () => await seedLocked(settings, control, options, started))
  } finally {
    await control.end().catch(() => {})
  }
}

async function seedLocked (settings: MysqlSettings, control: mysql.Connection, options: SeedRunOptions, started: number): Promise<SeedReport> {
  // Leftovers of an interrupted run: half-filled copies, or retired tables not yet dropped.
  await dropLeftovers(control, SWAPPED)
  const [[existing]] = await control.query<mysql.RowDataPacket[]>('SELECT MAX(id) AS maxId FROM products')
  const empty = existing.maxId === null
  if (options.onlyIfEmpty === true && !empty) {
    return { inserted: 0, firstId: 0, lastId: 0, method: 'insert', replaced: false, indexesRebuilt: 0, loadMs: 0, indexMs: 0, searchMs: 0, totalMs: performance.now() - started, skipped: true }
  }
  const replace = options.reset === true || empty
  const rows: RowSource = { generator: generatorFor(options.seed), firstId: replace ? 1 : Number(existing.maxId) + 1, count: options.count }
  try {
    let table = PRODUCTS
    let indexes: IndexClause[] = []
    if (replace) {
      await createCopies(control, [PRODUCTS])
      table = copyOf(PRODUCTS)
      if (options.rebuildIndexes !== false) indexes = await dropSecondaryIndexes(control, table)
    }

    options.onPhase?.('load')
    const [{ method, fallbackReason }, loadMs] = await timed(async () => await loadProducts(settings, control, table, rows, options))
    throwIfAborted(options.signal)
    options.onPhase?.('index')
    const [, indexMs] = await timed(async () => { await addIndexes(control, table, indexes) })
    throwIfAborted(options.signal)
    // The category counts follow the products they describe: rebuilt beside a replacing copy
    // (and swapped in with it), or refreshed after appending.
    options.onPhase?.('counts')
    const [, searchMs] = await timed(async () => {
      if (replace) await buildCategoryCountCopies(control, table, options.categoryCountProgress)
      else await recountAppended(control, PRODUCTS, options.categoryCountProgress)
    })
    if (replace) {
      throwIfAborted(options.signal)
      options.onPhase?.('swap')
      await swapIn(control, SWAPPED)
    }
    return {
      inserted: rows.count,
      firstId: rows.firstId,
      lastId: rows.firstId + rows.count - 1,
      method,
      ...(fallbackReason !== undefined ? { fallbackReason } : {}),
      replaced: replace,
      indexesRebuilt: indexes.length,
      loadMs,
      indexMs,
      searchMs,
      totalMs: performance.now() - started,
      skipped: false
    }
  } catch (err) {
    // Appending goes straight into the live tables, batch by batch: take back what got in (only
    // this run writes these explicit ids). A copy is simply dropped below.
    if (!replace) await takeBack(control, rows)
    throw err
  } finally {
    if (replace) await dropCopies(control, SWAPPED).catch(() => {})
  }
}

/**
 * Records the catalog version just bumped in Redis in the primary database (the
 * `catalog_version` row, seed/migrations/005_catalog_version.sql). Written after the bump, and
 * so after the catalog writes before it, the row reaches a read replica only once those writes
 * have: the service stores a page read from a replica only when the replica holds the version
 * the page is filed under. Never lowers the recorded version.
 */
/** The catalog version recorded in MySQL (0 when none is, or the table is not there yet). */
export async function recordedCatalogVersion (db: DbSettings): Promise<number> {
  return await withConnection(seedSettings(db), async (conn) => {
    const [rows] = await conn.query<mysql.RowDataPacket[]>(CATALOG_VERSION_READ)
    return rows.length === 0 ? 0 : Number(rows[0].version)
  })
}

export async function recordCatalogVersion (db: DbSettings, version: number): Promise<void> {
  await withConnection(seedSettings(db), async (conn) => {
    await conn.query(CATALOG_VERSION_RECORD, [version, version, version])
  })
}

/** The generator of a run: reproducible with a seed, else random and ending now. */
function generatorFor (seed: string | undefined): ProductGenerator {
  return seed !== undefined
    ? new ProductGenerator(seed, SEEDED_REFERENCE_TIME)
    : new ProductGenerator(randomBytes(8).toString('hex'), Date.now())
}

async function takeBack (control: mysql.Connection, rows: RowSource): Promise<void> {
  const range = [rows.firstId, rows.firstId + rows.count - 1]
  await control.query(`DELETE FROM ${PRODUCTS} WHERE id BETWEEN ? AND ?`, range).catch(() => {})
}

async function timed<T> (work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now()
  const result = await work()
  return [result, performance.now() - start]
}
