// Load test against a running service: autocannon scenarios for the product list (cached and
// uncached), a product by id, webhook ingest and a metrics scrape; prints req/s and p50/p99 per
// scenario as a table, with a progress line while each runs.
//
//   npm run loadtest -- --url http://127.0.0.1:3000 [--duration 10] [--connections 50]
//                       [--only list-cached,by-id] [--secret whsec_…] [--json results.json]
//
// The service's rate limit applies to these routes: start it with RATE_LIMIT_MAX far above the
// request count (e.g. RATE_LIMIT_MAX=100000000), or the figures measure 429 answers. With
// WEBHOOK_SECRET set on the service, pass the same secret (--secret or WEBHOOK_SECRET here).
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { secretKey } from '../src/lib/standard-webhooks.js'
import { headersFor } from './webhooks.js'
import type { CannonSummary } from './support.js'

interface Settings {
  url: string
  duration: number
  connections: number
  secret?: string
  /** Highest product id (found from the service when not given). */
  maxId: number
}

interface Scenario {
  name: string
  title: string
  /** autocannon options for this scenario (url, method, requests…). */
  options: (s: Settings) => Partial<autocannon.Options>
  /** Responses carry x-cache: count its values. */
  cache?: boolean
}

export interface LoadRow extends Omit<CannonSummary, 'title'> {
  scenario: string
  /** x-cache counts (product scenarios). */
  cache?: Record<string, number>
}

const randomPrice = (): string => (Math.random() * 900).toFixed(2)
const randomId = (max: number): number => 1 + Math.floor(Math.random() * max)

const SCENARIOS: Scenario[] = [
  {
    name: 'list-cached',
    title: 'product list (cached)',
    cache: true,
    // One page requested over and over: a Redis hit after the first.
    options: () => ({ requests: [{ method: 'GET', path: '/api/products?limit=20&sort=-price' }] })
  },
  {
    name: 'list-uncached',
    title: 'product list (uncached)',
    cache: true,
    // A different price bound per request: each page is a miss, answered by a keyset query.
    options: () => ({
      requests: [{
        method: 'GET',
        setupRequest: (req) => ({ ...req, path: `/api/products?limit=20&sort=price&minPrice=${randomPrice()}` })
      }]
    })
  },
  {
    name: 'by-id',
    title: 'product by id',
    cache: true,
    options: (s) => ({
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/api/products/${randomId(s.maxId)}` }) }]
    })
  },
  {
    name: 'webhook',
    title: 'webhook ingest (new events)',
    options: (s) => {
      const key = s.secret !== undefined ? secretKey(s.secret) : undefined
      return {
        requests: [{
          method: 'POST',
          path: '/webhook/order-update',
          setupRequest: (req) => {
            const body = JSON.stringify({
              event_id: `load-${randomUUID()}`,
              status: 'shipped',
              order_id: `load-order-${randomId(10_000)}`,
              occurred_at: new Date().toISOString()
            })
            return { ...req, headers: headersFor(body, key), body }
          }
        }]
      }
    }
  },
  {
    name: 'metrics',
    title: 'metrics scrape',
    // Prometheus scrapes one at a time; a few concurrent scrapers are already a lot.
    options: () => ({ connections: 4, requests: [{ method: 'GET', path: '/metrics' }] })
  }
]

function parseSettings (argv: string[]): { settings: Omit<Settings, 'maxId'> & { maxId?: number }, only?: string[], json?: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:3000' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      only: { type: 'string' },
      secret: { type: 'string' },
      'max-id': { type: 'string' },
      json: { type: 'string' }
    },
    allowPositionals: false
  })
  const duration = Number(values.duration)
  const connections = Number(values.connections)
  if (!Number.isFinite(duration) || duration <= 0) throw new Error('--duration must be a positive number of seconds')
  if (!Number.isInteger(connections) || connections <= 0) throw new Error('--connections must be a positive integer')
  const url = new URL(values.url).origin
  const only = values.only?.split(',').map((s) => s.trim()).filter((s) => s !== '')
  const unknown = only?.filter((n) => !SCENARIOS.some((s) => s.name === n)) ?? []
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`)
  const secret = values.secret ?? process.env.WEBHOOK_SECRET
  const maxId = values['max-id'] !== undefined ? Number(values['max-id']) : undefined
  return {
    settings: { url, duration, connections, ...(secret !== undefined && secret !== '' ? { secret } : {}), ...(maxId !== undefined ? { maxId } : {}) },
    ...(only !== undefined ? { only } : {}),
    ...(values.json !== undefined ? { json: values.json } : {})
  }
}

/** Checks the service answers and learns what the scenarios need from it. */
async function preflight (url: string, maxId: number | undefined, duration: number): Promise<number> {
  const health = await fetch(`${url}/health`).catch((err: Error) => { throw new Error(`no service at ${url}: ${err.message}`) })
  if (!health.ok) throw new Error(`${url}/health answered ${health.status}`)
  const newest = await fetch(`${url}/api/products?limit=1&sort=-id`)
  const limit = Number(newest.headers.get('x-ratelimit-limit') ?? Number.POSITIVE_INFINITY)
  if (limit < 100_000 * duration) {
    console.warn(`note: the service allows ${limit} requests per window per client IP; most of this load will be 429s. ` +
      'Start it with RATE_LIMIT_MAX=100000000 to measure the routes themselves.')
  }
  if (maxId !== undefined) return maxId
  if (!newest.ok) throw new Error(`GET /api/products answered ${newest.status}; pass --max-id`)
  const page = await newest.json() as { data?: Array<{ id: number }> }
  const id = page.data?.[0]?.id
  if (id === undefined) throw new Error('the catalog is empty: seed it first (npm run seed -- --count 1000000)')
  return id
}

/** `[2/5] product by id ····· 4/10 s · 31,204 requests`, redrawn in place on a terminal. */
function progress (index: number, total: number, title: string, duration: number) {
  const tty = process.stderr.isTTY === true
  const started = Date.now()
  let requests = 0
  const draw = (final: boolean) => {
    const elapsed = Math.min(duration, Math.round((Date.now() - started) / 1000))
    const text = `[${index}/${total}] ${title.padEnd(28)} ${String(elapsed).padStart(3)}/${duration} s  ${requests.toLocaleString('en')} requests`
    if (tty) process.stderr.write(`\r${text}${final ? '\n' : ''}`)
    else if (final) process.stderr.write(`${text}\n`)
  }
  if (!tty) process.stderr.write(`[${index}/${total}] ${title}: running for ${duration} s\n`)
  return {
    response: () => { requests++ },
    tick: () => { draw(false) },
    done: () => { draw(true) }
  }
}

async function runScenario (scenario: Scenario, settings: Settings, index: number, total: number): Promise<LoadRow> {
  const cache: Record<string, number> = {}
  const options = scenario.options(settings)
  const requests = (options.requests ?? []).map((r) => scenario.cache === true
    ? {
        ...r,
        onResponse: (_status: number, _body: string, _context: object, headers: autocannon.Request['headers']) => {
          const value = String(headers?.['x-cache'] ?? 'none')
          cache[value] = (cache[value] ?? 0) + 1
        }
      }
    : r)
  const bar = progress(index, total, scenario.title, settings.duration)
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url: settings.url,
      connections: settings.connections,
      duration: settings.duration,
      timeout: 10,
      ...options,
      requests
    }, (err, done) => { if (err !== null && err !== undefined) reject(err instanceof Error ? err : new Error(String(err))); else resolve(done) })
    instance.on('response', bar.response)
    instance.on('tick', bar.tick)
  })
  bar.done()
  return {
    scenario: scenario.title,
    reqPerSec: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    ...(scenario.cache === true ? { cache } : {})
  }
}

