/* eslint-disable no-template-curly-in-string -- hostile inputs and planted source text contain `${...}` on purpose */
// Hostile input: fast-check throws generated query strings, path parameters, headers and
// webhook bodies (huge, deeply nested, wrong types, invalid UTF-8, SQL and JSON injection) at
// the service. Never a 5xx; every 4xx a problem+json; a refused webhook changes nothing; an
// accepted injection attempt is stored as plain data. Raw sockets cover what an HTTP client
// cannot send. A static check finds SQL text built from non-constant parts.
import { test } from 'tap'
import fc from 'fast-check'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type mysql from 'mysql2/promise'
import { build, flushPrefix, sql } from '../helper.js'
import {
  ROOT, WEBHOOK_SECRET, rawBytes, seedProducts, signWebhook, startFakeSupplier, supplierEnv, type RawResponse
} from './support.js'
import { sqlInterpolations } from './sql-scan.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 150)

// ---------------------------------------------------------------------------------------------
// What a safe answer is

/**
 * Shapes of 4xx that Fastify or a plugin would send as something other than problem+json if the
 * service's frameworkErrors, clientErrorHandler or CORS settings regressed. They are collected
 * (and asserted empty below) rather than thrown, so the fuzzing goes on to find anything else.
 */
const KNOWN_GAPS: Array<{ body: RegExp, gap: string }> = [
  { body: /"code":"FST_ERR_(BAD_URL|MAX_PARAM_LENGTH)"/, gap: 'routing errors (bad percent-encoding, a parameter past maxParamLength) are Fastify\'s plain JSON: no frameworkErrors option' },
  { body: /^Invalid Preflight Request$/, gap: 'OPTIONS without Origin or Access-Control-Request-Method is a text/plain 400 from @fastify/cors (strictPreflight)' },
  { body: /^\{"error":"[^"]+","message":"(Client Error|Exceeded maximum allowed HTTP header size)"/, gap: 'HTTP the parser refuses is Fastify\'s plain JSON 400/431: no clientErrorHandler option' }
]
const gapsSeen = new Map<string, string>()

/** Throws (so fast-check shrinks the input) unless the answer is a non-5xx, and a 4xx is a problem. */
function assertSafe (res: { statusCode: number, headers: Record<string, unknown>, body: string }, what: string): void {
  if (res.statusCode >= 500) throw new Error(`${what}: ${res.statusCode} ${res.body.slice(0, 300)}`)
  if (res.statusCode >= 400) {
    const type = String(res.headers['content-type'] ?? '')
    const known = KNOWN_GAPS.find((k) => k.body.test(res.body))
    if (!/^application\/problem\+json/.test(type) && known !== undefined) {
      if (!gapsSeen.has(known.gap)) gapsSeen.set(known.gap, `${what.slice(0, 120)} → ${res.statusCode} ${type}`)
      return
    }
    if (!/^application\/problem\+json/.test(type)) throw new Error(`${what}: ${res.statusCode} as ${type}: ${res.body.slice(0, 300)}`)
    if (res.body === '' && what.startsWith('HEAD ')) return // a HEAD answer has headers only
    const body = JSON.parse(res.body) as Record<string, unknown>
    if (body.status !== res.statusCode || typeof body.title !== 'string' || typeof body.detail !== 'string' || typeof body.type !== 'string') {
      throw new Error(`${what}: malformed problem ${res.body.slice(0, 300)}`)
    }
    // (SQL words may appear: a 4xx detail may quote the client's own input back.)
    if (/\bat \S+ \(|mysql2|node_modules|\bER_[A-Z_]+\b/.test(res.body)) throw new Error(`${what}: internals in the problem: ${res.body.slice(0, 300)}`)
  }
}

function safeRaw (r: RawResponse): { statusCode: number, headers: Record<string, unknown>, body: string } {
  return { statusCode: r.status, headers: r.headers, body: r.body }
}

// ---------------------------------------------------------------------------------------------
// Hostile values

const INJECTIONS = [
  "' OR '1'='1", '1; DROP TABLE products; --', '1 UNION SELECT event_id, payload FROM webhook_events --',
  "\\' OR 1=1 #", '" OR ""="', "1' AND SLEEP(5) AND '1", "') OR ('a'='a", '1/**/OR/**/1=1', "'; SHUTDOWN; --",
  '{"$gt": ""}', '{"__proto__": {"admin": true}}', '__proto__', 'constructor', 'prototype', 'toString',
  '[object Object]', '\u0000', '\uFEFF', '\u202E', '../../etc/passwd', '<script>alert(1)</script>',
  '${7*7}', '{{7*7}}', 'null', 'undefined', 'true', 'NaN', 'Infinity', '-Infinity', '[]', '{}', '',
  ' ', '\t', '\r\n', '1e308', '1e-308', '-0', '0x10', '0b1', '+1', '1_000', '9'.repeat(400), '１２３',
  '\uD800', '\uDFFF', 'a\uD83D', '😀'.repeat(40), 'é'.repeat(100), 'a'.repeat(10_000)
]

const injection = fc.constantFrom(...INJECTIONS)
const numberish = fc.oneof(
  fc.integer().map(String), fc.double().map(String), fc.bigInt().map(String),
  fc.constantFrom('0', '1', '100', '101', '-1', '1.5', '.5', '5.', '12.505', '0.001', '99999999999.99', '1e3', ' 5', '5 ')
)
const hostile = fc.oneof(
  { weight: 3, arbitrary: injection },
  { weight: 2, arbitrary: numberish },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 600 }) },
  { weight: 1, arbitrary: fc.constantFrom('id', '-id', 'price', '-price', 'createdAt', '-createdAt', 'vegetables', 'fruits') }
)

