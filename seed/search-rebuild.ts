// When the search tables are written: rebuilt as copies beside a catalog that is being replaced
// (and swapped in with it), extended after rows are appended, or rebuilt on their own for a
// catalog written some other way (reindexSearch).
import type mysql from 'mysql2/promise'
import type { MysqlSettings } from '../src/lib/mysql-options.js'
import { connect, seedSettings, withConnection, withSeedLock, type DbSettings } from './connection.js'
import { SEARCH_TABLES, lastIndexedId, refreshSearchCounts, writeProductWords, type SearchTables } from './search-index.js'
import type { LoadMethod } from './seed-options.js'
import { addIndexes, copyOf, createCopies, dropCopies, dropLeftovers, dropSecondaryIndexes, swapIn } from './table-swap.js'

/** The live search tables, in the order they are copied and swapped. */
export const SEARCH_TABLE_LIST: readonly string[] = [SEARCH_TABLES.words, SEARCH_TABLES.vocabulary, SEARCH_TABLES.counts]

/** The copies of the search tables a replacing run fills. */
const SEARCH_COPIES: SearchTables = {
  words: copyOf(SEARCH_TABLES.words),
  vocabulary: copyOf(SEARCH_TABLES.vocabulary),
  counts: copyOf(SEARCH_TABLES.counts)
}

/** The steps of writing the search tables, each of which can take minutes on a large catalog. */
export type SearchStep = 'words' | 'word-indexes' | 'counts'

/** What the search-table writers tell about their progress (for the seeder's output). */
export interface SearchProgress {
  /** A step starts. */
  step?: (step: SearchStep) => void
  /** During `words`: products whose words are written so far. */
  products?: (products: number) => void
}

/**
 * Fills fresh copies of the search tables from the products table `from`: the word table loaded
 * without its secondary indexes, which are then built in one ALTER, then the vocabulary and
 * category counts. `control` holds the seed lock; the products are read on a connection of
 * their own.
 */
export async function buildSearchCopies (settings: MysqlSettings, control: mysql.Connection, from: string, method: LoadMethod,
  progress: SearchProgress = {}): Promise<void> {
  await createCopies(control, SEARCH_TABLE_LIST)
  const indexes = await dropSecondaryIndexes(control, SEARCH_COPIES.words)
  progress.step?.('words')
  await withConnection(settings, async (reader) => {
    await writeProductWords(reader, control, { from, into: SEARCH_COPIES.words, method, onProducts: progress.products })
  })
  progress.step?.('word-indexes')
  await addIndexes(control, SEARCH_COPIES.words, indexes)
  progress.step?.('counts')
  await refreshSearchCounts(control, from, SEARCH_COPIES)
}

/** Adds the words of the products of `from` not yet in the live word table, then refreshes the counts. */
export async function indexAppended (settings: MysqlSettings, control: mysql.Connection, from: string, method: LoadMethod,
  progress: SearchProgress = {}): Promise<void> {
  const afterId = await lastIndexedId(control, SEARCH_TABLES.words)
  progress.step?.('words')
  await withConnection(settings, async (reader) => {
    await writeProductWords(reader, control, { from, into: SEARCH_TABLES.words, afterId, method, onProducts: progress.products })
  })
  progress.step?.('counts')
  await refreshSearchCounts(control, from, SEARCH_TABLES)
}

/**
 * Rebuilds the search tables from the live products table, for a catalog written other than by
 * the seeder (the copies are filled beside the live tables and swapped in with one RENAME).
 */
export async function reindexSearch (db: DbSettings, method: LoadMethod = 'insert', progress: SearchProgress = {}): Promise<void> {
  const settings = seedSettings(db)
  const control = await connect(settings)
  try {
    await withSeedLock(control, settings.url, async () => {
      await dropLeftovers(control, SEARCH_TABLE_LIST)
      try {
        await buildSearchCopies(settings, control, 'products', method, progress)
        await swapIn(control, SEARCH_TABLE_LIST)
      } finally {
        await dropCopies(control, SEARCH_TABLE_LIST).catch(() => {})
      }
    })
  } finally {
    await control.end().catch(() => {})
  }
}
