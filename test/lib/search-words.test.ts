import { test } from 'tap'
import fc from 'fast-check'
import { isIndexed, nameWords, parseSearch } from '../../src/lib/search-words.js'
import { decodeCursor, encodeCursor } from '../../src/lib/cursor.js'
import { normaliseListQuery } from '../../src/lib/keyset.js'
import { booleanQuery, searchCategoriesStatement, searchPageStatement } from '../../src/lib/search-sql.js'

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

test('relevance: default with q, refused without; cursors carry rank and catalog version and are bound to q', async (t) => {
  t.equal(normaliseListQuery({ q: 'organic' }).sort, 'relevance')
  t.equal(normaliseListQuery({}).sort, 'id')
  t.throws(() => normaliseListQuery({ sort: 'relevance' }), { statusCode: 400, message: /needs a search/ })
  const q = normaliseListQuery({ q: 'organic tom' })
  const cursor = encodeCursor({ sort: 'relevance', value: '31008~7', id: 42, digest: q.digest })
  t.same(decodeCursor(cursor), { sort: 'relevance', value: '31008~7', id: 42, digest: q.digest })
  t.same(normaliseListQuery({ q: 'Organic,  TOM', cursor }).after, { value: '31008~7', id: 42 }, 'another spelling of the same search accepts the cursor')
  t.throws(() => normaliseListQuery({ q: 'tom organic', cursor }), { message: /other filters/ }, 'another last word (prefix) is another search')
  t.throws(() => normaliseListQuery({ q: 'organic tomatoes', cursor }), { statusCode: 400, message: /other filters/ })
  for (const value of ['1.5', '3', '3~', '~3', '-1~2', '01~2', '1~02', '1~2~3']) {
    t.throws(() => encodeCursor({ sort: 'relevance', value, id: 1, digest: q.digest }), /invalid relevance cursor value/, value)
  }
  t.throws(() => decodeCursor(Buffer.from(`1|relevance|x|1|${q.digest}`).toString('base64url')), { message: /malformed/ })
  t.not(normaliseListQuery({ sort: 'id' }).digest, normaliseListQuery({ sort: 'id', q: 'organic' }).digest)
})

test('search SQL: one FULLTEXT condition in boolean mode, every term required, the last also as a prefix', async (t) => {
  const terms = parseSearch('Organic tom').terms
  t.equal(booleanQuery(terms), '+organic +tom*')
  fc.assert(fc.property(fc.string({ maxLength: 100 }), (q) => {
    let parsed
    try { parsed = parseSearch(q) } catch { return true }
    // Only required words and one trailing wildcard: no operator of the boolean syntax from q.
    return /^\+[\p{L}\p{N}]+\*?(?: \+[\p{L}\p{N}]+\*?)*$/u.test(booleanQuery(parsed.terms))
  }), { numRuns: 1000 })

  const byPrice = searchPageStatement({ sort: '-price', limit: 20, filters: { category: 'fruits', minPrice: '10.00' }, after: { value: '12.50', id: 9 }, terms })
  t.match(byPrice.sql, /WHERE MATCH\(name\) AGAINST\(\? IN BOOLEAN MODE\) AND category = \? AND price >= \? AND \(price < \? OR \(price = \? AND id < \?\)\) ORDER BY price DESC, id DESC LIMIT \?$/)
  t.same(byPrice.params, ['+organic +tom*', 'fruits', '10.00', '12.50', '12.50', '9', '21'])

  const byRank = searchPageStatement({ sort: 'relevance', limit: 5, filters: {}, after: { value: '31008~7', id: 9 }, terms })
  t.match(byRank.sql, /ROUND\(MATCH\(name\) AGAINST\(\? IN BOOLEAN MODE\) \* 1000000\) AS sort_value/)
  t.match(byRank.sql, /ORDER BY sort_value DESC, id ASC LIMIT \?$/)
  t.same(byRank.params, ['+organic +tom*', '+organic +tom*', '+organic +tom*', '31008', '+organic +tom*', '31008', '9', '6'],
    'placeholders in text order: the select list\'s rank first, the rank (not the version) from the cursor')
  t.equal((byRank.sql.match(/\?/g) ?? []).length, byRank.params.length)

  const counts = searchCategoriesStatement({ category: 'ignored', maxPrice: '30.00' }, terms)
  t.match(counts.sql, /^SELECT category, COUNT\(\*\) AS count FROM products WHERE MATCH\(name\) AGAINST\(\? IN BOOLEAN MODE\) AND price <= \? GROUP BY category ORDER BY category$/)
  t.same(counts.params, ['+organic +tom*', '30.00'], 'counts per category ignore a category filter')
})
