// The benchmark suite: `npm run bench [-- --rows 10000000] [--reseed | --no-reseed] [--duration 10]`
// (`-- --chart-only` redraws the chart from the results already written).
//
// 1. builds the service (npm run build) and makes sure a catalog of --rows products exists in
//    its own database (seeding it, and timing the seeding, when it is missing or --reseed);
// 2. starts the production service (node dist/src/server.js) and, as the ceiling, a bare Fastify
//    route sending the very bytes of the service's first page, each in its own process;
// 3. measures with wrk from its own process (autocannon when wrk is missing), 50 connections: the
//    ceiling and the cached list in --rounds interleaved rounds of --round-seconds (their median
//    ratio is the figure), the list compressed, uncached list with random filters, product by id,
//    webhook ingest (new and duplicate events), sampling the service's RSS;
// 4. measures uncached page latency by depth for every sort × filter (keyset and OFFSET);
// 5. prints one Markdown table, writes bench/results/bench-<rows>.json and .md, and redraws the
//    latency-by-depth chart (bench/results/depth-chart.svg) from every size measured so far.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import mysql from 'mysql2/promise'
import { Redis } from 'ioredis'
import { seedCatalog, type SeedReport } from '../seed/seeder.js'
import { migrate } from '../seed/migrate.js'
import { CATALOG_VERSION_KEY } from '../src/lib/catalog-version.js'
import { benchWebhooks } from './webhooks.js'
import { runDepthBench, depthTable, type DepthBenchResult } from './depth.js'
import { haveWrk, runLoad, RANDOM_PAGE_LUA, randomIdLua, type LoadResult } from './load.js'
import { runSearchBench } from './search.js'
import {
  ROOT, RESULTS_DIR, argValue, formatCount, markdownTable, median, round, rssSampler, runCannon, startService,
  svgLineChart, writeResult, type Series
} from './support.js'

const args = process.argv.slice(2)
const rows = Number(argValue(args, 'rows') ?? 1_000_000)
const duration = Number(argValue(args, 'duration') ?? 10)
const reseed = argValue(args, 'reseed') !== undefined || (rows <= 1_000_000 && argValue(args, 'no-reseed') === undefined)
// The cached page against the ceiling: many short interleaved rounds, and their median, because
// on this shared machine one 10 s stretch can run either process 1.5x slower than the next.
const rounds = Number(argValue(args, 'rounds') ?? 7)
const roundSeconds = Number(argValue(args, 'round-seconds') ?? 4)
const depthIterations = Number(argValue(args, 'depth-iterations') ?? 200)
const offsetIterations = Number(argValue(args, 'offset-iterations') ?? (rows > 1_000_000 ? 0 : 3))
const mysqlBase = (argValue(args, 'mysql') ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, '')
const redisUrl = argValue(args, 'redis') ?? 'redis://127.0.0.1:6379'
const database = rows === 1_000_000 ? 'farmlokal_bench' : `farmlokal_bench_${formatCount(rows).toLowerCase().replace('.', '_')}`
const mysqlUrl = `${mysqlBase}/${database}`
const redisPrefix = `bench:${database}:`
const servicePort = Number(argValue(args, 'port') ?? 3300)
const ceilingPort = servicePort + 1
const webhookSecret = 'whsec_' + Buffer.from('farmlokal-benchmark-signing-secret').toString('base64')

const log = (line: string): void => { process.stderr.write(`[bench] ${line}\n`) }

function build (): void {
  log('npm run build')
  const res = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
  if (res.status !== 0) throw new Error('npm run build failed')
}

async function catalogRows (): Promise<number> {
  await migrate({ url: mysqlUrl })
  const conn = await mysql.createConnection(mysqlUrl)
  try {
    const [[row]] = await conn.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM products')
    return Number(row.n)
  } finally {
    await conn.end()
  }
}

async function ensureCatalog (): Promise<SeedReport | undefined> {
  const have = await catalogRows()
  if (have === rows && !reseed) {
    log(`catalog already holds ${have} rows; seeding skipped (--reseed to time it)`)
    return undefined
  }
  log(`seeding ${rows} rows into ${database}`)
  let last = 0
  const report = await seedCatalog({ url: mysqlUrl, timeoutMs: 600_000 }, {
    count: rows,
    reset: true,
    seed: '42',
    onProgress: (n) => { if (n - last >= rows / 10) { last = n; log(`  ${n} rows`) } }
  })
  // New rows: drop every page cached by earlier runs.
  const redis = new Redis(redisUrl, { keyPrefix: redisPrefix, maxRetriesPerRequest: 1 })
  await redis.incr(CATALOG_VERSION_KEY).finally(() => redis.disconnect())
  return report
}

