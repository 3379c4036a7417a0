// Latency by depth of the uncached catalog list path (keyset query + response serialisation,
// no Redis) on a large catalog, with OFFSET at the same depths for contrast; and, with
// --explain, the EXPLAIN of every (filter, sort) shape written to docs/EXPLAIN.md.
//
//   npx tsx bench/depth.ts [--mysql-url mysql://root@127.0.0.1:3306/farmlokal]
//                          [--iterations 200] [--offset-iterations 5] [--only none,category]
//   npx tsx bench/depth.ts --explain [--mysql-url …]
//
// Depths are positions in the listing: 0 (first page), 10k, 100k, 500k and 900k of the whole
// catalog. A filtered listing is shorter, so its depths are the same fractions of it (10k of
// 1M is 1% into it, 900k is 90%); the table shows both the nominal depth and the real offset.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Fastify, { type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import mysqlPlugin, { mysqlOptions, type Row } from '../plugins/mysql.js'
import { catalogReads } from '../src/lib/catalog-reads.js'
import { loadConfig } from '../src/config.js'
import { SORTS, ProductListQuery, ProductPage, type Sort } from '../src/schemas/product.js'
import { encodeCursor, sortColumn } from '../src/lib/cursor.js'
import { buildPageStatement, normaliseListQuery, type ListQuery } from '../src/lib/keyset.js'
import { argValue, markdownTable, percentile, round, writeResult, ROOT } from './support.js'

export const DEPTHS = [0, 10_000, 100_000, 500_000, 900_000]

export interface FilterSet {
  name: string
  params: { category?: string, minPrice?: string, maxPrice?: string }
}

export interface DepthBenchOptions {
  mysqlUrl: string
  /** Timed requests per (filter, sort, depth) point. */
  iterations?: number
  /** Untimed requests first, per point. */
  warmup?: number
  /** Timed OFFSET queries per point (they are slow). */
  offsetIterations?: number
  limit?: number
  /** Filter sets by name; all when absent. */
  only?: string[]
  log?: (line: string) => void
}

export interface DepthRow {
  filter: string
  sort: Sort
  method: 'keyset' | 'offset'
  /** Nominal depth in a 1M-row catalog. */
  depth: number
  /** Position of the page's first row in this listing. */
  offset: number
  matching: number
  p50: number
  p99: number
  iterations: number
}

export interface DepthVerdict {
  filter: string
  sort: Sort
  firstP99: number
  worstP99: number
  deepP99: number
  /** p50 at the deepest depth / p50 of the first page (robust to the shared machine's noise). */
  p50Ratio: number
  /** p99 ≤ 10 ms at every depth. */
  under10ms: boolean
  /** p99 at the deepest depth ≤ 1.5 × p99 of the first page. */
  flat: boolean
}

export interface DepthBenchResult {
  rows: DepthRow[]
  verdicts: DepthVerdict[]
  catalogRows: number
  startedAt: string
  iterations: number
}

/** Filter sets measured; their values are chosen from the catalog itself. */
async function filterSets (query: (sql: string, params?: string[]) => Promise<Row[]>): Promise<FilterSet[]> {
  const [{ category }] = await query('SELECT category FROM products ORDER BY id LIMIT 1')
  const c = String(category)
  return [
    { name: 'none', params: {} },
    { name: 'category', params: { category: c } },
    { name: 'price', params: { minPrice: '100', maxPrice: '1000' } },
    { name: 'category+price', params: { category: c, minPrice: '100', maxPrice: '1000' } },
    { name: 'price-sparse', params: { minPrice: '1000', maxPrice: '1010' } },
    { name: 'category+price-sparse', params: { category: c, minPrice: '1000', maxPrice: '1050' } }
  ]
}

const COLUMN = { id: 'id', price: 'price', createdAt: 'created_at' } as const

/** The plain OFFSET statement for a listing (what keyset pagination replaces). */
function offsetStatement (q: ListQuery, offset: number, limit: number): { sql: string, params: string[] } {
  const where: string[] = []
  const params: string[] = []
  if (q.filters.category !== undefined) { where.push('category = ?'); params.push(q.filters.category) }
  if (q.filters.minPrice !== undefined) { where.push('price >= ?'); params.push(q.filters.minPrice) }
  if (q.filters.maxPrice !== undefined) { where.push('price <= ?'); params.push(q.filters.maxPrice) }
  const column = COLUMN[sortColumn(q.sort)]
  const dir = q.sort.startsWith('-') ? 'DESC' : 'ASC'
  const order = column === 'id' ? `id ${dir}` : `${column} ${dir}, id ${dir}`
  return {
    sql: `SELECT id, name, category, price, stock, created_at FROM products${where.length > 0 ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`,
    params
  }
}

