import { test } from 'tap'
import fc from 'fast-check'
import { isIndexed, nameWords, parseSearch } from '../../src/lib/search-words.js'
import { decodeCursor, encodeCursor } from '../../src/lib/cursor.js'
import { normaliseListQuery } from '../../src/lib/keyset.js'
import { expandTerms, matchesNothing, searchPageStatement, vocabularyStatement, MAX_EXPANSIONS } from '../../src/lib/search-sql.js'

test('nameWords keeps the distinct words of 3+ letters or digits, lower case, without stop words', async (t) => {
  t.same(nameWords('Organic Tomatoes 1kg'), ['organic', 'tomatoes', '1kg'])
  t.same(nameWords('Omega-3 Eggs 6 pcs'), ['omega', 'eggs', 'pcs'])
  t.same(nameWords('Tea with the Milk of A2 cows, the best'), ['tea', 'milk', 'cows', 'best'])
  t.same(nameWords('Fresh Fresh Cream'), ['fresh', 'cream'])
  t.same(nameWords('Café Crème 日本茶'), ['café', 'crème', '日本茶'])
  t.equal(isIndexed('x'.repeat(84)), true)
  t.equal(isIndexed('x'.repeat(85)), false)
})

test('parseSearch: whole words, the last word as a prefix, one canonical spelling', async (t) => {
  t.same(parseSearch('organic tom').terms, [{ word: 'organic', prefix: false }, { word: 'tom', prefix: true }])
  t.equal(parseSearch('Organic   TOM!').canonical, 'organic tom*')
  t.equal(parseSearch('tom organic').canonical, 'organic* tom')
  t.equal(parseSearch('organic to').canonical, 'organic', 'an ignored last word leaves the others whole')
  t.equal(parseSearch('tom tom').canonical, 'tom', 'a word both whole and prefix is kept whole')
  t.equal(parseSearch('the organic').canonical, 'organic*')
  for (const q of ['a', 'to be', 'the with from', '  ', '!!', '%_']) {
    t.throws(() => parseSearch(q), { statusCode: 400, message: /no word to search for/ }, JSON.stringify(q))
  }
  fc.assert(fc.property(fc.string({ maxLength: 100 }), (q) => {
    try {
      const parsed = parseSearch(q)
      return parsed.terms.length > 0 && parsed.terms.every((x) => isIndexed(x.word) && /^[\p{L}\p{N}]+$/u.test(x.word))
    } catch (err) {
      return (err as { statusCode?: number }).statusCode === 400
    }
  }), { numRuns: 2000 })
})

test('relevance: default with q, refused without; cursors carry the relevance key and are bound to q', async (t) => {
  t.equal(normaliseListQuery({ q: 'organic' }).sort, 'relevance')
  t.equal(normaliseListQuery({}).sort, 'id')
  t.throws(() => normaliseListQuery({ sort: 'relevance' }), { statusCode: 400, message: /needs a search/ })
  const q = normaliseListQuery({ q: 'organic tom' })
  const cursor = encodeCursor({ sort: 'relevance', value: '3', id: 42, digest: q.digest })
  t.same(decodeCursor(cursor), { sort: 'relevance', value: '3', id: 42, digest: q.digest })
  t.same(normaliseListQuery({ q: 'Organic,  TOM', cursor }).after, { value: '3', id: 42 }, 'another spelling of the same search accepts the cursor')
  t.throws(() => normaliseListQuery({ q: 'tom organic', cursor }), { message: /other filters/ }, 'another last word (prefix) is another search')
  t.throws(() => normaliseListQuery({ q: 'organic tomatoes', cursor }), { statusCode: 400, message: /other filters/ })
  t.throws(() => encodeCursor({ sort: 'relevance', value: '1.5', id: 1, digest: q.digest }))
  t.throws(() => decodeCursor(Buffer.from(`1|relevance|x|1|${q.digest}`).toString('base64url')), { message: /malformed/ })
  t.not(normaliseListQuery({ sort: 'id' }).digest, normaliseListQuery({ sort: 'id', q: 'organic' }).digest)
})

test('search SQL: vocabulary per term, rarest term drives, wide prefixes read as one range', async (t) => {
  const terms = parseSearch('organic tom').terms
  const vocab = vocabularyStatement(terms)
  t.same(vocab.params, ['organic', 'tom%'])
  const expanded = expandTerms(terms, [
    { term: 0, word: 'organic', products: 1000 },
    { term: 1, word: 'tomato', products: 40 },
    { term: 1, word: 'tomatoes', products: 60 }
  ])
  t.equal(matchesNothing(expanded), false)
  const page = searchPageStatement({ sort: 'price', limit: 20, filters: {}, after: null, expanded })
  t.match(page.sql, /UNION/, 'a prefix of two words is a union of two ranges')
  t.same(page.params.slice(0, 2), ['tomato', 'organic'], 'the rarer term drives, the other is checked')
  t.equal(matchesNothing(expandTerms(terms, [{ term: 1, word: 'tomato', products: 1 }])), true)
  const wide = expandTerms(parseSearch('zes').terms,
    Array.from({ length: MAX_EXPANSIONS + 1 }, (_, i) => ({ term: 0, word: `zest${i}`, products: 1 })))
  t.equal(wide[0].words, null)
  t.match(searchPageStatement({ sort: 'id', limit: 20, filters: {}, after: null, expanded: wide }).sql, /LIKE \?/)
})
