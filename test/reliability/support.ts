// Shared pieces of the reliability suite: things the tests break on purpose (a Redis server of
// their own, a TCP proxy in front of MySQL, a fake supplier with its OAuth provider), real
// service processes, bounded waits and a small load generator. Every resource registers its
// own clean-up with the test that started it.
import { spawn, type ChildProcess } from 'node:child_process'
import { createHmac, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import net, { type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import type mysql from 'mysql2/promise'

type Teardown = { teardown: (fn: () => unknown) => void }

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

// ---------------------------------------------------------------------------------------------
// Bounded waiting

export interface WaitOptions {
  /** Gives up after this long. */
  timeoutMs: number
  /** Pause between probes. */
  intervalMs?: number
  /** Named in the error when the wait gives up. */
  what: string
}

/**
 * Probes until `probe` returns something other than undefined/false, at most `timeoutMs`.
 * A probe that throws counts as "not yet"; the last error is named when the wait gives up.
 */
export async function waitFor<T> (probe: () => Promise<T | undefined | false> | T | undefined | false, opts: WaitOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined && value !== false) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
      throw new Error(`gave up after ${opts.timeoutMs} ms waiting for ${opts.what}${why}`)
    }
    await sleep(opts.intervalMs ?? 50)
  }
}

/**
 * Keeps a fault in place for `ms` measured from `since` while load runs against it. This is a
 * chosen duration of the experiment, not a wait for an event (those use waitFor).
 */
export async function holdFault (since: number, ms: number): Promise<void> {
  const left = since + ms - Date.now()
  if (left > 0) await sleep(left)
}

/** Rejects when `promise` has not settled within `ms`: a hang becomes a failure with a name. */
export async function within<T> (ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, limit])
  } finally {
    clearTimeout(timer)
  }
}

/** A port nobody listens on right now (the kernel picks it; closed before it is returned). */
export async function freePort (): Promise<number> {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  server.close()
  await once(server, 'close')
  return port
}

// ---------------------------------------------------------------------------------------------
// HTTP calls that can never hang

export interface Outcome {
  /** HTTP status, or 0 when no response arrived. */
  status: number
  /** Milliseconds from the call to the full body (or the failure). */
  ms: number
  /** When the call started (epoch ms). */
  startedAt: number
  headers: Headers
  body: string
  /** Set when no response arrived: `timeout` (the call's deadline passed) or the error code. */
  error?: string
  /** Label given by the caller (e.g. the URL or the event id). */
  label: string
}

export interface CallInit {
  method?: string
  headers?: Record<string, string>
  body?: string | Buffer
  /** Deadline for the whole call, body included. */
  timeoutMs?: number
  /** Label kept on the outcome (e.g. the event id). */
  label?: string
  /**
   * A connection of its own, closed after the answer (`connection: close`), instead of the
   * shared keep-alive pool.
   */
  fresh?: boolean
}

function errorCode (err: unknown): string {
  let e = err as { name?: string, code?: string, cause?: unknown } | undefined
  // fetch wraps the network error in `cause`; take the innermost code.
  for (let depth = 0; e !== undefined && depth < 4; depth++) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout'
    if (typeof e.code === 'string' && e.cause === undefined) return e.code
    if (e.cause === undefined) return e.code ?? e.name ?? 'error'
    e = e.cause as typeof e
  }
  return 'error'
}

/** One HTTP call bounded by an AbortSignal deadline; never throws, never hangs. */
export async function call (url: string, init: CallInit = {}): Promise<Outcome> {
  const startedAt = Date.now()
  const label = init.label ?? url
  const signal = AbortSignal.timeout(init.timeoutMs ?? 5000)
  try {
    if (init.fresh === true) {
      const res = await freshRequest(url, init, signal)
      return { ...res, ms: Date.now() - startedAt, startedAt, label }
    }
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      ...(init.headers !== undefined ? { headers: init.headers } : {}),
      ...(init.body !== undefined ? { body: init.body } : {}),
      signal
    })
    const body = await res.text()
    return { status: res.status, ms: Date.now() - startedAt, startedAt, headers: res.headers, body, label }
  } catch (err) {
    return { status: 0, ms: Date.now() - startedAt, startedAt, headers: new Headers(), body: '', error: errorCode(err), label }
  }
}

