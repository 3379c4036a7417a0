// One file on purpose: every search statement (vocabulary, page, facet counts) shares the same
// term expansion and index choices, and docs/EXPLAIN.md follows it shape by shape.
import type { Sort } from '../schemas/product.js'
import type { CatalogFilters, CursorPosition } from './cursor.js'
import type { SearchTerm } from './search-words.js'
import { toSqlDatetime } from './keyset.js'

/**
 * SQL for searches, over the word table of seed/migrations/004_search.sql.
 *
 * 1. The vocabulary statement expands each term: a whole word to itself (when some product
 *    holds it), the last word of `q` to every indexed word it starts, with the number of
 *    products holding each.
 * 2. The term with the fewest products drives the page: its words' ranges of `product_words`
 *    are read in the sort's index (`(word, <sort column>, product_id)`) from the cursor on, the
 *    filters checked on the index entries, every other term checked by primary-key lookups
 *    (`(word, product_id)`), and the scan stops after `limit + 1` matches. A term of several
 *    words is the UNION of one such range per word, each stopping after `limit + 1` rows.
 *    A prefix starting more than MAX_EXPANSIONS words reads the words' range once
 *    (`word LIKE 'pre%'`) and sorts its matches: exact, but its cost grows with the matches.
 * 3. Only the page's rows are then read from `products`, by primary key.
 *
 * The relevance key is the number of indexed words in the name, fewest first: with every term
 * required, the fewer other words a name holds, the larger the share of it the query matched.
 * It is a property of the product like its price, so a relevance cursor stays exact whatever
 * else changes in the catalog.
 */

/** Expansions of one prefix beyond which its words are read as one range. */
export const MAX_EXPANSIONS = 32

export type SearchSortColumn = 'id' | 'price' | 'createdAt' | 'relevance'

export interface ExpandedTerm {
  term: SearchTerm
  /** The words this term matches (empty: nothing matches), or null when there are too many to list. */
  words: string[] | null
  /** Products holding any of the words (a lower bound when `words` is null). */
  products: number
}

export interface VocabularyRow {
  term: number
  word: string
  products: number
}

export interface Statement {
  sql: string
  params: string[]
}

/** One statement reading the vocabulary rows of every term (`term` is the term's index). */
export function vocabularyStatement (terms: SearchTerm[]): Statement {
  const parts: string[] = []
  const params: string[] = []
  terms.forEach((t, i) => {
    if (t.prefix) {
      parts.push(`(SELECT ${i} AS term, word, products FROM search_words WHERE word LIKE ? ORDER BY word LIMIT ${MAX_EXPANSIONS + 1})`)
      params.push(`${likeEscape(t.word)}%`)
    } else {
      parts.push(`(SELECT ${i} AS term, word, products FROM search_words WHERE word = ?)`)
      params.push(t.word)
    }
  })
  return { sql: parts.join(' UNION ALL '), params }
}

