import { test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { EventEmitter, once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { MYSQL_BASE, REDIS_BASE, TEST_DB, TEST_REDIS_PREFIX, flushPrefix, prepareDatabase } from '../helper.js'
import { freePort } from '../deploy/prom-support.js'

type Teardown = { teardown: (fn: () => unknown) => void }

const ROOT = path.resolve(import.meta.dirname, '../..')
const FEED = { products: [{ sku: 'TOM-1KG', name: 'Organic Tomatoes 1kg', price: 42.5 }], page: 1 }

interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  attributes: Array<{ key: string, value: Record<string, unknown> }>
}

/** An OTLP/HTTP trace receiver (the JSON encoding the exporter sends) on 127.0.0.1:0. */
async function otlpReceiver (t: Teardown): Promise<{ url: string, spans: OtlpSpan[], events: EventEmitter, contentTypes: string[] }> {
  const spans: OtlpSpan[] = []
  const contentTypes: string[] = []
  const events = new EventEmitter()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      contentTypes.push(req.headers['content-type'] ?? '')
      if (req.method === 'POST' && req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>
        }
        for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []))
        events.emit('spans')
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => { server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)) })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, events, contentTypes }
}

/** A supplier with its OAuth token endpoint, recording the headers of every request. */
async function supplier (t: Teardown): Promise<{ url: string, seen: Array<{ path: string, headers: IncomingHttpHeaders }> }> {
  const seen: Array<{ path: string, headers: IncomingHttpHeaders }> = []
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const p = (req.url ?? '/').split('?')[0]
      seen.push({ path: p, headers: req.headers })
      const body = req.method === 'POST' && p.endsWith('/oauth/token')
        ? { access_token: 'tok-1', token_type: 'Bearer', expires_in: 3600 }
        : FEED
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => { server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)) })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

/**
 * The real entry point (src/server.ts) in a child process, started as production starts it:
 * `node --import <telemetry> <server>` (tsx compiles the TypeScript on the fly).
 */
