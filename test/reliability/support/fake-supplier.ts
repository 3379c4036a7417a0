// A fake supplier and its OAuth provider (the reliability suite's shared pieces: see ../support.ts).
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { type AddressInfo, type Socket } from 'node:net'
import { call, type Outcome } from './http.js'
import { waitFor, type Teardown } from './wait.js'

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

/**
 * supplier_circuit_state as the service at `url` reports it on /metrics, once it shows
 * `expected` (scrapes are reused up to 1 s), or the last value seen after 5 s.
 */
export async function reportedCircuit (url: string, expected: number): Promise<number | undefined> {
  let last: number | undefined
  try {
    await waitFor(async () => {
      const body = (await call(`${url}/metrics`, { timeoutMs: 5000 })).body
      const match = /^supplier_circuit_state (\d+)$/m.exec(body)
      last = match === null ? undefined : Number(match[1])
      return last === expected
    }, { timeoutMs: 5000, intervalMs: 200, what: `supplier_circuit_state ${expected}` })
  } catch {}
  return last
}

/** An answer's JSON body (an empty object when it is not JSON). */
export function jsonBody (o: Outcome): Record<string, unknown> {
  try {
    return JSON.parse(o.body) as Record<string, unknown>
  } catch {
    return {}
  }
}