/** Percent-encodes every byte outside the unreserved set (lone surrogates become U+FFFD). */
function pct (value: string): string {
  let out = ''
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte)
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : '%' + byte.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

/** Arbitrary bytes, percent-encoded: invalid UTF-8 once decoded. */
const invalidUtf8 = fc.uint8Array({ minLength: 1, maxLength: 24 }).map((bytes) => [...bytes].map((b) => '%' + b.toString(16).padStart(2, '0')).join(''))
/** Percent signs that decode to nothing valid. */
const brokenPercent = fc.constantFrom('%', '%%', '%ZZ', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%F4%90%80%80', '%FF%FE', '%00', '%u0041', '%2', '%%32%65')
const encodedValue = fc.oneof({ weight: 4, arbitrary: hostile.map(pct) }, { weight: 1, arbitrary: invalidUtf8 }, { weight: 1, arbitrary: brokenPercent })

const QUERY_KEYS = ['limit', 'cursor', 'category', 'minPrice', 'maxPrice', 'sort']
const queryKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'limit[]', 'sort[0]', 'category[a]', 'a.b', '', 'LIMIT', 'toString') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map(pct) }
)
const queryString = fc.array(fc.tuple(queryKey, encodedValue), { maxLength: 7 })
  .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'))

// ---------------------------------------------------------------------------------------------

async function counts (conn: mysql.Connection): Promise<string> {
  const [[row]] = await conn.query<mysql.RowDataPacket[]>('SELECT (SELECT COUNT(*) FROM webhook_events) AS e, (SELECT COUNT(*) FROM orders) AS o, (SELECT COUNT(*) FROM products) AS p')
  return `${String(row.e)}/${String(row.o)}/${String(row.p)}`
}

function plain (res: LightMyRequestResponse): { statusCode: number, headers: Record<string, unknown>, body: string } {
  return { statusCode: res.statusCode, headers: res.headers, body: res.body }
}

