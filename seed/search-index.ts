// The search structures derived from the catalog (seed/migrations/004_search.sql):
// `product_words` (a row per distinct indexed word of each name), `search_words` (products per
// word) and `category_counts` (products per category), written from the products table itself so
// they hold exactly what it holds. seed/search-rebuild.ts decides when and into which tables.
import { Readable } from 'node:stream'
import mysql from 'mysql2/promise'
import { nameWords } from '../src/lib/search-words.js'
import { loadDataLocal } from './load-data.js'
import { tsvLine } from './product-rows.js'
import type { LoadMethod } from './seed-options.js'

export const SEARCH_TABLES = { words: 'product_words', vocabulary: 'search_words', counts: 'category_counts' } as const

export interface SearchTables {
  words: string
  vocabulary: string
  counts: string
}

const WORD_COLUMNS = ['word', 'product_id', 'category', 'price', 'created_at', 'name_words'] as const
/** Products read per round trip while indexing. */
const READ_CHUNK = 20_000
/** Word rows per INSERT statement when LOAD DATA is not available. */
const INSERT_ROWS = 5_000

/** word, product_id, category, price, created_at, name_words */
type WordRow = [string, string, string, string, string, number]

interface ProductRow extends mysql.RowDataPacket {
  id: number | string
  name: string
  category: string
  price: string
  created: string
}

/**
 * Pages through `from` by id (ids above `afterId`) on `reader`, and yields the word rows of each
 * page of products; `onProducts` hears the running count of products read.
 */
async function * wordRows (reader: mysql.Connection, from: string, afterId: number,
  onProducts?: (products: number) => void): AsyncGenerator<WordRow[]> {
  let last = afterId
  let read = 0
  for (;;) {
    const [products] = await reader.query<ProductRow[]>(
      `SELECT id, name, category, price, CAST(created_at AS CHAR) AS created FROM ${mysql.escapeId(from)} WHERE id > ? ORDER BY id LIMIT ?`,
      [last, READ_CHUNK])
    if (products.length === 0) return
    const rows: WordRow[] = []
    for (const p of products) {
      const words = nameWords(p.name)
      const id = String(p.id)
      for (const w of words) rows.push([w, id, p.category, String(p.price), p.created, words.length])
    }
    last = Number(products[products.length - 1].id)
    read += products.length
    onProducts?.(read)
    yield rows
  }
}

export interface WriteWordsOptions {
  /** Products table to read. */
  from: string
  /** Word table to append to. */
  into: string
  /** Index only products with a greater id. */
  afterId?: number
  /** LOAD DATA LOCAL INFILE (fast) or multi-row INSERTs (works everywhere). */
  method: LoadMethod
  /** Called after each page of products is read, with the number of products read so far. */
  onProducts?: (products: number) => void
}

/**
 * Appends the word rows of the products of `from` (ids above `afterId`) to `into`. `reader`
 * reads products while `writer` writes words, so the two must be different connections.
 * Returns the number of word rows written.
 */
export async function writeProductWords (reader: mysql.Connection, writer: mysql.Connection, options: WriteWordsOptions): Promise<number> {
  const source = wordRows(reader, options.from, options.afterId ?? 0, options.onProducts)
  let written = 0
  if (options.method === 'insert') {
    const insert = `INSERT INTO ${mysql.escapeId(options.into)} (${WORD_COLUMNS.map((c) => mysql.escapeId(c)).join(', ')}) VALUES ?`
    for await (const rows of source) {
      for (let i = 0; i < rows.length; i += INSERT_ROWS) {
        await writer.query(insert, [rows.slice(i, i + INSERT_ROWS)])
      }
      written += rows.length
    }
    return written
  }
  const stream = new Readable({
    highWaterMark: 256 * 1024,
    read () {
      source.next().then((next) => {
        if (next.done === true) { stream.push(null); return }
        written += next.value.length
        stream.push(Buffer.from(next.value.map(tsvLine).join(''), 'utf8'))
      }, (err: Error) => { stream.destroy(err) })
    }
  })
  await loadDataLocal(writer, { table: options.into, columns: WORD_COLUMNS, file: 'farmlokal-product-words.tsv', stream, sent: () => written })
  return written
}

/**
 * Recomputes the vocabulary and the category counts from `words` and `products` (in one
 * transaction, so readers see the old or the new figures, never a mix).
 */
export async function refreshSearchCounts (conn: mysql.Connection, products: string, tables: SearchTables): Promise<void> {
  await conn.beginTransaction()
  try {
    await conn.query(`DELETE FROM ${mysql.escapeId(tables.vocabulary)}`)
    await conn.query(`INSERT INTO ${mysql.escapeId(tables.vocabulary)} (word, products)
      SELECT word, COUNT(*) FROM ${mysql.escapeId(tables.words)} GROUP BY word`)
    await conn.query(`DELETE FROM ${mysql.escapeId(tables.counts)}`)
    await conn.query(`INSERT INTO ${mysql.escapeId(tables.counts)} (category, products)
      SELECT category, COUNT(*) FROM ${mysql.escapeId(products)} GROUP BY category`)
    await conn.commit()
  } catch (err) {
    await conn.rollback().catch(() => {})
    throw err
  }
}

/** The highest product id present in the word table (0 when empty). */
export async function lastIndexedId (conn: mysql.Connection, words: string): Promise<number> {
  const [[row]] = await conn.query<mysql.RowDataPacket[]>(`SELECT MAX(product_id) AS id FROM ${mysql.escapeId(words)}`)
  return row.id === null ? 0 : Number(row.id)
}
