// Every search statement (a page, facet counts) in one file: they share the full-text condition,
// and docs/EXPLAIN.md follows them shape by shape.
import type { Sort } from '../schemas/product.js'
import { parseRelevanceValue, type CatalogFilters, type CursorPosition } from './cursor.js'
import type { SearchTerm } from './search-words.js'
import { afterCondition, filterConditions } from './keyset.js'

/**
 * SQL for searches, over the InnoDB FULLTEXT index on `products.name`
 * (seed/migrations/006_fulltext_search.sql), in boolean mode: every term required (`+word`), the
 * last word of `q` also as a prefix (`+tom*`). The terms come from src/lib/search-words.ts, which
 * keeps only runs of letters and digits, so nothing of `q` reaches the boolean syntax as an
 * operator.
 *
 * The relevance sort orders by the engine's score (best first), ties by id ascending. The score
 * is rounded to a whole number of millionths (the rank), so the cursor carries an exact value
 * and `(rank, id)` is a strict order. The score depends on the whole catalog (how many products
 * hold each word), so a relevance cursor is bound to the catalog version it was read under.
 */

export interface Statement {
  sql: string
  params: string[]
}

export type SearchSortColumn = 'id' | 'price' | 'createdAt' | 'relevance'

/** The rank is the score in millionths, rounded: exact to compare, fine enough to order. */
export const RANK_SCALE = 1_000_000

const MATCH = 'MATCH(name) AGAINST(? IN BOOLEAN MODE)'
const RANK = `ROUND(${MATCH} * ${RANK_SCALE})`
const COLUMNS = 'id, name, category, price, stock, created_at'
const SORT_COLUMN: Record<Exclude<SearchSortColumn, 'relevance'>, string> = { id: 'id', price: 'price', createdAt: 'created_at' }

/** The boolean-mode query of the terms: `+organic +tom*`. */
export function booleanQuery (terms: readonly SearchTerm[]): string {
  return terms.map((t) => `+${t.word}${t.prefix ? '*' : ''}`).join(' ')
}

export function searchSortColumn (sort: Sort): SearchSortColumn {
  return sort.replace(/^-/, '') as SearchSortColumn
}

export interface SearchPageInput {
  sort: Sort
  limit: number
  filters: CatalogFilters
  after: CursorPosition | null
  terms: readonly SearchTerm[]
}

/**
 * The statement for one search page: the matching products in the sort's order, from the cursor
 * on, `limit + 1` at most (the extra row says whether a next page exists); with `sort_value`
 * (the rank) for the relevance sort.
 */
export function searchPageStatement (input: SearchPageInput): Statement {
  const against = booleanQuery(input.terms)
  const column = searchSortColumn(input.sort)
  const params: string[] = []
  // Parameters in the order of their placeholders: the select list's rank comes first.
  if (column === 'relevance') params.push(against)
  const where = [MATCH]
  params.push(against)
  filterConditions(input.filters, where, params)

  const limit = String(input.limit + 1)
  if (column === 'relevance') {
    if (input.after !== null) {
      const { rank } = parseRelevanceValue(input.after.value ?? '')
      where.push(`(${RANK} < ? OR (${RANK} = ? AND id > ?))`)
      params.push(against, rank, against, rank, String(input.after.id))
    }
    params.push(limit)
    return {
      sql: `SELECT ${COLUMNS}, ${RANK} AS sort_value FROM products WHERE ${where.join(' AND ')} ORDER BY sort_value DESC, id ASC LIMIT ?`,
      params
    }
  }

  const desc = input.sort.startsWith('-')
  const dir = desc ? 'DESC' : 'ASC'
  const col = SORT_COLUMN[column]
  // The id, price and createdAt sorts page exactly as the listing does.
  if (input.after !== null) afterCondition(column, desc, input.after, where, params)
  params.push(limit)
  const order = column === 'id' ? `id ${dir}` : `${col} ${dir}, id ${dir}`
  return { sql: `SELECT ${COLUMNS} FROM products WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ?`, params }
}

/** Per-category counts of the products matching a search (and price bounds), ordered by category. */
export function searchCategoriesStatement (filters: CatalogFilters, terms: readonly SearchTerm[]): Statement {
  const where = [MATCH]
  const params = [booleanQuery(terms)]
  const { category: _ignored, ...prices } = filters
  filterConditions(prices, where, params)
  return {
    sql: `SELECT category, COUNT(*) AS count FROM products WHERE ${where.join(' AND ')} GROUP BY category ORDER BY category`,
    params
  }
}

/** Per-category counts without a search: the maintained counts, or a scan of a price range. */
export function categoriesStatement (filters: CatalogFilters): Statement {
  if (filters.minPrice === undefined && filters.maxPrice === undefined) {
    return { sql: 'SELECT category, products AS count FROM category_counts WHERE products > 0 ORDER BY category', params: [] }
  }
  const where: string[] = []
  const params: string[] = []
  filterConditions(filters, where, params)
  return {
    sql: `SELECT category, COUNT(*) AS count FROM products WHERE ${where.join(' AND ')} GROUP BY category ORDER BY category`,
    params
  }
}