async function startService (t: Teardown, env: Record<string, string>): Promise<{ url: string, logs: () => Array<Record<string, unknown>> }> {
  await prepareDatabase()
  // A clean Redis state (no cached token or feed from the previous service of this file).
  await flushPrefix()
  const port = await freePort()
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', '--import', './src/telemetry.ts', 'src/server.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      WEBHOOK_SECRET: `whsec_${Buffer.from('tracing-test-secret').toString('base64')}`,
      MYSQL_URL: `${MYSQL_BASE}/${TEST_DB}`,
      REDIS_URL: REDIS_BASE,
      REDIS_KEY_PREFIX: TEST_REDIS_PREFIX,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      ...env
    }
  })
  let out = ''
  let err = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { err += d.toString() })
  const exited = once(child, 'exit')
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
    }
  })
  const url = `http://127.0.0.1:${port}`
  // Start-up (tsx compiling, migrations): a few seconds here; 60 s allowed on a busy machine.
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited ${child.exitCode}:\n${err}${out}`)
    // Not /health (never shed): a route answered only once start-up no longer stalls the event
    // loop past the load-shedding limit.
    if (await fetch(`${url}/api/products?limit=1`).then((r) => r.status === 200, () => false)) break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  const logs = (): Array<Record<string, unknown>> => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
  return { url, logs }
}

/** The log lines of one request, once its "request completed" line is out (10 s at most). */
async function requestLogs (service: { logs: () => Array<Record<string, unknown>> }, requestId: string | null): Promise<Array<Record<string, unknown>>> {
  const deadline = Date.now() + 10_000
  let lines = service.logs().filter((l) => l.reqId === requestId)
  while (!lines.some((l) => l.msg === 'request completed') && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    lines = service.logs().filter((l) => l.reqId === requestId)
  }
  return lines
}

const attr = (span: OtlpSpan, key: string): unknown => {
  const v = span.attributes.find((a) => a.key === key)?.value
  return v === undefined ? undefined : Object.values(v)[0]
}

test('with OTEL_EXPORTER_OTLP_ENDPOINT set, /external/products is one trace: the request with the token and supplier calls as children', async (t) => {
  const receiver = await otlpReceiver(t)
  const sup = await supplier(t)
  const service = await startService(t, {
    SUPPLIER_BASE_URL: sup.url,
    OAUTH_CLIENT_ID: 'farmlokal-test',
    OAUTH_CLIENT_SECRET: 'test-secret-value',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: 'farmlokal-test',
    OTEL_BSP_SCHEDULE_DELAY: '100'
  })

  const res = await fetch(`${service.url}/external/products`)
  t.equal(res.status, 200)
  const requestId = res.headers.get('x-request-id')
  await res.arrayBuffer()

  // The spans arrive in batches every 100 ms; wait (bounded) until the root request span is in.
  const isRoot = (s: OtlpSpan): boolean => attr(s, 'http.route') === '/external/products' && s.kind === 2
  const deadline = Date.now() + 20_000
  while (!receiver.spans.some(isRoot) && Date.now() < deadline) {
    await Promise.race([once(receiver.events, 'spans'), new Promise((resolve) => setTimeout(resolve, 500))])
  }
  const root = receiver.spans.find(isRoot)
  if (root === undefined) {
    t.fail(`no request span received; got ${receiver.spans.map((s) => s.name).join(', ')}`)
    return
  }
  t.equal(root.name, 'GET /external/products')
  t.notOk(root.parentSpanId, 'the request span is the root')
  t.ok(receiver.contentTypes.every((c) => c.startsWith('application/json')), 'OTLP/HTTP JSON')

  // Every span of the request is in the root's trace and descends from it.
  const trace = receiver.spans.filter((s) => s.traceId === root.traceId)
  const byId = new Map(trace.map((s) => [s.spanId, s]))
  const descendsFromRoot = (s: OtlpSpan): boolean => {
    let cur: OtlpSpan | undefined = s
    for (let i = 0; i < 20 && cur !== undefined; i++) {
      if (cur.spanId === root.spanId) return true
      cur = cur.parentSpanId !== undefined ? byId.get(cur.parentSpanId) : undefined
    }
    return false
  }
  const clientSpans = trace.filter((s) => s.kind === 3) // SPAN_KIND_CLIENT
  const urlOf = (s: OtlpSpan): string => String(attr(s, 'url.full') ?? '')
  const tokenCall = clientSpans.find((s) => urlOf(s).endsWith('/oauth/token'))
  const supplierCall = clientSpans.find((s) => urlOf(s).startsWith(sup.url) && !urlOf(s).endsWith('/oauth/token'))
  t.ok(tokenCall, `a token call span (client spans: ${clientSpans.map((s) => `${s.name} ${urlOf(s)}`).join('; ')})`)
  t.ok(supplierCall, 'a supplier call span')
  if (tokenCall !== undefined) t.ok(descendsFromRoot(tokenCall), 'the token call is a child of the request')
  if (supplierCall !== undefined) t.ok(descendsFromRoot(supplierCall), 'the supplier call is a child of the request')
  t.ok(trace.every(descendsFromRoot), 'one trace: every span of it descends from the request span')

  // traceparent went on to the supplier: same trace, the supplier call span as parent.
  const feedRequest = sup.seen.find((r) => !r.path.endsWith('/oauth/token'))
  const traceparent = String(feedRequest?.headers.traceparent ?? '')
  t.match(traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/, 'traceparent forwarded to the supplier')
  t.equal(traceparent.split('-')[1], root.traceId)
  t.equal(traceparent.split('-')[2], supplierCall?.spanId)

  // The request's log lines carry the trace and span ids: all but Fastify's "incoming request",
  // which is written before the first hook (and so before the span) exists.
  const lines = (await requestLogs(service, requestId)).filter((l) => l.msg !== 'incoming request')
  t.ok(lines.length >= 1, `request log lines: ${lines.length}`)
  for (const line of lines) {
    t.equal(line.trace_id, root.traceId, `"${String(line.msg)}" has trace_id`)
    t.match(line.span_id, /^[0-9a-f]{16}$/, `"${String(line.msg)}" has span_id`)
  }
})

test('an incoming traceparent is continued', async (t) => {
  const receiver = await otlpReceiver(t)
  const sup = await supplier(t)
  const service = await startService(t, {
    SUPPLIER_BASE_URL: sup.url,
    OAUTH_CLIENT_ID: 'farmlokal-test',
    OAUTH_CLIENT_SECRET: 'test-secret-value',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '100'
  })
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
  const res = await fetch(`${service.url}/external/products`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } })
  t.equal(res.status, 200, await res.clone().text())
  await res.arrayBuffer()
  const feedRequest = sup.seen.find((r) => !r.path.endsWith('/oauth/token'))
  t.equal(String(feedRequest?.headers.traceparent ?? '').split('-')[1], traceId, 'the supplier call is in the caller\'s trace')
  const deadline = Date.now() + 20_000
  const isRoot = (s: OtlpSpan): boolean => s.traceId === traceId && attr(s, 'http.route') === '/external/products' && s.kind === 2
  while (!receiver.spans.some(isRoot) && Date.now() < deadline) {
    await Promise.race([once(receiver.events, 'spans'), new Promise((resolve) => setTimeout(resolve, 500))])
  }
  t.equal(receiver.spans.find(isRoot)?.parentSpanId, '00f067aa0ba902b7', 'the request span is a child of the caller\'s span')
})

test('without OTEL_EXPORTER_OTLP_ENDPOINT nothing is traced, exported or forwarded', async (t) => {
  const receiver = await otlpReceiver(t)
  const sup = await supplier(t)
  const service = await startService(t, {
    SUPPLIER_BASE_URL: sup.url,
    OAUTH_CLIENT_ID: 'farmlokal-test',
    OAUTH_CLIENT_SECRET: 'test-secret-value'
  })
  const res = await fetch(`${service.url}/external/products`)
  t.equal(res.status, 200, await res.clone().text())
  const requestId = res.headers.get('x-request-id')
  await res.arrayBuffer()
  t.ok(sup.seen.length >= 2, 'token and supplier called')
  t.ok(sup.seen.every((r) => r.headers.traceparent === undefined), 'no traceparent sent')
  const lines = await requestLogs(service, requestId)
  t.ok(lines.some((l) => l.msg === 'request completed'), 'the request was logged')
  t.ok(lines.every((l) => l.trace_id === undefined && l.span_id === undefined), 'no trace ids in the logs')
  t.same(receiver.spans, [], 'nothing exported')
})