/** A bare Fastify sending the service's first page, bytes and headers alike. */
async function startCeiling (serviceUrl: string): Promise<Awaited<ReturnType<typeof startService>>> {
  // The page as an identity client gets it, headers and all: the ceiling sends these same bytes.
  const res = await fetch(`${serviceUrl}/api/products`, { headers: { 'accept-encoding': 'identity' } })
  const body = await res.text()
  const dir = mkdtempSync(path.join(tmpdir(), 'fl-ceiling-'))
  const file = path.join(dir, 'page.json')
  const headersFile = path.join(dir, 'headers.json')
  writeFileSync(file, body)
  writeFileSync(headersFile, JSON.stringify(Object.fromEntries(res.headers)))
  return await startService(['--import', 'tsx', 'bench/ceiling.ts'], { BODY_FILE: file, HEADERS_FILE: headersFile }, ceilingPort)
}

const CATEGORIES = ['vegetables', 'fruits', 'dairy', 'bakery', 'spices', 'grains', 'pulses', 'oils', 'beverages', 'snacks']
const SORTS = ['id', '-id', 'price', '-price', 'createdAt', '-createdAt']
const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)]

/** A first page with random filters: practically never the same URL twice, so never cached. */
function randomListPath (): string {
  const params = new URLSearchParams({ sort: pick(SORTS), limit: '20' })
  const r = Math.random()
  const min = (5 + Math.random() * 4000).toFixed(2)
  if (r < 0.4) params.set('category', pick(CATEGORIES))
  if (r > 0.3) params.set('minPrice', min)
  if (r > 0.6) params.set('maxPrice', (Number(min) + 50 + Math.random() * 900).toFixed(2))
  return `/api/products?${params.toString()}`
}

interface Figures {
  rows: number
  startedAt: string
  machine: string
  seeding?: { rows: number, method: string, loadMs: number, indexMs: number, totalMs: number, rowsPerSecond: number }
  http: LoadResult[]
  /** Cached page req/s over the ceiling's, per interleaved round. */
  ceilingRatios: number[]
  ceilingRatio: number
  randomPagePerSecond: number
  webhookNewPerSecond: number
  webhookDuplicatePerSecond: number
  peakRssMb: number
  depth: DepthBenchResult
}

function goals (f: Figures, reference?: Figures): Array<Record<string, string>> {
  const verdicts = f.depth.verdicts
  const worstP99 = Math.max(...verdicts.map((v) => v.worstP99))
  const flat = verdicts.filter((v) => v.flat).length
  const worstP50Ratio = Math.max(...verdicts.map((v) => v.p50Ratio))
  const out: Array<Record<string, string>> = [
    { goal: 'cached page ≥ 70% of the bare-Fastify same-bytes ceiling', measured: `${round(f.ceilingRatio * 100, 1)}% (rounds: ${f.ceilingRatios.map((r) => `${round(r * 100, 1)}%`).join(', ')})`, met: f.ceilingRatio >= 0.7 ? 'yes' : 'no' },
    { goal: 'cache-defeating random pages ≥ 2,500 req/s', measured: `${f.randomPagePerSecond} req/s`, met: f.randomPagePerSecond >= 2500 ? 'yes' : 'no' },
    { goal: 'uncached page p99 ≤ 10 ms at any depth', measured: `worst p99 ${worstP99} ms`, met: worstP99 <= 10 ? 'yes' : 'no' },
    { goal: 'deep/first p99 ≤ 1.5', measured: `${flat}/${verdicts.length} combinations (worst p50 ratio ${worstP50Ratio})`, met: flat === verdicts.length ? 'yes' : 'no' },
    { goal: 'webhook ingest ≥ 3,000 new events/s', measured: `${f.webhookNewPerSecond}/s`, met: f.webhookNewPerSecond >= 3000 ? 'yes' : 'no' },
    { goal: 'one instance ≤ 200 MB RSS under load', measured: `${f.peakRssMb} MB`, met: f.peakRssMb <= 200 ? 'yes' : 'no' }
  ]
  if (f.seeding !== undefined) {
    out.push({ goal: 'seeding ≥ 100,000 rows/s', measured: `${f.seeding.rowsPerSecond} rows/s (${round(f.seeding.totalMs / 1000, 1)} s)`, met: f.seeding.rowsPerSecond >= 100_000 ? 'yes' : 'no' })
  }
  if (reference !== undefined && reference.rows !== f.rows) {
    const p99 = (x: Figures): number => Math.max(...x.depth.verdicts.map((v) => v.worstP99))
    const ratio = round(p99(f) / p99(reference), 2)
    out.push({ goal: `${formatCount(f.rows)} within 1.5× of ${formatCount(reference.rows)} (worst keyset p99)`, measured: `${ratio}×`, met: ratio <= 1.5 ? 'yes' : 'no' })
  }
  return out
}