/** A bare Fastify with the real MySQL plugin and one route serving uncached catalog pages. */
async function benchApp (mysqlUrl: string): Promise<FastifyInstance> {
  const config = loadConfig({ MYSQL_URL: mysqlUrl, MYSQL_QUERY_TIMEOUT_MS: '600000' })
  const app = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>()
  await app.register(mysqlPlugin, mysqlOptions(config))
  const catalog = catalogReads(app.db)
  app.get('/page', { schema: { querystring: ProductListQuery, response: { 200: ProductPage } } },
    async (request) => await catalog.page(normaliseListQuery(request.query)))
  await app.ready()
  return app
}

function timeNow (): bigint { return process.hrtime.bigint() }
function msSince (start: bigint): number { return Number(process.hrtime.bigint() - start) / 1e6 }

export async function runDepthBench (opts: DepthBenchOptions): Promise<DepthBenchResult> {
  const iterations = opts.iterations ?? 200
  const warmup = opts.warmup ?? 20
  const offsetIterations = opts.offsetIterations ?? 5
  const limit = opts.limit ?? 20
  const log = opts.log ?? (() => {})
  const app = await benchApp(opts.mysqlUrl)
  const query = async (sql: string, params: string[] = []): Promise<Row[]> => await app.db.query<Row[]>(sql, params)
  const rows: DepthRow[] = []
  const startedAt = new Date().toISOString()
  try {
    const [{ n: total }] = await query('SELECT COUNT(*) AS n FROM products')
    const catalogRows = Number(total)
    const sets = (await filterSets(query)).filter((s) => opts.only === undefined || opts.only.includes(s.name))
    for (const set of sets) {
      const base = normaliseListQuery({ ...set.params })
      const countSql = offsetStatement(base, 0, 1).sql.replace(/^SELECT .* FROM products/, 'SELECT COUNT(*) AS n FROM products').replace(/ ORDER BY .*$/, '')
      const [{ n }] = await query(countSql, offsetStatement(base, 0, 1).params)
      const matching = Number(n)
      for (const sort of SORTS) {
        const listing = normaliseListQuery({ ...set.params, sort, limit })
        const points: Array<{ depth: number, offset: number, url: string }> = []
        for (const depth of DEPTHS) {
          // Same fraction of a filtered listing as of the whole catalog (1M rows nominal).
          const offset = Math.min(Math.max(0, matching - limit), Math.round(depth * matching / 1_000_000))
          if (depth > 0 && offset === 0) continue
          const params: Record<string, string | number> = { ...set.params, sort, limit }
          if (offset > 0) {
            // The cursor of the page that starts at `offset`: the row just before it.
            // Only columns every catalog index carries, so the skip runs inside the index.
            const before = offsetStatement(listing, offset - 1, 1)
            const [row] = await query(before.sql.replace(/^SELECT id, name, category, price, stock, created_at /, 'SELECT id, price, created_at '), before.params)
            const column = sortColumn(sort)
            const value = column === 'id' ? null : column === 'price' ? Number(row.price).toFixed(2) : (row.created_at as Date).toISOString()
            params.cursor = encodeCursor({ sort, value, id: Number(row.id), digest: listing.digest })
          }
          points.push({ depth, offset, url: `/page?${new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString()}` })
        }
        // Depths are measured in turn, round after round, so that a noisy moment of the shared
        // machine lands on every depth alike instead of on one of them.
        const times = points.map(() => [] as number[])
        for (let i = 0; i < warmup + iterations; i++) {
          for (let p = 0; p < points.length; p++) {
            const start = timeNow()
            const res = await app.inject(points[p].url)
            const elapsed = msSince(start)
            if (res.statusCode !== 200) throw new Error(`${points[p].url}: ${res.statusCode} ${res.body}`)
            if (i >= warmup) times[p].push(elapsed)
          }
        }
        for (let p = 0; p < points.length; p++) {
          const { depth, offset } = points[p]
          const keyset: DepthRow = { filter: set.name, sort, method: 'keyset', depth, offset, matching, p50: round(percentile(times[p], 50), 3), p99: round(percentile(times[p], 99), 3), iterations }
          const offsetTimes: number[] = []
          const st = offsetStatement(listing, offset, limit + 1)
          for (let i = 0; i < offsetIterations; i++) {
            const start = timeNow()
            await query(st.sql, st.params)
            offsetTimes.push(msSince(start))
          }
          const plain: DepthRow = { filter: set.name, sort, method: 'offset', depth, offset, matching, p50: round(percentile(offsetTimes, 50), 3), p99: round(percentile(offsetTimes, 99), 3), iterations: offsetIterations }
          rows.push(keyset, ...(offsetIterations > 0 ? [plain] : []))
          log(`${set.name} ${sort} depth ${depth} (offset ${offset}): keyset p50 ${keyset.p50} ms p99 ${keyset.p99} ms, offset p50 ${plain.p50} ms`)
        }
      }
    }
    return { rows, verdicts: verdicts(rows), catalogRows, startedAt, iterations }
  } finally {
    await app.close()
  }
}

