import createError from '@fastify/error'

/**
 * The words of product names and of search queries.
 *
 * A word is a maximal run of letters and digits (Unicode), compared in lower case. Words shorter
 * than 3 characters, longer than 84, and the stop words below are not indexed and are ignored in
 * a query: the same rules as the InnoDB FULLTEXT parser with its defaults
 * (`innodb_ft_min_token_size=3`, `innodb_ft_max_token_size=84`, the default stop word list), so
 * a query asks for exactly the words the FULLTEXT index holds (see search-sql.ts).
 */

export const MIN_WORD_LENGTH = 3
export const MAX_WORD_LENGTH = 84

/** InnoDB's default stop word list (INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD). */
export const STOP_WORDS: ReadonlySet<string> = new Set([
  'a', 'about', 'an', 'are', 'as', 'at', 'be', 'by', 'com', 'de', 'en', 'for', 'from', 'how', 'i',
  'in', 'is', 'it', 'la', 'of', 'on', 'or', 'that', 'the', 'this', 'to', 'was', 'what', 'when',
  'where', 'who', 'will', 'with', 'und', 'www'
])

const WORD = /[\p{L}\p{N}]+/gu

function tokens (text: string): string[] {
  return text.toLowerCase().match(WORD) ?? []
}

/** Whether a lower-case token is indexed (long enough, not too long, not a stop word). */
export function isIndexed (token: string): boolean {
  const length = [...token].length
  return length >= MIN_WORD_LENGTH && length <= MAX_WORD_LENGTH && !STOP_WORDS.has(token)
}

/** The distinct indexed words of a name, in order of first appearance. */
export function nameWords (name: string): string[] {
  return [...new Set(tokens(name).filter(isIndexed))]
}

export const InvalidSearchError = createError('FL_INVALID_SEARCH', '%s', 400)

/** One required term of a search: a whole word, or (the last word of `q`) a word prefix. */
export interface SearchTerm {
  word: string
  prefix: boolean
}

export interface ParsedSearch {
  terms: SearchTerm[]
  /**
   * The terms in one canonical spelling (`organic tom*`): equal for queries that match the same
   * rows whatever their case, spacing, punctuation or word order. Cursors and cache keys use it.
   */
  canonical: string
}

/**
 * Parses `q`: every indexed word must appear in the name as a whole word, except the last word
 * of `q`, which matches any name word it starts (type-ahead). A word that is ignored (short or a
 * stop word) is simply dropped, also in the last position. No word left is a 400.
 */
export function parseSearch (q: string): ParsedSearch {
  const all = tokens(q)
  const last = all.length - 1
  const byWord = new Map<string, SearchTerm>()
  all.forEach((token, i) => {
    if (!isIndexed(token)) return
    const prefix = i === last
    const known = byWord.get(token)
    // A whole word asks more than the same word as a prefix: keep the stricter term.
    if (known === undefined || (known.prefix && !prefix)) byWord.set(token, { word: token, prefix })
  })
  if (byWord.size === 0) {
    throw new InvalidSearchError(
      `querystring/q has no word to search for: words need ${MIN_WORD_LENGTH} or more letters or digits, and common words such as "the" or "with" are ignored (got ${JSON.stringify(q)})`)
  }
  const terms = [...byWord.values()].sort((a, b) => a.word < b.word ? -1 : a.word > b.word ? 1 : 0)
  return { terms, canonical: terms.map((t) => t.prefix ? `${t.word}*` : t.word).join(' ') }
}