test('hostile input never gets a 5xx, and every 4xx is a problem+json', async (t) => {
  const conn = await sql(t)
  await seedProducts(conn, 120)
  await flushPrefix()
  const fake = await startFakeSupplier(t)
  const app: FastifyInstance = await build(t, { ...supplierEnv(fake), WEBHOOK_SECRET, RATE_LIMIT_MAX: 100_000_000 })
  const productsBefore = await counts(conn)

  await t.test('query strings on every route', async (t) => {
    const paths = ['/api/products', '/api/products', '/api/products', '/api/products/7', '/api/orders/ord-1',
      '/auth/token', '/external/products', '/health', '/ready', '/metrics', '/docs/json', '/nope']
    await fc.assert(fc.asyncProperty(fc.constantFrom(...paths), queryString, async (path, query) => {
      const res = await app.inject({ method: 'GET', url: `${path}?${query}` })
      assertSafe(plain(res), `GET ${path}?${query}`)
    }), { numRuns: RUNS * 3 })
    t.pass(`${RUNS * 3} generated query strings answered safely`)
  })

  await t.test('path parameters', async (t) => {
    const segment = fc.oneof(encodedValue, fc.constantFrom('0', '-1', '1.5', '1e3', '0x1F', '9007199254740993', ' 1', '%20', '%2F', '..', '.', '1;2', '1,2', 'a'.repeat(300)))
    await fc.assert(fc.asyncProperty(fc.constantFrom('/api/products/', '/api/orders/'), segment, async (prefix, value) => {
      const res = await app.inject({ method: 'GET', url: prefix + value })
      assertSafe(plain(res), `GET ${prefix}${value}`)
      if (prefix === '/api/orders/' && res.statusCode === 200) throw new Error(`GET ${prefix}${value}: an order that was never created`)
    }), { numRuns: RUNS * 2 })
    t.pass(`${RUNS * 2} generated path parameters answered safely`)
  })

  await t.test('headers', async (t) => {
    const headerValue = fc.oneof(fc.stringMatching(/^[\x20-\x7e]{0,300}$/), injection.filter((s) => /^[\x20-\x7e]*$/.test(s)))
    const headerName = fc.constantFrom('if-none-match', 'accept', 'accept-encoding', 'x-request-id', 'x-forwarded-for',
      'content-type', 'origin', 'range', 'cookie', 'authorization', 'if-modified-since', 'cache-control', 'accept-language',
      'webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-encoding', 'x-http-method-override')
    const request = fc.record({
      method: fc.constantFrom('GET', 'GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH'),
      path: fc.constantFrom('/api/products?limit=3', '/api/products/5', '/api/orders/ord-1', '/auth/token', '/webhook/order-update', '/api/webhook', '/ready'),
      headers: fc.dictionary(headerName, headerValue, { maxKeys: 6 })
    })
    await fc.assert(fc.asyncProperty(request, async ({ method, path, headers }) => {
      const body = method === 'POST' ? JSON.stringify({ event_id: 'evt-hdr', status: 'x' }) : undefined
      const res = await app.inject({ method: method as 'GET', url: path, headers, ...(body !== undefined ? { payload: body } : {}) })
      assertSafe(plain(res), `${method} ${path} ${JSON.stringify(headers)}`)
    }), { numRuns: RUNS * 2 })
    t.pass(`${RUNS * 2} generated header sets answered safely`)
    t.equal(await counts(conn), productsBefore, 'unsigned or badly signed webhooks stored nothing')
  })

  await t.test('webhook bodies, correctly signed', async (t) => {
    const anyValue = fc.oneof(hostile, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(hostile, { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), hostile, { maxKeys: 3 }))
    const instant = fc.oneof(
      fc.date({ noInvalidDate: true, min: new Date(Date.UTC(1, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)) }).map((d) => d.toISOString()),
      fc.constantFrom('2025-02-30T10:00:00Z', '2025-01-01T24:00:00Z', '2025-01-01T10:00:60Z', '0000-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z',
        '2025-01-01', '2025-01-01T10:00:00', '10:00', 'yesterday', '2025-01-01T10:00:00.123456789+05:30'),
      anyValue)
    const event = fc.record({
      event_id: fc.oneof({ weight: 4, arbitrary: hostile }, { weight: 1, arbitrary: anyValue }),
      status: fc.oneof({ weight: 4, arbitrary: hostile }, { weight: 1, arbitrary: anyValue }),
      order_id: fc.oneof({ weight: 4, arbitrary: hostile }, { weight: 1, arbitrary: anyValue }),
      occurred_at: instant,
      extra: anyValue
    }, { requiredKeys: [] })
    const nested = fc.integer({ min: 50, max: 20_000 }).map((depth) => `{"event_id":"evt-deep-${depth}","status":"x","deep":${'['.repeat(depth)}${']'.repeat(depth)}}`)
    const body = fc.oneof(
      { weight: 6, arbitrary: event.map((e) => Buffer.from(JSON.stringify(e))) },
      { weight: 1, arbitrary: fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
      { weight: 1, arbitrary: nested.map((s) => Buffer.from(s)) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.concat([Buffer.from('{"event_id":"evt-bytes-'), Buffer.from(b), Buffer.from('","status":"x"}')])) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '{"event_id":"evt-dup","event_id":"evt-dup-2","status":"x"}', '{"event_id":"evt-proto","status":"x","__proto__":{"polluted":true}}',
          '{"event_id":"evt-ctor","status":"x","constructor":{"prototype":{"polluted":true}}}', '{"event_id":"a"', '', ' ', 'null', '[]', '"x"', '1e999',
          '{"event_id":"evt-ws","status":"x"}   \n', '\uFEFF{"event_id":"evt-bom","status":"x"}', '{"event_id":"evt-big","status":"x","pad":"' + 'p'.repeat(70_000) + '"}'
        ).map((s) => Buffer.from(s))
      }
    )
    const contentType = fc.constantFrom('application/json', 'application/json', 'application/json; charset=utf-8', 'application/cloudevents+json',
      'APPLICATION/JSON', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', '')

    await fc.assert(fc.asyncProperty(body, contentType, fc.constantFrom('/webhook/order-update', '/api/webhook'), async (payload, type, path) => {
      const before = await counts(conn)
      const res = await app.inject({ method: 'POST', url: path, headers: { ...(type === '' ? {} : { 'content-type': type }), ...signWebhook(payload) }, payload })
      const what = `POST ${path} (${type}) ${payload.toString('utf8').slice(0, 200)}`
      assertSafe(plain(res), what)
      if (res.statusCode >= 400 && await counts(conn) !== before) throw new Error(`${what}: refused with ${res.statusCode} but the tables changed`)
      if (res.statusCode === 200) {
        const sent = JSON.parse(payload.toString('utf8')) as { event_id: string, order_id?: unknown }
        if (typeof sent.order_id === 'string' && !(res.json() as { duplicate: boolean }).duplicate) {
          // Stored as data: the order reads back with exactly this event id.
          const order = await app.inject({ method: 'GET', url: `/api/orders/${pct(sent.order_id)}` })
          const history = order.statusCode === 200 ? (order.json() as { history: Array<{ eventId: string }> }).history : []
          if (!history.some((h) => h.eventId === sent.event_id)) throw new Error(`${what}: accepted, but order ${JSON.stringify(sent.order_id)} does not show it (${order.statusCode})`)
        }
      }
    }), { numRuns: RUNS * 3 })
    t.pass(`${RUNS * 3} generated webhook deliveries answered safely`)
    const [[products]] = await conn.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM products')
    t.equal(Number(products.n), 120, 'the catalog is untouched')
  })

  await t.test('webhook signatures', async (t) => {
    const payload = JSON.stringify({ event_id: 'evt-signed-fuzz', order_id: 'ord-signed-fuzz', status: 'paid' })
    const good = signWebhook(payload)
    const headerValue = fc.oneof(hostile.filter((s) => /^[\x20-\x7e]*$/.test(s)), fc.stringMatching(/^v1,[A-Za-z0-9+/=]{0,60}( v1,[A-Za-z0-9+/=]{0,60}){0,3}$/),
      fc.constantFrom(good['webhook-signature'].replace('v1,', 'v2,'), good['webhook-signature'].slice(0, -2), `v1,${'A'.repeat(10_000)}`))
    const headers = fc.record({
      'webhook-id': fc.oneof(fc.constant(good['webhook-id']), headerValue),
      'webhook-timestamp': fc.oneof(fc.constant(good['webhook-timestamp']), headerValue, fc.integer().map(String)),
      'webhook-signature': fc.oneof(fc.constant(good['webhook-signature']), headerValue)
    }, { requiredKeys: [] })
    const before = await counts(conn)
    await fc.assert(fc.asyncProperty(headers, async (h) => {
      const res = await app.inject({ method: 'POST', url: '/webhook/order-update', headers: { 'content-type': 'application/json', ...h }, payload })
      assertSafe(plain(res), `signature headers ${JSON.stringify(h).slice(0, 300)}`)
      const genuine = h['webhook-id'] === good['webhook-id'] && h['webhook-timestamp'] === good['webhook-timestamp'] && h['webhook-signature'] === good['webhook-signature']
      if (!genuine && res.statusCode !== 401) throw new Error(`forged signature headers got ${res.statusCode}: ${JSON.stringify(h).slice(0, 300)}`)
    }), { numRuns: RUNS })
    t.pass(`${RUNS} generated signature headers answered safely`)
    const after = await counts(conn)
    t.ok(after === before || (await app.inject({ method: 'GET', url: '/api/orders/ord-signed-fuzz' })).statusCode === 200,
      'only the genuine delivery may have stored anything')
  })

  await t.test('raw HTTP that no client library would send', async (t) => {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const port = (app.server.address() as AddressInfo).port
    const cases: Array<[string, Buffer]> = [
      ['invalid UTF-8 bytes in the path', Buffer.concat([Buffer.from('GET /api/products/'), Buffer.from([0xff, 0xfe]), Buffer.from(' HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')])],
      ['invalid UTF-8 bytes in the query', Buffer.concat([Buffer.from('GET /api/products?category='), Buffer.from([0xc0, 0xaf, 0xff]), Buffer.from(' HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')])],
      ['broken percent-encoding in the path', Buffer.from('GET /api/products/%E0%A4%A HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')],
      ['broken percent-encoding in an order id', Buffer.from('GET /api/orders/%FF%FE%ZZ HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')],
      ['a path parameter past the router limit', Buffer.from(`GET /api/orders/${'o'.repeat(300)} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`)],
      ['a request line that is not HTTP', Buffer.from('HELLO THERE\r\n\r\n')],
      ['a header line without a colon', Buffer.from('GET /api/products HTTP/1.1\r\nhost: x\r\nbad header line\r\nconnection: close\r\n\r\n')],
      ['headers larger than the server takes', Buffer.from(`GET /api/products HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\nconnection: close\r\n\r\n`)],
      ['an invalid chunk size', Buffer.from('POST /webhook/order-update HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n')],
      ['content-length and chunked together', Buffer.from('POST /webhook/order-update HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n0\r\n\r\n')],
      ['a body far longer than its content-length', Buffer.from('POST /webhook/order-update HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{"event_id":"evt-long","status":"x"}')]
    ]
    for (const [name, bytes] of cases) {
      const { responses, error } = await rawBytes(port, bytes, 8000).done
      if (responses.length === 0) {
        t.not(error, 'timeout', `${name}: the connection was closed without a hang (${error ?? 'closed'})`)
        continue
      }
      t.doesNotThrow(() => { assertSafe(safeRaw(responses[0]), name) }, `${name}: answered ${responses[0].status}, no 5xx`)
    }
  })

  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'the service is still healthy afterwards')
  t.same([...gapsSeen].map(([gap, example]) => `${gap} (e.g. ${example})`), [], 'every 4xx above was a problem+json')
})

