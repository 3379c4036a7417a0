// Rate limiter cost on the hottest route: `npm run bench:rate-limit [-- --duration 5] [--rounds 3]
// [--no-build]` (or `benchRateLimit()` from another bench script).
//
// Starts the production service twice on one small catalog and one Redis, identical but for
// RATE_LIMIT_COUNTING: `per-request` (one Redis script call per request, the former limiter)
// and `leased` (quota leased in chunks, counted in memory). Both get a limit far above the load
// so every answer is the cached first page. autocannon (50 connections) alternates between them
// for several rounds, so both see the same machine; the table gives req/s, latency and the
// service's own CPU time per request (from /proc), and the ratio of the two.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import mysql from 'mysql2/promise'
import { Redis } from 'ioredis'
import { seedCatalog } from '../seed/seeder.js'
import { migrate } from '../seed/migrate.js'
import { CATALOG_VERSION_KEY } from '../src/lib/catalog-version.js'
import { ROOT, argValue, markdownTable, round, runCannon, startService, writeResult, type Service } from './support.js'

const log = (line: string): void => { process.stderr.write(`[bench:rate-limit] ${line}\n`) }

/** User + system CPU time of a process so far, in microseconds (Linux /proc). */
function cpuMicros (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of the line, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

export interface RateLimitBenchRow {
  counting: string
  round: number
  reqPerSec: number
  p50: number
  p99: number
  cpuMicrosPerRequest: number
  non2xx: number
}

export interface RateLimitBenchOptions {
  duration?: number
  rounds?: number
  mysqlBase?: string
  redisUrl?: string
  port?: number
  build?: boolean
}

export async function benchRateLimit (opts: RateLimitBenchOptions = {}): Promise<{ rows: RateLimitBenchRow[], summary: Array<Record<string, number | string>> }> {
  const duration = opts.duration ?? 5
  const rounds = opts.rounds ?? 3
  const database = 'farmlokal_bench_rate_limit'
  const mysqlUrl = `${(opts.mysqlBase ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, '')}/${database}`
  const redisUrl = opts.redisUrl ?? 'redis://127.0.0.1:6379'
  const redisPrefix = `bench:${database}:`
  const port = opts.port ?? 3320

  if (opts.build !== false) {
    log('npm run build')
    const res = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
    if (res.status !== 0) throw new Error('npm run build failed')
  }

  // A small catalog is enough: every measured request is the cached first page.
  await migrate({ url: mysqlUrl })
  const conn = await mysql.createConnection(mysqlUrl)
  const [[{ n }]] = await conn.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM products')
  await conn.end()
  if (Number(n) !== 1000) {
    log('seeding 1000 products')
    await seedCatalog({ url: mysqlUrl }, { count: 1000, reset: true, seed: '42' })
    const redis = new Redis(redisUrl, { keyPrefix: redisPrefix, maxRetriesPerRequest: 1 })
    await redis.incr(CATALOG_VERSION_KEY).finally(() => redis.disconnect())
  }

  const env = {
    NODE_ENV: 'production',
    MYSQL_URL: mysqlUrl,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: redisPrefix,
    WEBHOOK_SECRET: 'whsec_' + Buffer.from('farmlokal-rate-limit-bench').toString('base64'),
    RATE_LIMIT_MAX: '1000000000',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    CACHE_TTL_SECONDS: '600',
    SANDBOX_SUPPLIER: 'true'
  }
  const variants = ['per-request', 'leased'] as const
  const services: Record<string, Service> = {}
  const rows: RateLimitBenchRow[] = []
  try {
    for (const [i, counting] of variants.entries()) {
      log(`starting the service with RATE_LIMIT_COUNTING=${counting}`)
      services[counting] = await startService(['dist/src/server.js'], { ...env, RATE_LIMIT_COUNTING: counting }, port + i)
    }
    for (const counting of variants) {
      log(`warm-up: ${counting}`)
      await runCannon({ title: 'warm-up', url: `${services[counting].url}/api/products`, duration: 2 })
    }
    for (let pass = 1; pass <= rounds; pass++) {
      // Alternate which goes first, so neither always runs on the warmer (or busier) machine.
      const order = pass % 2 === 1 ? variants : [...variants].reverse()
      for (const counting of order) {
        const service = services[counting]
        const pid = service.child.pid ?? 0
        const cpuBefore = cpuMicros(pid)
        const r = await runCannon({ title: counting, url: `${service.url}/api/products`, duration })
        const cpu = cpuMicros(pid) - cpuBefore
        rows.push({
          counting,
          round: pass,
          reqPerSec: r.reqPerSec,
          p50: r.p50,
          p99: r.p99,
          cpuMicrosPerRequest: round(cpu / Math.max(1, r.requests), 0),
          non2xx: r.non2xx
        })
        log(`round ${pass} ${counting}: ${r.reqPerSec} req/s, p99 ${r.p99} ms, ${round(cpu / Math.max(1, r.requests), 0)} µs CPU/request`)
      }
    }
  } finally {
    for (const s of Object.values(services)) await s.stop()
  }

  const mean = (counting: string, pick: (r: RateLimitBenchRow) => number) => {
    const mine = rows.filter((r) => r.counting === counting)
    return mine.reduce((sum, r) => sum + pick(r), 0) / mine.length
  }
  const summary = variants.map((counting) => ({
    counting,
    'req/s (mean)': Math.round(mean(counting, (r) => r.reqPerSec)),
    'p50 ms': round(mean(counting, (r) => r.p50), 1),
    'p99 ms': round(mean(counting, (r) => r.p99), 1),
    'CPU µs/request': Math.round(mean(counting, (r) => r.cpuMicrosPerRequest)),
    non2xx: rows.filter((r) => r.counting === counting).reduce((s, r) => s + r.non2xx, 0)
  }))
  return { rows, summary }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const { rows, summary } = await benchRateLimit({
    duration: Number(argValue(args, 'duration') ?? 5),
    rounds: Number(argValue(args, 'rounds') ?? 3),
    build: argValue(args, 'no-build') === undefined
  })
  const ratio = Number(summary[1]['req/s (mean)']) / Number(summary[0]['req/s (mean)'])
  const md = [
    '### Cached first page: per-request Redis counting vs leased quota',
    '',
    markdownTable(summary),
    '',
    `leased / per-request throughput: ${round(ratio, 2)}×`,
    '',
    'Rounds:',
    '',
    markdownTable(rows.map((r) => ({ ...r })))
  ].join('\n')
  console.log(md)
  const file = writeResult(`rate-limit-${new Date().toISOString().replace(/[:.]/g, '-')}`, { rows, summary, ratio }, md)
  log(`written ${file}`)
}