async function freshRequest (url: string, init: CallInit, signal: AbortSignal): Promise<Pick<Outcome, 'status' | 'headers' | 'body'>> {
  return await new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: init.method ?? 'GET',
      headers: { ...init.headers, connection: 'close' },
      agent: false,
      signal
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        const headers = new Headers()
        for (const [key, value] of Object.entries(res.headers)) {
          if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value)
        }
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') })
      })
    })
    req.on('error', reject)
    req.end(init.body)
  })
}

export interface Load {
  /** Every outcome so far, in completion order. */
  outcomes: Outcome[]
  /** Stops the workers after their current call; resolves with every outcome. */
  stop: () => Promise<Outcome[]>
}

/**
 * `concurrency` workers, each calling `next(n)` (n counts calls across workers) and awaiting the
 * outcome, until stopped (at the latest when the test ends) or `maxCalls` calls were made.
 * A worker whose call got no answer pauses `pauseOnFailureMs` before its next call, as a real
 * client would, instead of spinning on a refused port.
 */
export function startLoad (t: Teardown, concurrency: number, next: (n: number) => Promise<Outcome>, { maxCalls = 1_000_000, pauseOnFailureMs = 50 } = {}): Load {
  const outcomes: Outcome[] = []
  let stopped = false
  let n = 0
  const workers = Array.from({ length: concurrency }, async () => {
    while (!stopped && n < maxCalls) {
      const outcome = await next(n++)
      outcomes.push(outcome)
      if (outcome.status === 0 && !stopped) await sleep(pauseOnFailureMs)
    }
  })
  const load: Load = {
    outcomes,
    stop: async () => {
      stopped = true
      await Promise.all(workers)
      return outcomes
    }
  }
  t.teardown(load.stop)
  return load
}

/** How many outcomes fall in each status (`0:timeout` for failures), for readable assertions. */
export function tally (outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const o of outcomes) {
    const key = o.status === 0 ? `0:${o.error ?? 'error'}` : String(o.status)
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

export function isProblem (o: Outcome): boolean {
  if (!/^application\/problem\+json/.test(o.headers.get('content-type') ?? '')) return false
  try {
    const body = JSON.parse(o.body) as Record<string, unknown>
    return body.status === o.status && typeof body.title === 'string' && typeof body.type === 'string' && typeof body.detail === 'string'
  } catch {
    return false
  }
}

// ---------------------------------------------------------------------------------------------
// A Redis server of the test's own

export interface RedisServer {
  port: number
  url: string
  /** Kills the server at once (SIGKILL: no goodbye to its clients). */
  kill: () => Promise<void>
  /** Starts it again on the same port, empty. */
  start: () => Promise<void>
  running: () => boolean
}

/**
 * `redis-server --port P --save "" --appendonly no` on a spare port: nothing persists, so a
 * restart comes back empty (as a crashed cache would). Killed when the test ends.
 */
export async function startRedisServer (t: Teardown): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | undefined
  let exited: Promise<unknown> = Promise.resolve()

  async function start (): Promise<void> {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    child = proc
    exited = once(proc, 'exit')
    let output = ''
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8')
        if (output.includes('Ready to accept connections')) resolve()
      }
      proc.stdout?.on('data', onData)
      proc.stderr?.on('data', onData)
      proc.once('exit', (code) => reject(new Error(`redis-server exited (${String(code)}) before it was ready: ${output.slice(-500)}`)))
      proc.once('error', reject)
    })
    await within(10_000, 'redis-server start-up', ready)
  }

  async function kill (): Promise<void> {
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGKILL')
    await within(5_000, 'redis-server exit', exited)
  }

  await start()
  t.teardown(kill)
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null
  }
}

// ---------------------------------------------------------------------------------------------
// A TCP proxy that can be cut

/**
 * - `open`: bytes flow both ways;
 * - `refuse`: every connection is reset at once (existing ones included), as when the database
 *   host is down and the port answers with RST;
 * - `blackhole`: nothing flows and nothing is answered, connections just hang (a network
 *   partition): the slowest failure to detect.
 */
export type ProxyMode = 'open' | 'refuse' | 'blackhole'

export interface TcpProxy {
  port: number
  /** Connections accepted so far. */
  accepted: () => number
  /** Connections currently open through the proxy. */
  open: () => number
  cut: (mode: Exclude<ProxyMode, 'open'>) => void
  /** Back to normal. Connections that were black-holed are dropped (their bytes are gone). */
  restore: () => void
  close: () => Promise<void>
}