/** Latency by depth (keyset p50, unfiltered, per sort) for every catalog size measured so far. */
function drawChart (): void {
  const series: Series[] = []
  for (const size of [1_000_000, 10_000_000]) {
    const file = path.join(RESULTS_DIR, `bench-${formatCount(size)}.json`)
    if (!existsSync(file)) continue
    const f = JSON.parse(readFileSync(file, 'utf8')) as Figures
    for (const sort of ['id', 'price', '-createdAt']) {
      const points = f.depth.rows
        .filter((r) => r.method === 'keyset' && r.filter === 'none' && r.sort === sort)
        .map((r): [number, number] => [r.depth, r.p50])
      if (points.length > 0) series.push({ name: `${formatCount(size)} rows, sort=${sort}`, points })
    }
  }
  if (series.length === 0) return
  const svg = svgLineChart(series, {
    title: 'Uncached catalog page p50 by depth (keyset, no filter)',
    xLabel: 'depth (nominal position in a 1M listing; same fraction of larger ones)',
    yLabel: 'p50 latency, ms (p99 in the tables)'
  })
  writeFileSync(path.join(RESULTS_DIR, 'depth-chart.svg'), svg)
}

async function main (): Promise<void> {
  build()
  const seeded = await ensureCatalog()
  const env = {
    NODE_ENV: 'production',
    SANDBOX_SUPPLIER: 'true',
    MYSQL_URL: mysqlUrl,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: redisPrefix,
    WEBHOOK_SECRET: webhookSecret,
    RATE_LIMIT_MAX: '1000000000',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    CACHE_TTL_SECONDS: '600'
  }
  log('starting the service and the ceiling')
  // The flags of `npm start`.
  const service = await startService(['--max-semi-space-size=4', '--max-old-space-size=160', '--single-threaded-gc', '--import', './dist/src/telemetry.js', 'dist/src/server.js'], env, servicePort)
  const ceiling = await startCeiling(service.url)
  const rss = rssSampler(service.child.pid ?? 0)
  const http: LoadResult[] = []
  const ratios: number[] = []
  let randomPages = 0
  let webhookNew = 0
  let webhookDuplicate = 0
  let ratio = 0
  let peak = 0
  try {
    const maxId = rows
    const servicePid = service.child.pid ?? 0
    const ceilingPid = ceiling.child.pid ?? 0
    // wrk in its own process when installed (apt-get install wrk); else autocannon in this one.
    const wrk = haveWrk()
    const run = async (title: string, path: string, opts: { pid: number, headers?: Record<string, string>, lua?: string, seconds?: number, keep?: boolean }): Promise<LoadResult> => {
      log(`${wrk ? 'wrk' : 'autocannon'}: ${title}`)
      const base = opts.pid === ceilingPid ? ceiling.url : service.url
      const seconds = opts.seconds ?? duration
      let r: LoadResult
      if (wrk) {
        r = runLoad({ title, url: base + path, durationSeconds: seconds, pid: opts.pid, ...(opts.headers !== undefined ? { headers: opts.headers } : {}), ...(opts.lua !== undefined ? { lua: opts.lua } : {}) })
      } else {
        const random = opts.lua === RANDOM_PAGE_LUA ? randomListPath : opts.lua !== undefined ? () => `/api/products/${1 + Math.floor(Math.random() * maxId)}` : undefined
        r = await runCannon({
          title,
          url: base + path,
          duration: seconds,
          ...(opts.headers !== undefined ? { headers: opts.headers } : {}),
          ...(random !== undefined ? { requests: [{ setupRequest: (req) => ({ ...req, path: random() }) }] } : {})
        })
      }
      if (opts.keep !== false) http.push(r)
      return r
    }
    await run('warm-up (cached page)', '/api/products', { pid: servicePid, seconds: 3, keep: false })
    await run('warm-up (ceiling)', '/api/products', { pid: ceilingPid, seconds: 2, keep: false })
    // Ceiling and cached page side by side, interleaved: the ratio of each round is from one
    // stretch of this (shared, noisy) machine.
    for (let i = 1; i <= rounds; i++) {
      const ceil = await run(`ceiling: bare Fastify, same bytes (round ${i})`, '/api/products', { pid: ceilingPid, seconds: roundSeconds })
      const cached = await run(`cached page, memory tier (round ${i})`, '/api/products', { pid: servicePid, seconds: roundSeconds })
      ratios.push(cached.reqPerSec / ceil.reqPerSec)
    }
    await run('cached page, br (accept-encoding: gzip, deflate, br)', '/api/products', { pid: servicePid, headers: { 'accept-encoding': 'gzip, deflate, br' } })
    await run('cached page, gzip', '/api/products', { pid: servicePid, headers: { 'accept-encoding': 'gzip' } })
    randomPages = (await run('uncached: a random page per request', '/', { pid: servicePid, lua: RANDOM_PAGE_LUA })).reqPerSec
    await run('product by id (random ids)', '/', { pid: servicePid, lua: randomIdLua(maxId) })
    log('webhook ingest')
    const hooks = await benchWebhooks({ url: service.url, duration, secret: webhookSecret })
    for (const h of hooks) {
      http.push({ title: `webhook ingest: ${h.title}`, reqPerSec: h.reqPerSec, p50: h.p50, p99: h.p99, requests: h.requests, non2xx: h.non2xx, errors: h.errors, timeouts: h.timeouts })
      if (/new/i.test(h.title)) webhookNew = h.reqPerSec
      if (/dup/i.test(h.title)) webhookDuplicate = h.reqPerSec
    }
    ratio = median(ratios)
  } finally {
    peak = rss.stop()
    await ceiling.stop()
    await service.stop()
  }

  // The HTTP figures are kept even if the (long) depth run below fails.
  writeResult(`bench-${formatCount(rows)}-http`, { rows, http, ceilingRatio: ratio, peakRssMb: peak, seeded })
  log('latency by depth (uncached keyset pages and OFFSET)')
  const depth = await runDepthBench({ mysqlUrl, iterations: depthIterations, offsetIterations, log: (l) => log(`  ${l}`) })

  const figures: Figures = {
    rows,
    startedAt: new Date().toISOString(),
    machine: `${process.platform} ${process.arch}, node ${process.version}, ${(await import('node:os')).cpus().length} cores`,
    ...(seeded !== undefined
      ? { seeding: { rows: seeded.inserted, method: seeded.method, loadMs: seeded.loadMs, indexMs: seeded.indexMs, totalMs: seeded.totalMs, rowsPerSecond: Math.round(seeded.inserted / (seeded.totalMs / 1000)) } }
      : {}),
    http,
    ceilingRatios: ratios.map((r) => round(r, 3)),
    ceilingRatio: round(ratio, 3),
    randomPagePerSecond: randomPages,
    webhookNewPerSecond: webhookNew,
    webhookDuplicatePerSecond: webhookDuplicate,
    peakRssMb: peak,
    depth
  }
  const referenceFile = path.join(RESULTS_DIR, 'bench-1M.json')
  const reference = rows !== 1_000_000 && existsSync(referenceFile) ? JSON.parse(readFileSync(referenceFile, 'utf8')) as Figures : undefined
  const markdown = [
    `## Benchmark: ${formatCount(rows)} products (${figures.startedAt})`,
    '',
    `Command: \`npm run bench${rows === 1_000_000 ? '' : ` -- --rows ${rows}`}\` · ${figures.machine}`,
    '',
    `### HTTP (${haveWrk() ? 'wrk, one thread' : 'autocannon'}, 50 connections, ${String(duration)} s each (the interleaved rounds ${String(roundSeconds)} s); CPU µs/request is the target process's own user + system time)`,
    '',
    markdownTable(http.map((h) => ({ scenario: h.title, 'req/s': h.reqPerSec, 'CPU µs/req': h.cpuUsPerRequest ?? '', 'p50 ms': h.p50, 'p99 ms': h.p99, requests: h.requests, non2xx: h.non2xx, errors: h.errors + h.timeouts }))),
    `Cached page / ceiling (median of ${ratios.length} interleaved rounds of ${roundSeconds} s): **${round(ratio * 100, 1)}%** · peak service RSS: **${peak} MB**` +
      (figures.seeding !== undefined ? ` · seeding: **${figures.seeding.rowsPerSecond} rows/s** (${figures.seeding.method}, load ${round(figures.seeding.loadMs / 1000, 1)} s + indexes ${round(figures.seeding.indexMs / 1000, 1)} s)` : ''),
    '',
    '### Goals',
    '',
    markdownTable(goals(figures, reference)),
    '### Uncached page latency by depth (ms)',
    '',
    depthTable(depth)
  ].join('\n')
  writeResult(`bench-${formatCount(rows)}`, figures, markdown)
  // Search and facets (q, relevance, GET /api/categories) on the same catalog.
  log('search and facets (uncached search pages, categories cached and uncached)')
  const search = await runSearchBench({ mysqlUrl, iterations: depthIterations, log: (l) => log(`  ${l}`) })
  writeResult(`search-${formatCount(rows)}`, search, search.markdown)
  process.stdout.write(search.markdown + '\n')
  drawChart()
  process.stdout.write(markdown + '\n')
}

if (argValue(args, 'chart-only') !== undefined) drawChart()
else await main()
