import { EventEmitter, once } from 'node:events'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'

type Teardown = { teardown: (fn: () => unknown) => void }

export const CLIENT_ID = 'test-client'
export const CLIENT_SECRET = 's3cr3t-Value-that-must-never-leak'

/** One request the fake token endpoint received. */
export interface TokenRequestSeen {
  method: string
  path: string
  authorization: string | undefined
  contentType: string | undefined
  body: string
}

/**
 * How the n-th token request (1-based) is answered: `status` with `body` (an object is sent as
 * JSON, a string as is), after `delayMs`; `hang` never answers.
 */
export interface ProviderAnswer {
  status?: number
  body?: unknown
  delayMs?: number
  hang?: boolean
}

export type ProviderBehaviour = (n: number) => ProviderAnswer

/** Issues tok-<n> for `expiresIn` seconds after `delayMs`. */
export const issue = (expiresIn = 3600, delayMs = 0): ProviderBehaviour =>
  (n) => ({ status: 200, body: { access_token: `tok-${n}`, token_type: 'Bearer', expires_in: expiresIn }, delayMs })

export interface FakeProvider {
  /** Base URL, e.g. http://127.0.0.1:54321 (the token endpoint is `${url}/oauth/token`). */
  url: string
  tokenUrl: string
  requests: TokenRequestSeen[]
  /** Emits `request` when a token request has been read. */
  events: EventEmitter
  /** Replace to change the provider's behaviour mid-test. */
  behaviour: ProviderBehaviour
}

function send (res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? {})
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** A real OAuth2 token endpoint on 127.0.0.1 that records and counts what it receives. */
export async function fakeProvider (t: Teardown, behaviour: ProviderBehaviour = issue()): Promise<FakeProvider> {
  const fake: FakeProvider = { url: '', tokenUrl: '', requests: [], events: new EventEmitter(), behaviour }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      fake.requests.push({
        method: req.method ?? '',
        path: (req.url ?? '/').split('?')[0],
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8')
      })
      const answer = fake.behaviour(fake.requests.length)
      fake.events.emit('request', fake.requests.length)
      if (answer.hang === true) return
      const reply = () => { if (!res.destroyed) send(res, answer.status ?? 200, answer.body) }
      if ((answer.delayMs ?? 0) > 0) setTimeout(reply, answer.delayMs)
      else reply()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  fake.tokenUrl = `${fake.url}/oauth/token`
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return fake
}

/** build() overrides pointing the service at `fake`. */
export function providerConfig (fake: FakeProvider, extra: Record<string, string | number> = {}): Record<string, string | number> {
  return {
    SUPPLIER_BASE_URL: fake.url,
    OAUTH_TOKEN_URL: fake.tokenUrl,
    OAUTH_CLIENT_ID: CLIENT_ID,
    OAUTH_CLIENT_SECRET: CLIENT_SECRET,
    ...extra
  }
}

/** The value of oauth_token_fetches_total on `app`. */
export async function fetchCount (app: FastifyInstance): Promise<number> {
  const metric = app.metricsRegistry.getSingleMetric('oauth_token_fetches_total')
  if (metric === undefined) throw new Error('oauth_token_fetches_total is not registered')
  const { values } = await metric.get()
  return values.reduce((sum, v) => sum + v.value, 0)
}

/** Waits until `at` (epoch ms); time itself is what the expiry tests wait for. */
export async function until (at: number): Promise<void> {
  const ms = at - Date.now()
  if (ms > 0) await sleep(ms)
}