/** LIKE pattern text matching `text` literally (words hold only letters and digits; this is a guard). */
function likeEscape (text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

export function expandTerms (terms: SearchTerm[], rows: VocabularyRow[]): ExpandedTerm[] {
  return terms.map((term, i) => {
    const mine = rows.filter((r) => Number(r.term) === i)
    const products = mine.reduce((n, r) => n + Number(r.products), 0)
    const words = mine.length > MAX_EXPANSIONS ? null : mine.map((r) => String(r.word))
    return { term, words, products }
  })
}

/** Whether some term matches no word at all (the search then matches nothing). */
export function matchesNothing (expanded: ExpandedTerm[]): boolean {
  return expanded.some((e) => e.words !== null && e.words.length === 0)
}

/** The driving term (fewest products; a term too wide to list only when nothing else is there) and the others. */
function splitDrive (expanded: ExpandedTerm[]): { drive: ExpandedTerm, checks: ExpandedTerm[] } {
  const rank = (e: ExpandedTerm): number => e.words === null ? Number.MAX_SAFE_INTEGER : e.products
  const sorted = [...expanded].sort((a, b) => rank(a) - rank(b))
  return { drive: sorted[0], checks: sorted.slice(1) }
}

/** `x.word IN (...)` or `x.word LIKE 'pre%'` for one term, on table alias `alias`. */
function wordCondition (alias: string, e: ExpandedTerm, params: string[]): string {
  if (e.words === null) {
    params.push(`${likeEscape(e.term.word)}%`)
    return `${alias}.word LIKE ?`
  }
  params.push(...e.words)
  return e.words.length === 1 ? `${alias}.word = ?` : `${alias}.word IN (${e.words.map(() => '?').join(', ')})`
}

/** Conditions every candidate row `w` must meet besides its word: filters and the other terms. */
function candidateConditions (filters: CatalogFilters, checks: ExpandedTerm[], params: string[]): string[] {
  const where: string[] = []
  if (filters.category !== undefined) { where.push('w.category = ?'); params.push(filters.category) }
  if (filters.minPrice !== undefined) { where.push('w.price >= ?'); params.push(filters.minPrice) }
  if (filters.maxPrice !== undefined) { where.push('w.price <= ?'); params.push(filters.maxPrice) }
  for (const c of checks) {
    // A correlated lookup per candidate in the (word, product_id) index, whose entries for one
    // word are contiguous (the primary key spreads them over the whole table: 2.9 s instead of
    // 0.4 s for 20k candidates at 1M rows). Written as a scalar subquery with LIMIT rather than
    // EXISTS: MariaDB turns EXISTS into a semi-join and may then drive from the commoner term.
    where.push(`(SELECT 1 FROM product_words x FORCE INDEX (idx_words_id) WHERE ${wordCondition('x', c, params)} AND x.product_id = w.product_id LIMIT 1) IS NOT NULL`)
  }
  return where
}

const SORT_INDEX: Record<SearchSortColumn, { column: string, index: string }> = {
  id: { column: 'product_id', index: 'idx_words_id' },
  price: { column: 'price', index: 'idx_words_price' },
  createdAt: { column: 'created_at', index: 'idx_words_created' },
  relevance: { column: 'name_words', index: 'idx_words_rank' }
}

export function searchSortColumn (sort: Sort): SearchSortColumn {
  return sort.replace(/^-/, '') as SearchSortColumn
}

export interface SearchPageInput {
  sort: Sort
  limit: number
  filters: CatalogFilters
  after: CursorPosition | null
  expanded: ExpandedTerm[]
}

/**
 * The statement for one search page: rows of `products` plus `sort_value` (the row's relevance
 * key for the relevance sort), in the page's order, `limit + 1` at most.
 */
export function searchPageStatement (input: SearchPageInput): Statement {
  const { drive, checks } = splitDrive(input.expanded)
  const column = searchSortColumn(input.sort)
  const desc = input.sort.startsWith('-')
  const dir = desc ? 'DESC' : 'ASC'
  const op = desc ? '<' : '>'
  const { column: col, index } = SORT_INDEX[column]
  const order = (prefix: string): string => column === 'id'
    ? `${prefix}product_id ${dir}`
    : `${prefix}sort_value ${dir}, ${prefix}product_id ${dir}`
  const rowOrder = column === 'id' ? `w.product_id ${dir}` : `w.${col} ${dir}, w.product_id ${dir}`
  const limit = String(input.limit + 1)

  /** One ordered range of the word table (a word, or a LIKE range) with every condition. */
  const range = (wordSql: string, wordParams: string[], params: string[], ordered: boolean): string => {
    params.push(...wordParams)
    const where = [wordSql, ...candidateConditions(input.filters, checks, params)]
    if (input.after !== null) {
      const id = String(input.after.id)
      if (column === 'id') {
        where.push(`w.product_id ${op} ?`)
        params.push(id)
      } else {
        const value = column === 'createdAt' ? toSqlDatetime(input.after.value ?? '') : input.after.value ?? ''
        where.push(`(w.${col} ${op} ? OR (w.${col} = ? AND w.product_id ${op} ?))`)
        params.push(value, value, id)
      }
    }
    params.push(limit)
    const hint = ordered ? ` FORCE INDEX (${index})` : ''
    const distinct = ordered ? '' : 'DISTINCT '
    // With DISTINCT the order names the selected columns (MySQL 8 insists on it).
    const orderBy = ordered ? rowOrder : order('')
    return `SELECT ${distinct}w.product_id, w.${col} AS sort_value FROM product_words w${hint} WHERE ${where.join(' AND ')} ORDER BY ${orderBy} LIMIT ?`
  }

  const params: string[] = []
  let keys: string
  if (drive.words === null) {
    keys = range('w.word LIKE ?', [`${likeEscape(drive.term.word)}%`], params, false)
  } else if (drive.words.length === 1) {
    keys = range('w.word = ?', [drive.words[0]], params, true)
  } else {
    const parts = drive.words.map((word) => `(${range('w.word = ?', [word], params, true)})`)
    keys = `${parts.join(' UNION ')} ORDER BY ${order('')} LIMIT ?`
    params.push(limit)
  }
  const sql = 'SELECT p.id, p.name, p.category, p.price, p.stock, p.created_at, k.sort_value' +
    ` FROM (${keys}) AS k STRAIGHT_JOIN products p ON p.id = k.product_id ORDER BY ${order('k.')}`
  return { sql, params }
}

/**
 * Per-category counts of the products matching a search (and price bounds), ordered by category.
 * A product holding several words of the driving term is counted once.
 */
export function searchCategoriesStatement (filters: CatalogFilters, expanded: ExpandedTerm[]): Statement {
  const { drive, checks } = splitDrive(expanded)
  const params: string[] = []
  const word = wordCondition('w', drive, params)
  const { category: _ignored, ...prices } = filters
  const where = [word, ...candidateConditions(prices, checks, params)]
  const count = drive.words !== null && drive.words.length === 1 ? 'COUNT(*)' : 'COUNT(DISTINCT w.product_id)'
  return {
    sql: `SELECT w.category AS category, ${count} AS count FROM product_words w WHERE ${where.join(' AND ')} GROUP BY w.category ORDER BY w.category`,
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
  if (filters.minPrice !== undefined) { where.push('price >= ?'); params.push(filters.minPrice) }
  if (filters.maxPrice !== undefined) { where.push('price <= ?'); params.push(filters.maxPrice) }
  return {
    sql: `SELECT category, COUNT(*) AS count FROM products WHERE ${where.join(' AND ')} GROUP BY category ORDER BY category`,
    params
  }
}