test('no SQL text is built from values: every interpolation into SQL has been reviewed', async (t) => {
  /** Interpolations into SQL text, reviewed: constants and identifiers only, never request values. */
  const REVIEWED: Record<string, string[]> = {
    // the keyset statement: FORCE INDEX names from INDEX_PLAN, WHERE fragments with `?`
    // placeholders, ORDER BY columns from the COLUMN map, the fixed column list
    'src/lib/keyset.ts': [
      "plan.indexes.map((i) => i === 'PRIMARY' ? '`PRIMARY`' : i).join(', ')",
      "where.join(' AND ')",
      'COLUMNS.map((c) => `p.${c}`).join(\', \')',
      'hint', 'filter', "order('')", "order('p.')", "COLUMNS.join(', ')"
    ],
    // the seeder's own table names (module constants) and identifiers, each escaped
    'seed/seeder.ts': ['PRODUCTS'],
    'seed/connection.ts': ["ifExists ? 'IF EXISTS ' : ''", "tables.map((t) => mysql.escapeId(t)).join(', ')"],
    'seed/insert-rows.ts': ["PRODUCT_COLUMNS.map((c) => mysql.escapeId(c)).join(', ')"],
    // index names (escaped) and index clauses read back from SHOW CREATE TABLE of the seeder's own table
    'seed/table-swap.ts': [
      "indexes.map((i) => `DROP INDEX ${mysql.escapeId(i.name)}`).join(', ')",
      "indexes.map((i) => `ADD ${i.clause}`).join(', ')"
    ],
    // the search statements: the fixed column list, the rank expression (a constant with a `?`
    // placeholder), WHERE fragments with `?` placeholders, ORDER BY from the SORT_COLUMN map
    'src/lib/search-sql.ts': ['COLUMNS', 'RANK', "where.join(' AND ')", 'order']
  }
  const found = sqlInterpolations(ROOT, ['plugins', 'routes', 'src', 'seed'])
  t.ok(found.length > 0, `the scanner finds the SQL interpolations that exist (${found.length})`)
  const unreviewed = found.filter((i) => {
    if (/^(mysql\.|conn\.|this\.)?escapeId\(/.test(i.expression)) return false // identifiers, escaped
    return !(REVIEWED[i.file] ?? []).includes(i.expression.replace(/\s+/g, ' '))
  })
  t.same(unreviewed.map((i) => `${i.file}:${i.line} \${${i.expression}} in "${i.sql}"`), [],
    'every value reaches SQL as a `?` parameter; nothing else is interpolated or concatenated')
  t.same(found.filter((i) => i.file.startsWith('routes/')), [], 'no SQL at all in routes')

  // The scanner itself finds what it is meant to find.
  const planted = mkdtempSync(path.join(tmpdir(), 'fl-sql-scan-'))
  t.teardown(() => rmSync(planted, { recursive: true, force: true }))
  mkdirSync(path.join(planted, 'plugins'))
  writeFileSync(path.join(planted, 'plugins', 'planted.ts'), [
    "export const a = (q: { category: string }) => `SELECT id FROM products WHERE category = '${q.category}'`",
    "export const b = (q: { id: string }) => 'SELECT status FROM orders WHERE order_id = ' + q.id",
    'export const c = (q: { category: string }) => `category = ${q.category}`',
    'export const d = (ttl: number) => `public, max-age=${ttl}`',
    'export const e = (x: string, y: string) => `(got ${x} > ${y})`'
  ].join('\n'))
  t.same(sqlInterpolations(planted, ['plugins']).map((i) => `${i.line}:${i.expression}`), ['1:q.category', '2:q.id', '3:q.category'],
    'planted concatenations are found; a header value and a message are not SQL')
})