interface Pair { client: Socket, upstream?: Socket }

export async function startTcpProxy (t: Teardown, target: { host: string, port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = 'open'
  let accepted = 0
  const pairs = new Set<Pair>()

  function drop (pair: Pair, reset: boolean): void {
    pairs.delete(pair)
    if (reset) {
      pair.client.resetAndDestroy()
      pair.upstream?.resetAndDestroy()
    } else {
      pair.client.destroy()
      pair.upstream?.destroy()
    }
  }

  const server = net.createServer((client) => {
    accepted++
    const pair: Pair = { client }
    client.on('error', () => drop(pair, false))
    client.on('close', () => drop(pair, false))
    if (mode === 'refuse') {
      client.resetAndDestroy()
      return
    }
    pairs.add(pair)
    if (mode === 'blackhole') {
      // Accepted, never forwarded: the client waits for a greeting that never comes.
      client.pause()
      return
    }
    const upstream = net.connect(target)
    pair.upstream = upstream
    upstream.on('error', () => drop(pair, false))
    upstream.on('close', () => drop(pair, false))
    client.pipe(upstream)
    upstream.pipe(client)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo

  const proxy: TcpProxy = {
    port,
    accepted: () => accepted,
    open: () => pairs.size,
    cut (next) {
      mode = next
      for (const pair of [...pairs]) {
        if (next === 'refuse') {
          drop(pair, true)
        } else {
          // Bytes in flight stop where they are; neither side hears anything more.
          pair.client.unpipe()
          pair.upstream?.unpipe()
          pair.client.pause()
          pair.upstream?.pause()
        }
      }
    },
    restore () {
      const was = mode
      mode = 'open'
      if (was === 'blackhole') {
        // Closing the server side of a held connection makes MySQL roll back whatever
        // transaction it carried.
        for (const pair of [...pairs]) drop(pair, false)
      }
    },
    async close () {
      for (const pair of [...pairs]) drop(pair, false)
      if (!server.listening) return
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
  t.teardown(() => proxy.close())
  return proxy
}

// ---------------------------------------------------------------------------------------------
// A fake supplier and its OAuth provider

/**
 * How GET /products answers:
 * - `ok`: 200 with the feed;
 * - `storm`: 503 with a JSON error;
 * - `drip`: 200 headers, then one byte of JSON every 100 ms, never finishing;
 * - `reset`: the connection is reset before any answer;
 * - `malformed`: 200 application/json whose body is not JSON;
 * - `hang`: the request is read and never answered.
 */
export type SupplierMode = 'ok' | 'storm' | 'drip' | 'reset' | 'malformed' | 'hang'

export interface FakeSupplier {
  url: string
  mode: SupplierMode
  /** Product feed requests received. */
  productRequests: number
  /** Access tokens issued by POST /oauth/token. */
  tokensIssued: number
  /** Lifetime of the tokens it issues. */
  tokenLifetimeSeconds: number
  /** How long the token endpoint takes to answer (makes concurrent fetches overlap). */
  tokenDelayMs: number
  /** How long an `ok` product answer takes. */
  productDelayMs: number
  /** `retry-after` sent with the `storm` 503s (none when undefined). */
  stormRetryAfter: string | undefined
  /** The token endpoint: `ok` issues tokens, `storm` answers 503, `reset` drops the connection. */
  tokenMode: 'ok' | 'storm' | 'reset'
  /** Token requests received, whatever their answer. */
  tokenRequests: number
  /** TCP connections open to the fake right now. */
  openConnections: () => number
  /** Resolves when `productRequests` reaches `n`. */
  productRequestsReach: (n: number) => Promise<void>
  close: () => Promise<void>
}

export const CLIENT_ID = 'reliability-client'
export const CLIENT_SECRET = 'reliability-secret-value'
export const FEED = { products: [{ sku: 'TOM-1KG', name: 'Organic Tomatoes 1kg', price: 42.5 }] }

function json (res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

async function readBody (req: IncomingMessage): Promise<string> {
  let text = ''
  for await (const chunk of req) text += (chunk as Buffer).toString('utf8')
  return text
}

export async function startFakeSupplier (t: Teardown, mode: SupplierMode = 'ok'): Promise<FakeSupplier> {
  const sockets = new Set<Socket>()
  const waiters: Array<{ n: number, resolve: () => void }> = []
  const timers = new Set<NodeJS.Timeout>()

  const fake: FakeSupplier = {
    url: '',
    mode,
    productRequests: 0,
    tokensIssued: 0,
    tokenLifetimeSeconds: 3600,
    tokenDelayMs: 0,
    productDelayMs: 0,
    stormRetryAfter: undefined,
    tokenMode: 'ok',
    tokenRequests: 0,
    openConnections: () => sockets.size,
    productRequestsReach: async (n) => {
      if (fake.productRequests >= n) return
      await new Promise<void>((resolve) => waiters.push({ n, resolve }))
    },
    close: async () => {
      for (const timer of timers) clearInterval(timer)
      for (const socket of sockets) socket.destroy()
      if (!server.listening) return
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => { timers.delete(timer); fn() }, ms)
    timers.add(timer)
  }

  async function token (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req))
    fake.tokenRequests++
    if (fake.tokenMode === 'storm') {
      json(res, 503, { error: 'temporarily_unavailable' })
      return
    }
    if (fake.tokenMode === 'reset') {
      req.socket.resetAndDestroy()
      return
    }
    const basic = req.headers.authorization?.startsWith('Basic ') === true
      ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString('utf8').split(':').map(decodeURIComponent)
      : [form.get('client_id') ?? '', form.get('client_secret') ?? '']
    if (form.get('grant_type') !== 'client_credentials' || basic[0] !== CLIENT_ID || basic[1] !== CLIENT_SECRET) {
      json(res, 401, { error: 'invalid_client' })
      return
    }
    fake.tokensIssued++
    const accessToken = `tok-${fake.tokensIssued}-${randomBytes(6).toString('hex')}`
    later(fake.tokenDelayMs, () => json(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: fake.tokenLifetimeSeconds }))
  }

  function products (req: IncomingMessage, res: ServerResponse): void {
    fake.productRequests++
    for (const w of waiters.filter((w) => fake.productRequests >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve()
    }
    if (req.headers.authorization?.startsWith('Bearer tok-') !== true) {
      json(res, 401, { error: 'invalid_token' })
      return
    }
    switch (fake.mode) {
      case 'ok':
        later(fake.productDelayMs, () => json(res, 200, FEED))
        return
      case 'storm':
        if (fake.stormRetryAfter !== undefined) res.setHeader('retry-after', fake.stormRetryAfter)
        json(res, 503, { error: 'overloaded' })
        return
      case 'hang':
        return
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('{"products": [{"sku": "TOM-1KG", "name": ')
        return
      case 'reset':
        req.socket.resetAndDestroy()
        return
      case 'drip': {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write('{')
        const timer = setInterval(() => { res.write(' ') }, 100)
        timers.add(timer)
        res.on('close', () => { clearInterval(timer); timers.delete(timer) })
      }
    }
  }

  const server = createHttpServer((req, res) => {
    const route = (req.url ?? '/').split('?')[0]
    if (req.method === 'POST' && route === '/oauth/token') {
      token(req, res).catch(() => res.destroy())
    } else if (req.method === 'GET' && route === '/products') {
      products(req, res)
    } else {
      json(res, 404, { error: 'not_found' })
    }
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.teardown(() => fake.close())
  return fake
}

/** Service settings pointing the supplier client and token manager at a fake. */
export function supplierEnv (fake: FakeSupplier): Record<string, string> {
  return {
    SUPPLIER_BASE_URL: fake.url,
    OAUTH_TOKEN_URL: `${fake.url}/oauth/token`,
    OAUTH_CLIENT_ID: CLIENT_ID,
    OAUTH_CLIENT_SECRET: CLIENT_SECRET
  }
}

// ---------------------------------------------------------------------------------------------
// Webhooks

export const WEBHOOK_SECRET = 'whsec_' + Buffer.from('reliability-suite-signing-key-32b').toString('base64')

/** Standard Webhooks headers for `body`: HMAC-SHA256 over `id.timestamp.body`. */
export function signWebhook (body: string | Buffer, { secret = WEBHOOK_SECRET, id = `msg_${randomBytes(8).toString('hex')}`, timestamp = Math.floor(Date.now() / 1000) } = {}): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
  const signature = createHmac('sha256', key)
    .update(`${id}.${timestamp}.`)
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest('base64')
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}` }
}

export interface OrderEvent { event_id: string, status: string, order_id?: string, occurred_at?: string }

/** A signed webhook call (JSON body) against `baseUrl`. */
export async function sendWebhook (baseUrl: string, event: OrderEvent, { timeoutMs = 5000, headers = {} as Record<string, string> } = {}): Promise<Outcome> {
  const body = JSON.stringify(event)
  return await call(`${baseUrl}/webhook/order-update`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signWebhook(body), ...headers },
    body,
    timeoutMs,
    label: event.event_id
  })
}

// ---------------------------------------------------------------------------------------------
// Catalog rows

export const CATEGORIES = ['vegetables', 'fruits', 'dairy', 'grains', 'spices']

/** Inserts `count` deterministic products (ids 1..count on an empty table). */
export async function seedProducts (conn: mysql.Connection, count: number): Promise<void> {
  await conn.query('DELETE FROM products')
  await conn.query('ALTER TABLE products AUTO_INCREMENT = 1')
  const rows: Array<[string, string, number, number, Date]> = []
  for (let i = 1; i <= count; i++) {
    rows.push([`Product ${i}`, CATEGORIES[i % CATEGORIES.length], (i * 37) % 1000 + 0.5, i % 50, new Date(Date.UTC(2025, 0, 1) + i * 60_000)])
  }
  for (let i = 0; i < rows.length; i += 500) {
    await conn.query('INSERT INTO products (name, category, price, stock, created_at) VALUES ?', [rows.slice(i, i + 500)])
  }
}

// ---------------------------------------------------------------------------------------------
// Real service processes

export interface ServiceProcess {
  url: string
  port: number
  pid: number
  /** stdout and stderr so far (the last 64 KiB). */
  output: () => string
  /** Resolves with the exit code and signal once the process has exited. */
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null, at: number }>
  kill: (signal?: NodeJS.Signals) => void
}

/** The environment of the test runner minus what would load the runner's hooks into children. */
function cleanEnv (): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key === 'NODE_OPTIONS' || /^(TAP|_TAPJS)/.test(key)) continue
    env[key] = value
  }
  return env
}

/**
 * `node --import tsx src/server.ts` with `env` on a spare port, exactly as production starts it
 * (migrations included). Resolves once GET /health answers; killed when the test ends. Start-up
 * (tsx compiling the sources, migrations) is not what any test measures: on a machine loaded
 * to a load average of 25 it was seen to take over 40 s, hence the generous bound.
 * The working directory is a temporary one so that a developer's .env cannot leak in.
 */
export async function spawnService (t: Teardown, env: Record<string, string>, { readyTimeoutMs = 90_000 } = {}): Promise<ServiceProcess> {
  const port = Number(env.PORT ?? await freePort())
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'src/server.ts')], {
    cwd: tmpdir(),
    // Load shedding off unless a test asks for it: the machine running the suite is busy.
    env: { ...cleanEnv(), HOST: '127.0.0.1', LOG_LEVEL: 'warn', MAX_EVENT_LOOP_DELAY_MS: '0', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  const collect = (chunk: Buffer) => { output = (output + chunk.toString('utf8')).slice(-65536) }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null, at: number }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }))
  })
  const service: ServiceProcess = {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    output: () => output,
    exited,
    kill: (signal = 'SIGTERM') => { if (child.exitCode === null && child.signalCode === null) child.kill(signal) }
  }
  t.teardown(async () => {
    service.kill('SIGKILL')
    await within(5_000, 'service exit', exited)
  })
  try {
    await Promise.race([
      waitFor(async () => (await call(`${service.url}/health`, { timeoutMs: 1000 })).status === 200,
        { timeoutMs: readyTimeoutMs, intervalMs: 100, what: `service on port ${port} to answer /health` }),
      exited.then(({ code, signal }) => { throw new Error(`the service exited during start-up (${String(code ?? signal)})`) })
    ])
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- service output ---\n${output.slice(-4000)}`)
  }
  return service
}

// ---------------------------------------------------------------------------------------------
// Webhook tables, checked directly

export interface WebhookTables {
  /** event_id → how many rows carry it. */
  events: Map<string, number>
  /** Broken invariants, each one line. Empty when every event is fully applied. */
  problems: string[]
}

/**
 * Reads webhook_events and orders straight from MySQL and checks that nothing is half applied:
 * every event with an order has its order row, the order is at least as new as the event, and
 * the order's status is the one its recorded event carried.
 */
export async function webhookTables (conn: mysql.Connection): Promise<WebhookTables> {
  const [eventRows] = await conn.query<mysql.RowDataPacket[]>(
    'SELECT event_id, order_id, status, COALESCE(occurred_at, received_at) AS effective FROM webhook_events')
  const [orderRows] = await conn.query<mysql.RowDataPacket[]>(
    'SELECT order_id, status, status_occurred_at, status_event_id FROM orders')
  const events = new Map<string, number>()
  const byId = new Map<string, mysql.RowDataPacket>()
  for (const row of eventRows) {
    const id = (row.event_id as Buffer).toString('utf8')
    events.set(id, (events.get(id) ?? 0) + 1)
    byId.set(id, row)
  }
  const orders = new Map<string, mysql.RowDataPacket>()
  for (const row of orderRows) orders.set((row.order_id as Buffer).toString('utf8'), row)

  const problems: string[] = []
  for (const [id, count] of events) if (count > 1) problems.push(`event ${id} stored ${count} times`)
  for (const [id, row] of byId) {
    if (row.order_id === null) continue
    const orderId = (row.order_id as Buffer).toString('utf8')
    const order = orders.get(orderId)
    if (order === undefined) {
      problems.push(`event ${id} stored but its order ${orderId} has no row`)
    } else if ((order.status_occurred_at as Date).getTime() < (row.effective as Date).getTime()) {
      problems.push(`event ${id} stored but order ${orderId} is older than it`)
    }
  }
  for (const [orderId, order] of orders) {
    const eventId = (order.status_event_id as Buffer).toString('utf8')
    const event = byId.get(eventId)
    if (event === undefined) problems.push(`order ${orderId} shows event ${eventId}, which is not stored`)
    else if (event.status !== order.status) problems.push(`order ${orderId} has status ${String(order.status)} but its event ${eventId} says ${String(event.status)}`)
  }
  return { events, problems }
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP/1.1 on one connection

export interface RawResponse { status: number, headers: Record<string, string>, body: string }

/** Splits HTTP/1.1 responses read from one connection (bodies framed by content-length). */
export function parseResponses (raw: Buffer): RawResponse[] {
  const responses: RawResponse[] = []
  let at = 0
  while (at < raw.length) {
    const end = raw.indexOf('\r\n\r\n', at)
    if (end < 0) break
    const head = raw.subarray(at, end).toString('latin1').split('\r\n')
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0])?.[1] ?? 0)
    const headers: Record<string, string> = {}
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    const length = Number(headers['content-length'] ?? 0)
    responses.push({ status, headers, body: raw.subarray(end + 4, end + 4 + length).toString('utf8') })
    at = end + 4 + length
  }
  return responses
}

