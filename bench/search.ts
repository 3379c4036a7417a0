// Search and facet latency on a large seeded catalog: uncached search pages (the catalog's
// database path, one request at a time) for a rare word, a common word under several sorts,
// first page and 90% deep, and GET /api/categories cached (through the service, Redis) and
// uncached. `npm run bench` calls runSearchBench; alone:
//
//   npx tsx bench/search.ts [--mysql-url mysql://root@127.0.0.1:3306/farmlokal] [--iterations 200]
import Fastify from 'fastify'
import mysqlPlugin, { mysqlOptions, type Row } from '../plugins/mysql.js'
import { catalogReads } from '../src/lib/catalog-reads.js'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import type { ProductListQuery, Sort } from '../src/schemas/product.js'
import { encodeCursor, relevanceValue } from '../src/lib/cursor.js'
import { normaliseListQuery } from '../src/lib/keyset.js'
import { nameWords, parseSearch } from '../src/lib/search-words.js'
import { booleanQuery, RANK_SCALE } from '../src/lib/search-sql.js'
import { argValue, markdownTable, percentile, round, writeResult, formatCount } from './support.js'

export interface SearchBenchOptions {
  mysqlUrl: string
  redisUrl?: string
  iterations?: number
  log?: (line: string) => void
}

export interface SearchRow {
  scenario: string
  q: string
  sort: string
  /** Position of the page's first row among the matches. */
  offset: number
  matches: number
  /** Requests measured. */
  samples?: number
  p50: number
  p95: number
  p99: number
}

export interface SearchGoal { goal: string, measured: string, met: 'yes' | 'no' }

export interface SearchBenchResult {
  catalogRows: number
  iterations: number
  rows: SearchRow[]
  goals: SearchGoal[]
  markdown: string
}

const SORT_KEY: Record<string, string> = { id: 'id', price: 'price', createdAt: 'created_at', relevance: 'sort_value' }
/** Time spent measuring one row at most (beyond MIN_SAMPLES requests). */
const ROW_BUDGET_MS = 15_000
const MIN_SAMPLES = 20
/** Names read per statement while counting words. */
const NAME_CHUNK = 50_000

function msSince (start: bigint): number { return Number(process.hrtime.bigint() - start) / 1e6 }