export function verdicts (rows: DepthRow[]): DepthVerdict[] {
  const out: DepthVerdict[] = []
  const keyset = rows.filter((r) => r.method === 'keyset')
  const groups = new Map<string, DepthRow[]>()
  for (const r of keyset) {
    const key = `${r.filter}|${r.sort}`
    groups.set(key, [...(groups.get(key) ?? []), r])
  }
  for (const group of groups.values()) {
    const first = group.find((r) => r.depth === 0)
    const deepest = group.reduce((a, b) => (b.depth > a.depth ? b : a))
    if (first === undefined) continue
    const worst = Math.max(...group.map((r) => r.p99))
    out.push({
      filter: first.filter,
      sort: first.sort,
      firstP99: first.p99,
      worstP99: worst,
      deepP99: deepest.p99,
      p50Ratio: round(deepest.p50 / first.p50, 2),
      under10ms: worst <= 10,
      flat: deepest.p99 <= 1.5 * first.p99
    })
  }
  return out
}

/** The table: one line per (filter, sort), keyset p50/p99 by depth, OFFSET p50 by depth. */
export function depthTable (result: DepthBenchResult): string {
  const lines: Array<Record<string, string | number>> = []
  const byKey = new Map<string, DepthRow[]>()
  for (const r of result.rows) byKey.set(`${r.filter}|${r.sort}`, [...(byKey.get(`${r.filter}|${r.sort}`) ?? []), r])
  for (const [key, group] of byKey) {
    const [filter, sort] = key.split('|')
    const line: Record<string, string | number> = { filter, sort, rows: group[0].matching }
    for (const depth of DEPTHS) {
      const k = group.find((r) => r.depth === depth && r.method === 'keyset')
      const o = group.find((r) => r.depth === depth && r.method === 'offset')
      const label = depth === 0 ? 'first' : `${depth / 1000}k`
      line[`keyset ${label} p50/p99 ms`] = k === undefined ? '–' : `${k.p50} / ${k.p99}`
      line[`offset ${label} p50 ms`] = o === undefined ? '–' : o.p50
    }
    const v = result.verdicts.find((x) => x.filter === filter && x.sort === sort)
    line['p99 ≤ 10 ms'] = v === undefined ? '–' : v.under10ms ? 'yes' : 'NO'
    line['deep/first p99 ≤ 1.5'] = v === undefined ? '–' : `${v.flat ? 'yes' : 'NO'} (${round(v.deepP99 / v.firstP99, 2)})`
    line['deep/first p50'] = v === undefined ? '–' : v.p50Ratio
    lines.push(line)
  }
  return markdownTable(lines)
}

// ---------------------------------------------------------------------------------------------
// EXPLAIN evidence

async function medianMs (query: (sql: string, params: string[]) => Promise<Row[]>, sql: string, params: string[]): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < 15; i++) {
    const start = timeNow()
    await query(sql, params)
    times.push(msSince(start))
  }
  return round(percentile(times, 50), 2)
}