export interface RawExchange {
  /** Resolves once the request bytes are written on an established connection. */
  sent: Promise<void>
  /** Everything read until the server closed the connection, or the socket error. */
  done: Promise<{ responses: RawResponse[], error?: string }>
}

/**
 * One request on a connection of its own, written as soon as the TCP handshake completes. The
 * kernel completes handshakes for a listening socket even while its process is stopped, so this
 * can queue requests at a paused service.
 */
export function rawExchange (port: number, { method = 'GET', path = '/', headers = {} as Record<string, string>, body = '' } = {}, timeoutMs = 10_000): RawExchange {
  const head = [`${method} ${path} HTTP/1.1`, `host: 127.0.0.1:${port}`, 'connection: close',
    `content-length: ${Buffer.byteLength(body)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
  return rawBytes(port, Buffer.from(head.join('\r\n') + '\r\n\r\n' + body), timeoutMs)
}

/** `bytes` exactly as given, on a connection of its own (for requests no client would send). */
export function rawBytes (port: number, bytes: Buffer, timeoutMs = 10_000): RawExchange {
  const socket = net.connect(port, '127.0.0.1')
  const chunks: Buffer[] = []
  let error: string | undefined
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.on('error', (err: Error & { code?: string }) => { error = err.code ?? err.message })
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const sent = (async () => {
    await once(socket, 'connect')
    socket.write(bytes)
  })()
  const done = (async () => {
    try {
      await within(timeoutMs, 'the server to answer and close', closed)
    } catch {
      error = 'timeout'
    } finally {
      socket.destroy()
    }
    return { responses: parseResponses(Buffer.concat(chunks)), ...(error !== undefined ? { error } : {}) }
  })()
  sent.catch(() => {})
  return { sent, done }
}

/** Nearest-rank percentile of durations (ms). */
export function percentile (values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}
