// When the category counts are written: rebuilt as a copy beside a catalog that is being replaced
// (and swapped in with it), refreshed after rows are appended, or rebuilt on their own for a
// catalog written some other way (reindexSearch). The FULLTEXT index that search reads is one of
// the products table's own indexes, rebuilt with the others (seed/table-swap.ts).
import type mysql from 'mysql2/promise'
import { connect, seedSettings, withSeedLock, type DbSettings } from './connection.js'
import { SEARCH_TABLES, refreshSearchCounts, type SearchTables } from './search-index.js'
import { copyOf, createCopies, dropCopies, dropLeftovers, swapIn } from './table-swap.js'

/** The live tables derived from the catalog, in the order they are copied and swapped. */
export const SEARCH_TABLE_LIST: readonly string[] = [SEARCH_TABLES.counts]

/** The copies a replacing run fills. */
const SEARCH_COPIES: SearchTables = { counts: copyOf(SEARCH_TABLES.counts) }

/** The steps of writing the derived tables (for the seeder's output). */
export type SearchStep = 'counts'

/** What the writers tell about their progress (for the seeder's output). */
export interface SearchProgress {
  /** A step starts. */
  step?: (step: SearchStep) => void
}

/** Fills a fresh copy of the category counts from the products table `from`. */
export async function buildSearchCopies (control: mysql.Connection, from: string, progress: SearchProgress = {}): Promise<void> {
  await createCopies(control, SEARCH_TABLE_LIST)
  progress.step?.('counts')
  await refreshSearchCounts(control, from, SEARCH_COPIES)
}

/** Refreshes the live category counts after products were appended to `from`. */
export async function indexAppended (control: mysql.Connection, from: string, progress: SearchProgress = {}): Promise<void> {
  progress.step?.('counts')
  await refreshSearchCounts(control, from, SEARCH_TABLES)
}

/**
 * Rebuilds the category counts from the live products table, for a catalog written other than
 * by the seeder (the copy is filled beside the live table and swapped in with one RENAME).
 */
export async function reindexSearch (db: DbSettings, progress: SearchProgress = {}): Promise<void> {
  const settings = seedSettings(db)
  const control = await connect(settings)
  try {
    await withSeedLock(control, settings.url, async () => {
      await dropLeftovers(control, SEARCH_TABLE_LIST)
      try {
        await buildSearchCopies(control, 'products', progress)
        await swapIn(control, SEARCH_TABLE_LIST)
      } finally {
        await dropCopies(control, SEARCH_TABLE_LIST).catch(() => {})
      }
    })
  } finally {
    await control.end().catch(() => {})
  }
}