export async function explainShapes (mysqlUrl: string): Promise<string> {
  const app = await benchApp(mysqlUrl)
  const query = async (sql: string, params: string[] = []): Promise<Row[]> => await app.db.query<Row[]>(sql, params)
  try {
    const [{ n: total }] = await query('SELECT COUNT(*) AS n FROM products')
    const [version] = await query('SELECT VERSION() AS v')
    const sets = await filterSets(query)
    const parts: string[] = [
      '# EXPLAIN of every catalog query shape',
      '',
      `Generated by \`npx tsx bench/depth.ts --explain\` on ${new Date().toISOString().slice(0, 10)} against a ${Number(total).toLocaleString('en')}-row \`products\` table, ${String(version.v)}.`,
      'Each (filter, sort) shape is shown for the first page and for a page 90% deep into its listing, with the',
      'statement the service sends (src/lib/keyset.ts, `buildPageStatement`). "dense" filters match a large part of the',
      'catalog, "sparse" ones well under 1%. The plan of each shape and why is documented on `INDEX_PLAN` in src/lib/keyset.ts.',
      'Medians are of 15 runs of the statement alone (no HTTP), on a shared 2-core machine: compare within one run.',
      'The summary also shows what the optimiser picks for the same statement without FORCE INDEX and, for the',
      'shapes answered with a deferred join, what the plain one-level statement without hints costs.',
      ''
    ]
    const intro = parts.length
    const summary: Array<Record<string, string | number>> = []
    for (const set of sets) {
      const base = normaliseListQuery({ ...set.params })
      const count = offsetStatement(base, 0, 1)
      const [{ n }] = await query(count.sql.replace(/^SELECT .* FROM products/, 'SELECT COUNT(*) AS n FROM products').replace(/ ORDER BY .*$/, ''), count.params)
      parts.push(`## Filter: ${set.name} ${JSON.stringify(set.params)} — ${Number(n).toLocaleString('en')} matching rows`, '')
      for (const sort of SORTS) {
        const first = normaliseListQuery({ ...set.params, sort })
        const st0 = buildPageStatement(first)
        const deepOffset = Math.max(0, Math.round(Number(n) * 0.9) - 1)
        const before = offsetStatement(first, deepOffset, 1)
        const [row] = await query(before.sql, before.params)
        const queries = [{ label: 'first page', q: first }]
        if (row !== undefined) {
          const column = sortColumn(sort)
          const value = column === 'id' ? null : column === 'price' ? Number(row.price).toFixed(2) : (row.created_at as Date).toISOString()
          const cursor = encodeCursor({ sort, value, id: Number(row.id), digest: first.digest })
          queries.push({ label: '90% deep', q: normaliseListQuery({ ...set.params, sort, cursor }) })
        }
        parts.push(`### ${set.name}, sort=${sort} (shape \`${st0.shape}\`, FORCE INDEX (${st0.plan.indexes.join(', ')})${st0.plan.deferred ? ', deferred join' : ''})`, '')
        for (const { label, q } of queries) {
          const st = buildPageStatement(q)
          const plan = await query(`EXPLAIN ${st.sql}`, st.params)
          const ms = await medianMs(query, st.sql, st.params)
          // The same statement without FORCE INDEX: what the optimiser picks on its own.
          const free = buildPageStatement(q, { ...st.plan, indexes: [] })
          const freePlan = await query(`EXPLAIN ${free.sql}`, free.params)
          const freeMs = await medianMs(query, free.sql, free.params)
          const scan = (p: Row[]): Row | undefined => p.find((r) => r.table === 'products') ?? p[0]
          summary.push({
            filter: set.name,
            sort,
            page: label,
            'planned index(es)': st.plan.indexes.join(', '),
            'used (type)': `${String(scan(plan)?.key)} (${String(scan(plan)?.type)})`,
            'est. rows': Number(scan(plan)?.rows ?? 0),
            'median ms': ms,
            'optimiser alone (type)': `${String(scan(freePlan)?.key)} (${String(scan(freePlan)?.type)})`,
            'its median ms': freeMs,
            // What a straightforward keyset statement (no hint, no deferred join) costs here.
            'plain statement ms': st.plan.deferred ? await medianMs(query, buildPageStatement(q, { indexes: [], deferred: false }).sql, st.params) : '–'
          })
          parts.push(`${label} — median ${ms} ms (without FORCE INDEX: ${String(scan(freePlan)?.key)}, ${freeMs} ms):`, '', '```sql', st.sql, `-- params: ${JSON.stringify(st.params)}`, '```', '')
          parts.push(markdownTable(plan.map((r) => ({
            id: r.id, select_type: r.select_type, table: r.table, type: r.type, key: r.key, key_len: r.key_len, rows: r.rows, Extra: r.Extra
          }))))
        }
      }
    }
    parts.splice(intro, 0, '## Summary', '', markdownTable(summary), '')
    return parts.join('\n')
  } finally {
    await app.close()
  }
}

// ---------------------------------------------------------------------------------------------
// Standalone

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
if (isMain) {
  const args = process.argv.slice(2)
  const mysqlUrl = argValue(args, 'mysql-url') ?? process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/farmlokal'
  if (args.includes('--explain')) {
    const markdown = await explainShapes(mysqlUrl)
    const file = path.join(ROOT, 'docs', 'EXPLAIN.md')
    writeFileSync(file, markdown)
    console.log(`wrote ${file}`)
  } else {
    const only = argValue(args, 'only')?.split(',')
    const result = await runDepthBench({
      mysqlUrl,
      iterations: Number(argValue(args, 'iterations') ?? 200),
      offsetIterations: Number(argValue(args, 'offset-iterations') ?? 5),
      ...(only !== undefined ? { only } : {}),
      log: (line) => console.error(line)
    })
    const table = depthTable(result)
    console.log(table)
    const met = result.verdicts.filter((v) => v.under10ms && v.flat).length
    console.log(`${met} of ${result.verdicts.length} (filter, sort) combinations meet both goals (p99 ≤ 10 ms at every depth; deep/first p99 ≤ 1.5).`)
    const file = writeResult(`depth-${result.startedAt.replace(/[:.]/g, '-')}`, result, table)
    writeResult('depth-latest', result, table)
    console.log(`wrote ${file}`)
  }
}