export function table (rows: LoadRow[]): string {
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'non-2xx', 'errors', 'x-cache']
  const body = rows.map((r) => [
    r.scenario,
    r.reqPerSec.toLocaleString('en'),
    String(r.p50),
    String(r.p99),
    r.requests.toLocaleString('en'),
    String(r.non2xx),
    String(r.errors + r.timeouts),
    r.cache === undefined ? '' : Object.entries(r.cache).map(([k, v]) => `${k} ${v}`).join(', ')
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => i === 0 || i === 7 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join(' | ')} |`
  return [line(header), `|${widths.map((w, i) => (i === 0 || i === 7 ? ':' : '-') + '-'.repeat(w) + (i === 0 || i === 7 ? '-' : ':')).join('|')}|`, ...body.map(line)].join('\n')
}

async function main (): Promise<void> {
  const { settings: partial, only, json } = parseSettings(process.argv.slice(2))
  const maxId = await preflight(partial.url, partial.maxId, partial.duration)
  const settings: Settings = { ...partial, maxId }
  const scenarios = SCENARIOS.filter((s) => only === undefined || only.includes(s.name))
  console.error(`load test of ${settings.url}: ${scenarios.length} scenarios, ${settings.duration} s each, ` +
    `${settings.connections} connections, products 1..${maxId.toLocaleString('en')}`)
  const rows: LoadRow[] = []
  for (const [i, scenario] of scenarios.entries()) rows.push(await runScenario(scenario, settings, i + 1, scenarios.length))
  console.log(table(rows))
  if (rows.some((r) => r.non2xx > 0)) console.log('\nnon-2xx answers were counted: check RATE_LIMIT_MAX and the service log.')
  if (json !== undefined) {
    writeFileSync(json, JSON.stringify({ url: settings.url, at: new Date().toISOString(), duration: settings.duration, connections: settings.connections, rows }, null, 2) + '\n')
    console.error(`written to ${json}`)
  }
}

main().catch((err: Error) => {
  console.error(`loadtest: ${err.message}`)
  process.exit(1)
})
