import { EventEmitter, once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

type Teardown = { teardown: (fn: () => unknown) => void }

/** One request the fake supplier received. */
export interface SeenRequest {
  at: number
  method: string
  path: string
  authorization: string | undefined
}

/** Decides the answer to the n-th GET (1-based) the fake supplier receives. */
export type Responder = (req: IncomingMessage, res: ServerResponse, n: number) => void

export interface FakeSupplier {
  /** Base URL, e.g. http://127.0.0.1:54321 */
  url: string
  /** Every supplier request (token requests excluded), in arrival order. */
  requests: SeenRequest[]
  /** Access tokens issued by POST /oauth/token, in order: tok-1, tok-2 ... */
  issued: string[]
  /** Emits `request` for each supplier request. */
  events: EventEmitter
  /** Replace to change the supplier's behaviour mid-test. */
  respond: Responder
}

export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

export const FEED = { products: [{ sku: 'TOM-1KG', name: 'Organic Tomatoes 1kg', price: 42.5 }], page: 1 }

/** Answers every request with the feed. */
export const ok: Responder = (_req, res) => sendJson(res, 200, FEED)
/** Answers every request with `status`. */
export const fail = (status: number, headers: Record<string, string> = {}): Responder =>
  (_req, res) => sendJson(res, status, { error: 'failing on purpose' }, headers)
/** Never answers (the socket stays open until the test ends). */
export const hang: Responder = () => {}

/**
 * A real HTTP supplier on 127.0.0.1: GET /products answered by `respond`, and an OAuth2 token
 * endpoint (POST /oauth/token) issuing tok-1, tok-2 ... for any client.
 */
export async function fakeSupplier (t: Teardown, respond: Responder = ok): Promise<FakeSupplier> {
  const fake: FakeSupplier = { url: '', requests: [], issued: [], events: new EventEmitter(), respond }
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'POST' && path.endsWith('/oauth/token')) {
      req.resume()
      req.on('end', () => {
        const token = `tok-${fake.issued.length + 1}`
        fake.issued.push(token)
        sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 })
      })
      return
    }
    fake.requests.push({ at: performance.now(), method: req.method ?? '', path, authorization: req.headers.authorization })
    fake.events.emit('request')
    fake.respond(req, res, fake.requests.length)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return fake
}

/** Waits for `promise`, failing after `ms` instead of hanging the test. */
export async function within<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The gaps in ms between consecutive supplier requests. */
export function gaps (requests: SeenRequest[]): number[] {
  return requests.slice(1).map((r, i) => r.at - requests[i].at)
}
