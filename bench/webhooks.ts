// Webhook ingest benchmark: new events/s (a unique event_id per request, each one claimed and
// applied in MySQL) and duplicate events/s (repeats of already processed events), with autocannon
// at 50 connections against a running service.
//
//   npx tsx bench/webhooks.ts --url http://127.0.0.1:3106 [--duration 10] [--connections 50]
//                             [--orders 10000] [--secret whsec_…]   (or WEBHOOK_SECRET in the env)
//                             [--only new|duplicate] [--rounds 1]
//
// Side by side: give --url several times (e.g. the previous build and this one, each started on
// its own port and database); the scenarios then run against each in turn, round after round,
// so that both see the same machine load, and one table lists every round.
//
// The service's rate limit applies to the webhook routes: start it with a RATE_LIMIT_MAX far above
// the request count (e.g. RATE_LIMIT_MAX=100000000), or the figures measure 429 answers.
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import autocannon from 'autocannon'
import { sign, secretKey } from '../src/lib/standard-webhooks.js'
import type { CannonSummary } from './support.js'

export interface WebhookBenchOptions {
  /** Base URL of the running service, e.g. http://127.0.0.1:3106 */
  url: string
  connections?: number
  /** Seconds per scenario. */
  duration?: number
  /** New events spread over this many order ids (row contention grows as it shrinks). */
  orders?: number
  /** How many distinct events the duplicate scenario repeats. */
  duplicatePool?: number
  /** The service's WEBHOOK_SECRET when it requires signatures. */
  secret?: string
  /** Which scenarios to run (both by default). */
  scenarios?: Array<'new' | 'duplicate'>
}

export interface WebhookBenchRow extends CannonSummary {
  /** 2xx answers whose `duplicate` flag was not the one the scenario expects. */
  unexpected: number
}

const PATH = '/webhook/order-update'

/** Request headers for a webhook body, signed (Standard Webhooks) when a key is given. */
export function headersFor (body: string, key: Buffer | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (key !== undefined) {
    const id = `msg_${randomBytes(9).toString('base64url')}`
    const timestamp = Math.floor(Date.now() / 1000)
    headers['webhook-id'] = id
    headers['webhook-timestamp'] = String(timestamp)
    headers['webhook-signature'] = sign(key, id, timestamp, body)
  }
  return headers
}

type Settings = Required<Omit<WebhookBenchOptions, 'secret' | 'scenarios'>>

async function run (title: string, opts: Settings, key: Buffer | undefined,
  nextBody: () => string, expectDuplicate: boolean): Promise<WebhookBenchRow> {
  let unexpected = 0
  const flag = expectDuplicate ? '"duplicate":true' : '"duplicate":false'
  const result = await autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.duration,
    timeout: 10,
    requests: [{
      method: 'POST',
      path: PATH,
      setupRequest: (request) => {
        const body = nextBody()
        return { ...request, method: 'POST', path: PATH, body, headers: headersFor(body, key) }
      },
      onResponse: (status, body) => {
        if (status >= 200 && status < 300 && !body.includes(flag)) unexpected++
      }
    }]
  })
  return {
    title,
    reqPerSec: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    unexpected,
    errors: result.errors,
    timeouts: result.timeouts
  }
}

/** Runs both scenarios one after the other and returns one row each. */
export async function benchWebhooks (options: WebhookBenchOptions): Promise<WebhookBenchRow[]> {
  const scenarios = options.scenarios ?? ['new', 'duplicate']
  const opts: Settings = {
    url: options.url.replace(/\/+$/, ''),
    connections: options.connections ?? 50,
    duration: options.duration ?? 10,
    orders: options.orders ?? 10_000,
    duplicatePool: options.duplicatePool ?? 100
  }
  const key = options.secret !== undefined ? secretKey(options.secret) : undefined
  const runId = randomBytes(6).toString('hex')
  const started = new Date().toISOString()

  let n = 0
  const fresh = (): string => {
    n++
    return JSON.stringify({
      event_id: `bench-${runId}-${n}`,
      order_id: `bench-ord-${runId}-${n % opts.orders}`,
      status: n % 2 === 0 ? 'paid' : 'packed',
      occurred_at: started,
      source: 'bench'
    })
  }
  const rows: WebhookBenchRow[] = []
  if (scenarios.includes('new')) rows.push(await run(`POST ${PATH} new events`, opts, key, fresh, false))
  if (!scenarios.includes('duplicate')) return rows

  // The duplicate scenario repeats events that were processed once beforehand.
  const pool = Array.from({ length: opts.duplicatePool }, (_, i) => JSON.stringify({
    event_id: `bench-dup-${runId}-${i}`, order_id: `bench-dup-ord-${runId}-${i}`, status: 'paid', occurred_at: started
  }))
  for (const body of pool) {
    const res = await fetch(opts.url + PATH, { method: 'POST', headers: headersFor(body, key), body })
    if (!res.ok) throw new Error(`priming the duplicate pool failed: ${res.status} ${await res.text()}`)
  }
  let d = 0
  rows.push(await run(`POST ${PATH} duplicate events`, opts, key, () => pool[d++ % pool.length], true))
  return rows
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', multiple: true },
      rounds: { type: 'string', default: '1' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      orders: { type: 'string', default: '10000' },
      secret: { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', default: false }
    }
  })
  const usage = 'usage: npx tsx bench/webhooks.ts --url http://127.0.0.1:PORT [--url …] [--rounds 1] [--duration 10] ' +
    '[--connections 50] [--orders 10000] [--secret whsec_…] [--only new|duplicate]\n' +
    '  several --url: each scenario runs against each service in turn, round after round (side by side)\n' +
    '  the secret defaults to WEBHOOK_SECRET; start the service with a RATE_LIMIT_MAX far above the request count'
  if (values.help) {
    console.log(usage)
    return
  }
  if (values.url === undefined || values.url.length === 0) {
    console.error(usage)
    process.exit(1)
  }
  const secret = values.secret ?? process.env.WEBHOOK_SECRET
  const rows: Array<WebhookBenchRow & { url: string, round: number }> = []
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const url of values.url) {
      const measured = await benchWebhooks({
        url,
        duration: Number(values.duration),
        connections: Number(values.connections),
        orders: Number(values.orders),
        ...(values.only === 'new' || values.only === 'duplicate' ? { scenarios: [values.only] } : {}),
        ...(secret !== undefined && secret !== '' ? { secret } : {})
      })
      rows.push(...measured.map((row) => ({ round, url, ...row })))
    }
  }
  console.table(rows)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
