// The `category_counts` table (seed/migrations/004_search.sql): the products per category,
// written from the products table itself so it holds exactly what that holds. It is the one
// table derived from the catalog besides the catalog's own indexes; search reads the FULLTEXT
// index of products directly, rebuilt with the other indexes (seed/table-swap.ts).
// The counts are rebuilt as a copy beside a catalog that is being replaced (and swapped in with
// it), refreshed after rows are appended, or rebuilt on their own for a catalog written some
// other way (recountCategories).
import mysql from 'mysql2/promise'
import { connect, seedSettings, withSeedLock, type DbSettings } from './connection.js'
import { copyOf, createCopies, dropCopies, dropLeftovers, swapIn } from './table-swap.js'

/** The live category counts table. */
export const CATEGORY_COUNT_TABLES = { counts: 'category_counts' } as const

/** The table a recount writes into: the live one, or its copy. */
export interface CategoryCountTables {
  counts: string
}

/** The live tables of category counts, in the order they are copied and swapped. */
export const CATEGORY_COUNT_TABLE_LIST: readonly string[] = [CATEGORY_COUNT_TABLES.counts]

/** The copies a replacing run fills. */
const CATEGORY_COUNT_COPIES: CategoryCountTables = { counts: copyOf(CATEGORY_COUNT_TABLES.counts) }

/** The steps of writing the category counts (for the seeder's output). */
export type CategoryCountStep = 'counts'

/** What the writers tell about their progress (for the seeder's output). */
export interface CategoryCountProgress {
  /** A step starts. */
  step?: (step: CategoryCountStep) => void
}

/** Recomputes the category counts from `products` (in one transaction: readers see the old or the new figures). */
export async function refreshCategoryCounts (conn: mysql.Connection, products: string, tables: CategoryCountTables): Promise<void> {
  await conn.beginTransaction()
  try {
    await conn.query(`DELETE FROM ${mysql.escapeId(tables.counts)}`)
    await conn.query(`INSERT INTO ${mysql.escapeId(tables.counts)} (category, products)
      SELECT category, COUNT(*) FROM ${mysql.escapeId(products)} GROUP BY category`)
    await conn.commit()
  } catch (err) {
    await conn.rollback().catch(() => {})
    throw err
  }
}

/** Fills a fresh copy of the category counts from the products table `from`. */
export async function buildCategoryCountCopies (control: mysql.Connection, from: string, progress: CategoryCountProgress = {}): Promise<void> {
  await createCopies(control, CATEGORY_COUNT_TABLE_LIST)
  progress.step?.('counts')
  await refreshCategoryCounts(control, from, CATEGORY_COUNT_COPIES)
}

/** Refreshes the live category counts after products were appended to `from`. */
export async function recountAppended (control: mysql.Connection, from: string, progress: CategoryCountProgress = {}): Promise<void> {
  progress.step?.('counts')
  await refreshCategoryCounts(control, from, CATEGORY_COUNT_TABLES)
}

/**
 * Rebuilds the category counts from the live products table, for a catalog written other than
 * by the seeder (the copy is filled beside the live table and swapped in with one RENAME).
 */
export async function recountCategories (db: DbSettings, progress: CategoryCountProgress = {}): Promise<void> {
  const settings = seedSettings(db)
  const control = await connect(settings)
  try {
    await withSeedLock(control, settings.url, async () => {
      await dropLeftovers(control, CATEGORY_COUNT_TABLE_LIST)
      try {
        await buildCategoryCountCopies(control, 'products', progress)
        await swapIn(control, CATEGORY_COUNT_TABLE_LIST)
      } finally {
        await dropCopies(control, CATEGORY_COUNT_TABLE_LIST).catch(() => {})
      }
    })
  } finally {
    await control.end().catch(() => {})
  }
}
