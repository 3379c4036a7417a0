import { createHash } from 'node:crypto'
import createError from '@fastify/error'
import { ALL_SORTS, type Sort } from '../schemas/product.js'

/**
 * Opaque page cursors.
 *
 * A cursor is the base64url form of `1|<sort>|<sort value>|<id>|<filter digest>`:
 * - `1` is the format version;
 * - the sort value and id are those of the last row of the page (the keyset position); the sort
 *   value is empty for the id sorts, `12345.67` for the price sorts, an ISO instant with
 *   milliseconds for the createdAt sorts and, for `relevance`, `<rank>~<catalog version>`: the
 *   full-text rank (the engine's score × 10⁶, rounded) and the catalog version it was read
 *   under (ranks move when the catalog changes, so such a cursor is only good for that version);
 * - the filter digest binds the cursor to the normalised filters, search terms and sort it was issued for, so
 *   that a cursor replayed with other filters is refused instead of answering a wrong page.
 *
 * Decoding is strict: the text must be canonical base64url of exactly that shape, every part is
 * checked against its own pattern, so a cursor either decodes to a valid position or is a 400.
 * Cursors are not secret: forging one only moves the reader to another valid position.
 */

export const InvalidCursorError = createError('FL_INVALID_CURSOR', 'Invalid cursor: %s', 400)

/** The filters a page is computed from, normalised (see keyset.ts). */
export interface CatalogFilters {
  category?: string
  /** Inclusive lower bound in cents precision, canonical `123.45` form. */
  minPrice?: string
  /** Inclusive upper bound in cents precision, canonical `123.45` form. */
  maxPrice?: string
  /** The search terms in canonical form (`organic tom*`), when searching. */
  q?: string
}

/** The keyset position after which the next page starts. */
export interface CursorPosition {
  /** The last row's sort value (`null` for the id sorts). */
  value: string | null
  id: number
}

export interface CursorPayload extends CursorPosition {
  sort: Sort
  digest: string
}

const VERSION = '1'
const MAX_LENGTH = 512
const BASE64URL = /^[A-Za-z0-9_-]+$/
const ID = /^[1-9][0-9]{0,15}$/
const DIGEST = /^[A-Za-z0-9_-]{16}$/
const PRICE = /^(?:0|[1-9][0-9]{0,7})\.[0-9]{2}$/
const RELEVANCE = /^(?:0|[1-9][0-9]{0,14})~(?:0|[1-9][0-9]{0,15})$/
const INSTANT = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/

/** The columns of the plain listing's sorts. */
export type SortColumn = 'id' | 'price' | 'createdAt'
/** What a cursor's sort value can be: a listing column, or the relevance key of a search. */
export type CursorColumn = SortColumn | 'relevance'

export function cursorColumn (sort: Sort): CursorColumn {
  return sort.replace(/^-/, '') as CursorColumn
}

/** The column of a listing sort; `relevance` is only ever answered by the search path. */
export function sortColumn (sort: Sort): SortColumn {
  const column = cursorColumn(sort)
  if (column === 'relevance') throw new TypeError('relevance is a search sort; it has no column in products')
  return column
}

/**
 * Digest of the normalised filters and sort. Only equality matters (it is compared, never
 * inverted); 96 bits keep accidental collisions out of reach.
 */
export function filterDigest (sort: Sort, filters: CatalogFilters): string {
  const parts: Array<string | null> = [sort, filters.category ?? null, filters.minPrice ?? null, filters.maxPrice ?? null]
  // Listings without a search keep the digest they always had (cursors issued before q existed stay valid).
  if (filters.q !== undefined) parts.push(filters.q)
  const canonical = JSON.stringify(parts)
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16)
}

/** The sort value of a relevance cursor: the row's rank and the catalog version it was read under. */
export function relevanceValue (rank: number, version: string): string {
  return `${rank}~${version}`
}

export function parseRelevanceValue (value: string): { rank: string, version: string } {
  const [rank, version] = value.split('~')
  return { rank, version }
}

/** Whether a cursor's sort value has exactly the shape its sort column produces. */
export function validSortValue (column: CursorColumn, value: string | null): boolean {
  switch (column) {
    case 'id': return value === null
    case 'price': return value !== null && PRICE.test(value)
    case 'relevance': return value !== null && RELEVANCE.test(value)
    case 'createdAt': {
      if (value === null || !INSTANT.test(value)) return false
      const time = Date.parse(value)
      return Number.isFinite(time) && new Date(time).toISOString() === value
    }
  }
}

export function encodeCursor (payload: CursorPayload): string {
  if (!validSortValue(cursorColumn(payload.sort), payload.value)) {
    throw new TypeError(`invalid ${payload.sort} cursor value: ${String(payload.value)}`)
  }
  if (!Number.isSafeInteger(payload.id) || payload.id < 1) throw new TypeError(`invalid cursor id: ${payload.id}`)
  const text = [VERSION, payload.sort, payload.value ?? '', String(payload.id), payload.digest].join('|')
  return Buffer.from(text, 'utf8').toString('base64url')
}

/** Decodes a cursor; any deviation from the exact format is an InvalidCursorError (400). */
export function decodeCursor (raw: string): CursorPayload {
  const malformed = (): Error => new InvalidCursorError('it is malformed; use the nextCursor of a previous page unchanged')
  if (raw.length === 0 || raw.length > MAX_LENGTH || !BASE64URL.test(raw)) throw malformed()
  const bytes = Buffer.from(raw, 'base64url')
  // Canonical form only: the same position always has the same cursor text.
  if (bytes.toString('base64url') !== raw) throw malformed()
  const text = bytes.toString('utf8')
  const parts = text.split('|')
  if (parts.length !== 5) throw malformed()
  const [version, sort, value, id, digest] = parts
  if (version !== VERSION || !(ALL_SORTS as readonly string[]).includes(sort)) throw malformed()
  if (!ID.test(id) || !Number.isSafeInteger(Number(id)) || !DIGEST.test(digest)) throw malformed()
  const typedSort = sort as Sort
  const typedValue = value === '' ? null : value
  if (!validSortValue(cursorColumn(typedSort), typedValue)) throw malformed()
  return { sort: typedSort, value: typedValue, id: Number(id), digest }
}

/**
 * Decodes `raw` and checks it belongs to this sort and these filters; returns the position to
 * continue from. Every failure is a 400 naming what is wrong.
 */
export function readCursor (raw: string, sort: Sort, digest: string): CursorPosition {
  const cursor = decodeCursor(raw)
  if (cursor.sort !== sort) {
    throw new InvalidCursorError(`it was issued for sort=${cursor.sort}, not sort=${sort}`)
  }
  if (cursor.digest !== digest) {
    throw new InvalidCursorError('it was issued for other filters; keep q, category, minPrice and maxPrice unchanged while paging')
  }
  return { value: cursor.value, id: cursor.id }
}