export async function runSearchBench (opts: SearchBenchOptions): Promise<SearchBenchResult> {
  const iterations = opts.iterations ?? 200
  const log = opts.log ?? (() => {})
  const config = loadConfig({
    MYSQL_URL: opts.mysqlUrl,
    REDIS_URL: opts.redisUrl ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: 'bench-search:',
    MYSQL_QUERY_TIMEOUT_MS: '600000',
    RATE_LIMIT_MAX: '1000000000',
    LOG_LEVEL: 'silent'
  })
  const bare = Fastify({ logger: false })
  await bare.register(mysqlPlugin, mysqlOptions(config))
  await bare.ready()
  const query = async (sql: string, params: string[] = []): Promise<Row[]> => await bare.db.query<Row[]>(sql, params)
  const catalog = catalogReads(bare.db)
  const rows: SearchRow[] = []
  try {
    const [{ n: total }] = await query('SELECT COUNT(*) AS n FROM products')
    const catalogRows = Number(total)
    // Products per word, counted over every name by the search's own word rules; the rarest and
    // the most common words of letters only (pack sizes such as "1kg" aside).
    const counts = new Map<string, number>()
    for (let after = 0; ;) {
      const chunk = await query(`SELECT id, name FROM products WHERE id > ? ORDER BY id LIMIT ${NAME_CHUNK}`, [String(after)])
      if (chunk.length === 0) break
      for (const r of chunk) for (const w of nameWords(String(r.name))) counts.set(w, (counts.get(w) ?? 0) + 1)
      after = Number(chunk[chunk.length - 1].id)
    }
    const words = [...counts].filter(([w]) => /^[a-z]+$/.test(w)).map(([word, products]) => ({ word, products }))
      .sort((a, b) => a.products - b.products || (a.word < b.word ? -1 : 1))
    const rare = words.find((w) => w.products >= 50) ?? words[0]
    const common = words[words.length - 1]
    log(`rare word "${String(rare.word)}" (${String(rare.products)} products), common word "${String(common.word)}" (${String(common.products)})`)

    /**
     * The cursor that starts the page at `offset` in the search's listing for `sort` (relevance
     * cursors with version 0: the benchmark reads with no catalog version, as with Redis down).
     */
    const cursorAt = async (sort: Sort, offset: number, q: string): Promise<string | undefined> => {
      if (offset === 0) return undefined
      const column = SORT_KEY[sort.replace('-', '')]
      const dir = sort.startsWith('-') ? 'DESC' : 'ASC'
      const order = column === 'id' ? `id ${dir}` : column === 'sort_value' ? 'sort_value DESC, id ASC' : `${column} ${dir}, id ${dir}`
      const against = booleanQuery(parseSearch(q).terms)
      const [row] = await query(`SELECT id, price, CAST(created_at AS CHAR(23)) AS created, ROUND(MATCH(name) AGAINST(? IN BOOLEAN MODE) * ${RANK_SCALE}) AS sort_value
        FROM products WHERE MATCH(name) AGAINST(? IN BOOLEAN MODE) ORDER BY ${order} LIMIT 1 OFFSET ${offset - 1}`, [against, against])
      const value = column === 'id'
        ? null
        : column === 'price' ? Number(row.price).toFixed(2) : column === 'created_at' ? `${String(row.created).replace(' ', 'T')}Z` : relevanceValue(Number(row.sort_value), '0')
      const digest = normaliseListQuery({ q, sort }).digest
      return encodeCursor({ sort, value, id: Number(row.id), digest })
    }

    const measure = async (scenario: string, q: string, sort: Sort, matches: number, fraction: number): Promise<SearchRow> => {
      const offset = Math.floor(matches * fraction)
      const cursor = await cursorAt(sort, offset, q)
      const request: ProductListQuery = { q, sort, limit: 20, ...(cursor !== undefined ? { cursor } : {}) }
      for (let i = 0; i < 3; i++) JSON.stringify(await catalog.page(normaliseListQuery(request)))
      // `iterations` requests, or as many as fit in ROW_BUDGET_MS (at least MIN_SAMPLES): a
      // statement that takes most of a second is measured well enough by a few dozen.
      const times: number[] = []
      const started = Date.now()
      for (let i = 0; i < iterations && (i < MIN_SAMPLES || Date.now() - started < ROW_BUDGET_MS); i++) {
        const start = process.hrtime.bigint()
        JSON.stringify(await catalog.page(normaliseListQuery(request)))
        times.push(msSince(start))
      }
      const row: SearchRow = { scenario, q, sort, offset, matches, samples: times.length, p50: round(percentile(times, 50)), p95: round(percentile(times, 95)), p99: round(percentile(times, 99)) }
      log(`${scenario} q=${q} sort=${sort} offset=${offset}: p50 ${row.p50} ms, p95 ${row.p95} ms`)
      rows.push(row)
      return row
    }

    const rareWord = String(rare.word)
    const rareMatches = Number(rare.products)
    const commonWord = String(common.word)
    const commonMatches = Number(common.products)
    const r0 = await measure('rare word, first page', rareWord, 'relevance', rareMatches, 0)
    const r9 = await measure('rare word, 90% deep', rareWord, 'relevance', rareMatches, 0.9)
    const commonRows: Record<string, [SearchRow, SearchRow]> = {}
    for (const sort of ['id', 'price', '-price', 'createdAt', 'relevance'] as Sort[]) {
      commonRows[sort] = [
        await measure('common word, first page', commonWord, sort, commonMatches, 0),
        await measure('common word, 90% deep', commonWord, sort, commonMatches, 0.9)
      ]
    }
    const prefix = commonWord.slice(0, 3)
    await measure('type-ahead prefix, first page', prefix, 'relevance', commonMatches, 0)
    const second = words.filter((w) => Number(w.products) > catalogRows * 0.02 && String(w.word) !== commonWord)[0]
    if (second !== undefined) {
      await measure('two common words, first page', `${commonWord} ${String(second.word).slice(0, 4)}`, 'relevance', commonMatches, 0)
    }

    // Facets: uncached from the database, and cached through the whole service (Redis).
    const timeIt = async (n: number, fn: () => Promise<unknown>): Promise<number[]> => {
      const times: number[] = []
      for (let i = 0; i < n; i++) {
        const start = process.hrtime.bigint()
        await fn()
        times.push(msSince(start))
      }
      return times
    }
    const facetRow = (scenario: string, q: string, times: number[]): SearchRow => {
      const row: SearchRow = { scenario, q, sort: '', offset: 0, matches: 0, p50: round(percentile(times, 50)), p95: round(percentile(times, 95)), p99: round(percentile(times, 99)) }
      log(`${scenario}: p50 ${row.p50} ms, p95 ${row.p95} ms`)
      rows.push(row)
      return row
    }
    const uncached = facetRow('categories, uncached', '', await timeIt(iterations, async () => await catalog.categories({})))
    facetRow('categories, uncached, price range', '', await timeIt(Math.min(iterations, 20), async () => await catalog.categories({ minPrice: '100', maxPrice: '1000' })))
    facetRow(`categories, uncached, q=${commonWord}`, commonWord, await timeIt(Math.min(iterations, 20), async () => await catalog.categories({ q: commonWord })))
    facetRow(`categories, uncached, q=${rareWord}`, rareWord, await timeIt(iterations, async () => await catalog.categories({ q: rareWord })))
    const app = await buildApp(config)
    let cached: SearchRow
    try {
      await app.ready()
      // Until the start-up load has passed (the overload guard answers 503 meanwhile) and the
      // counts are in Redis.
      for (let i = 0; i < 100; i++) {
        const res = await app.inject('/api/categories')
        if (res.headers['x-cache'] === 'HIT') break
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      cached = facetRow('categories, cached (service, x-cache HIT)', '', await timeIt(iterations, async () => {
        const res = await app.inject('/api/categories')
        if (res.headers['x-cache'] !== 'HIT') throw new Error(`expected a cache hit, got ${res.statusCode} ${String(res.headers['x-cache'])} ${res.body.slice(0, 200)}`)
      }))
    } finally {
      await app.close()
    }

    const goals: SearchGoal[] = []
    const goal = (text: string, measured: number, limit: number): void => {
      goals.push({ goal: text, measured: `p95 ${measured} ms`, met: measured <= limit ? 'yes' : 'no' })
    }
    goal(`rare word ("${rareWord}", ${rareMatches} matches), first page p95 ≤ 20 ms`, r0.p95, 20)
    goal('rare word, 90% deep p95 ≤ 20 ms', r9.p95, 20)
    for (const sort of ['id', 'price']) {
      const [first, deep] = commonRows[sort]
      goal(`common word ("${commonWord}", ${round(commonMatches / catalogRows * 100, 1)}% of the catalog) sort=${sort}, first page p95 ≤ 50 ms`, first.p95, 50)
      goals.push({ goal: `common word sort=${sort}, 90% deep p95 ≤ 1.5 × first page`, measured: `p95 ${deep.p95} ms (${round(deep.p95 / first.p95, 2)}×)`, met: deep.p95 <= 1.5 * Math.max(first.p95, 1) ? 'yes' : 'no' })
    }
    goal('common word sort=relevance, first page p95 ≤ 100 ms', commonRows.relevance[0].p95, 100)
    goal('common word sort=relevance, 90% deep p95 ≤ 100 ms', commonRows.relevance[1].p95, 100)
    goal('GET /api/categories unfiltered, cached p95 ≤ 5 ms', cached.p95, 5)
    goals.push({ goal: 'GET /api/categories unfiltered, uncached: stated', measured: `p95 ${uncached.p95} ms`, met: 'yes' })

    const markdown = [
      `### Search and facets: ${formatCount(catalogRows)} products (up to ${iterations} sequential requests per row, or ${ROW_BUDGET_MS / 1000} s of them; uncached unless stated)`,
      '',
      markdownTable(rows.map((r) => ({ scenario: r.scenario, q: r.q, sort: r.sort, offset: r.offset, requests: r.samples ?? iterations, 'p50 ms': r.p50, 'p95 ms': r.p95, 'p99 ms': r.p99 }))),
      '',
      markdownTable(goals.map((g) => ({ goal: g.goal, measured: g.measured, met: g.met })))
    ].join('\n')
    return { catalogRows, iterations, rows, goals, markdown }
  } finally {
    await bare.close()
  }
}

if (/bench[/\\]search\.ts$/.test(process.argv[1] ?? '')) {
  const args = process.argv.slice(2)
  const result = await runSearchBench({
    mysqlUrl: argValue(args, 'mysql-url') ?? 'mysql://root@127.0.0.1:3306/farmlokal',
    iterations: Number(argValue(args, 'iterations') ?? 200),
    log: (line) => process.stderr.write(`${line}\n`)
  })
  writeResult(`search-${formatCount(result.catalogRows)}`, result, result.markdown)
  process.stdout.write(result.markdown + '\n')
}
