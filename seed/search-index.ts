// The structure derived from the catalog besides its own indexes (seed/migrations/004_search.sql):
// `category_counts`, the products per category, written from the products table itself so it
// holds exactly what that holds. (Search reads the FULLTEXT index of products directly.)
// seed/search-rebuild.ts decides when and into which table.
import mysql from 'mysql2/promise'

export const SEARCH_TABLES = { counts: 'category_counts' } as const

export interface SearchTables {
  counts: string
}

/** Recomputes the category counts from `products` (in one transaction: readers see the old or the new figures). */
export async function refreshSearchCounts (conn: mysql.Connection, products: string, tables: SearchTables): Promise<void> {
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
