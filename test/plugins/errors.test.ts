import { once } from 'node:events'
import net, { type AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import errors, { UNEXPECTED_DETAIL } from '../../plugins/errors.js'
import { DatabaseUnavailableError, withProblem } from '../../src/lib/errors.js'
import { RateLimitedError } from '../../plugins/rate-limit.js'
import { build } from '../helper.js'

type Logs = Array<Record<string, unknown>>

/**
 * The errors plugin on a bare Fastify with the service's validation settings, and routes that
 * fail in each way the service can fail.
 */
async function bare (t: { teardown: (fn: () => unknown) => void }, logs: Logs = []): Promise<FastifyInstance> {
  const stream = new Writable({
    write (chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>)
      done()
    }
  })
  const app = Fastify({
    logger: { level: 'info', stream },
    genReqId: () => crypto.randomUUID(),
    bodyLimit: 1024,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: true, useDefaults: true, allErrors: false } }
  }).withTypeProvider<TypeBoxTypeProvider>()
  await app.register(errors)

  app.get('/things', {
    schema: { querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }), sort: Type.Optional(Type.Union([Type.Literal('id'), Type.Literal('-id')])) }) }
  }, async (request) => ({ limit: request.query.limit }))
  app.get('/things/:id', {
    schema: { params: Type.Object({ id: Type.Integer({ minimum: 1 }) }) }
  }, async (request) => ({ id: request.params.id }))
  app.post('/things', {
    schema: { body: Type.Object({ name: Type.String({ minLength: 1 }), tags: Type.Optional(Type.Array(Type.String({ maxLength: 3 }))) }) }
  }, async (request) => ({ name: request.body.name }))
  app.get('/crash', async (_request, reply) => {
    reply.header('etag', '"abc"').header('cache-control', 'public, max-age=60')
    throw new Error('connect ECONNREFUSED password=hunter2 while running SELECT * FROM products')
  })
  app.get('/throw-string', async () => { throw 'a bare string' as unknown as Error }) // eslint-disable-line no-throw-literal
  app.get('/db-down', async () => { throw withProblem(new DatabaseUnavailableError('timeout'), { retryAfter: 2 }) })
  app.get('/limited', async () => {
    throw Object.assign(new RateLimitedError(5, '1 min', '42 s'), { retryAfter: 42, problem: { limit: 5, status: 200, type: 'x' } })
  })
  app.get('/slow', { handlerTimeout: 50 }, async (request) => {
    // Ends when Fastify gives up on the request (or after 5 s at worst).
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 5000)
      request.raw.once('close', () => { clearTimeout(timer); resolve(undefined) })
      request.signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(undefined) })
    })
    return 'late'
  })
  app.get('/upstream-timeout', async () => {
    await new Promise((resolve) => setTimeout(resolve, 20))
    throw new DOMException('The operation was aborted due to timeout', 'TimeoutError')
  })
  app.get('/odd-status', async () => { throw Object.assign(new Error('odd'), { statusCode: 302 }) })
  app.get('/teapot', async () => { throw Object.assign(new Error('I only brew tea'), { statusCode: 418 }) })

  t.teardown(() => app.close())
  await app.ready()
  return app
}

/** The `t` a test callback receives. */
type TapTest = Parameters<Parameters<typeof test>[0]>[0]

function isProblem (t: TapTest, res: { statusCode: number, headers: Record<string, unknown>, json: () => unknown }, status: number): Record<string, unknown> {
  t.equal(res.statusCode, status, `status ${status}`)
  t.match(res.headers['content-type'], /^application\/problem\+json/, 'problem+json')
  t.equal(res.headers['cache-control'], 'no-store', 'never cached')
  const body = res.json() as Record<string, unknown>
  t.match(body, { type: String, title: String, status, detail: String, instance: String, requestId: String })
  return body
}

test('a query parameter out of range is a 400 problem naming the parameter', async (t) => {
  const app = await bare(t)
  const res = await app.inject('/things?limit=500')
  const body = isProblem(t, res, 400)
  t.equal(body.detail, 'querystring/limit must be <= 100')
  t.equal(body.type, 'https://farmlokal.dev/problems/validation')
  t.same(body.invalidParams, [{ in: 'querystring', name: 'limit', reason: 'must be <= 100' }])
  t.equal(body.instance, '/things', 'instance is the path without the query')
})

test('an unknown enum value names the parameter and the allowed values', async (t) => {
  const app = await bare(t)
  const res = await app.inject('/things?sort=name')
  const body = isProblem(t, res, 400)
  t.match(body.detail, /^querystring\/sort /)
})

test('a path parameter of the wrong type is a 400 problem naming it', async (t) => {
  const app = await bare(t)
  const body = isProblem(t, await app.inject('/things/abc'), 400)
  t.equal(body.detail, 'params/id must be integer')
})

test('a missing or invalid body member is a 400 problem naming it', async (t) => {
  const app = await bare(t)
  const missing = isProblem(t, await app.inject({ method: 'POST', url: '/things', payload: {} }), 400)
  t.equal(missing.detail, "body/name must have required property 'name'")
  const nested = isProblem(t, await app.inject({ method: 'POST', url: '/things', payload: { name: 'x', tags: ['ok', 'toolong'] } }), 400)
  t.equal(nested.detail, 'body/tags.1 must NOT have more than 3 characters')
})

test('malformed JSON, a wrong media type and a body too large are 4xx problems', async (t) => {
  const app = await bare(t)
  const malformed = isProblem(t, await app.inject({ method: 'POST', url: '/things', headers: { 'content-type': 'application/json' }, payload: '{"name":' }), 400)
  t.match(malformed.type, /^https:\/\/farmlokal\.dev\/problems\//)
  isProblem(t, await app.inject({ method: 'POST', url: '/things', headers: { 'content-type': 'text/csv' }, payload: 'a,b' }), 415)
  isProblem(t, await app.inject({ method: 'POST', url: '/things', payload: { name: 'x'.repeat(2000) } }), 413)
})

test('an unknown route is a 404 problem', async (t) => {
  const app = await bare(t)
  const body = isProblem(t, await app.inject('/nowhere?x=1'), 404)
  t.equal(body.type, 'https://farmlokal.dev/problems/route-not-found')
  t.equal(body.detail, 'No route for GET /nowhere')
})

test('an unexpected error is a 500 without internals, logged with the request id', async (t) => {
  const logs: Logs = []
  const app = await bare(t, logs)
  const res = await app.inject('/crash')
  const body = isProblem(t, res, 500)
  t.equal(body.detail, UNEXPECTED_DETAIL)
  t.notMatch(res.body, /hunter2|SELECT|ECONNREFUSED|stack|at /, 'nothing of the cause in the body')
  t.equal(res.headers.etag, undefined, 'the etag set before the failure is dropped')
  const line = logs.find((l) => l.msg === 'unexpected error')
  t.ok(line, 'logged')
  t.equal(line?.level, 50, 'at error level')
  t.equal(line?.reqId, body.requestId, 'with the request id the client sees')
  t.match((line?.err as { stack?: string })?.stack, /hunter2/, 'the cause is in the log')
})

test('a thrown non-error value is a 500 problem too', async (t) => {
  const app = await bare(t)
  const body = isProblem(t, await app.inject('/throw-string'), 500)
  t.equal(body.detail, UNEXPECTED_DETAIL)
})

test('a status outside 4xx/5xx on an error becomes a 500; other 4xx keep their status', async (t) => {
  const app = await bare(t)
  isProblem(t, await app.inject('/odd-status'), 500)
  const teapot = isProblem(t, await app.inject('/teapot'), 418)
  t.equal(teapot.detail, 'I only brew tea')
  t.equal(teapot.type, 'about:blank')
})

test('our own 5xx errors keep their detail and retry-after, logged as warnings', async (t) => {
  const logs: Logs = []
  const app = await bare(t, logs)
  const res = await app.inject('/db-down')
  const body = isProblem(t, res, 503)
  t.equal(body.type, 'https://farmlokal.dev/problems/db-unavailable')
  t.match(body.detail, /database is unavailable/)
  t.equal(res.headers['retry-after'], '2')
  t.ok(logs.some((l) => l.level === 40 && l.reqId === body.requestId), 'warned with the request id')
  t.notOk(logs.some((l) => l.level === 50), 'not an error: the cause is known')
})

test('a rate-limit error is a 429 problem with retry-after; extra members never replace core ones', async (t) => {
  const app = await bare(t)
  const res = await app.inject('/limited')
  const body = isProblem(t, res, 429)
  t.equal(res.headers['retry-after'], '42')
  t.equal(body.type, 'https://farmlokal.dev/problems/rate-limited')
  t.equal(body.title, 'Too Many Requests')
  t.equal(body.limit, 5, 'extra member kept')
  t.equal(body.status, 429, 'core member not overridden')
})

test('a request that outlives its handler timeout is a 503 problem with retry-after', async (t) => {
  const app = await bare(t)
  const started = Date.now()
  const res = await app.inject('/slow')
  const body = isProblem(t, res, 503)
  t.equal(body.type, 'https://farmlokal.dev/problems/request-timeout')
  t.equal(res.headers['retry-after'], '1')
  t.ok(Date.now() - started < 2000, 'answered at the deadline, not when the work ended')
})

test('an upstream call that timed out without being handled is a 504 problem', async (t) => {
  const app = await bare(t)
  const body = isProblem(t, await app.inject('/upstream-timeout'), 504)
  t.equal(body.type, 'https://farmlokal.dev/problems/upstream-timeout')
})

test('the service answers an unknown /api path with the 404 problem', async (t) => {
  const app = await build(t)
  const res = await app.inject('/api/does-not-exist/42')
  const body = isProblem(t, res, 404)
  t.equal(body.instance, '/api/does-not-exist/42')
  t.equal(body.requestId, res.headers['x-request-id'], 'the request id is also a header')
})

test('an HTTP/1.1 request without Host is refused with a problem+json 400; HTTP/1.0 may leave it out', async (t) => {
  const app = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as AddressInfo).port
  const exchange = async (head: string): Promise<string> => {
    const socket = net.connect(port, '127.0.0.1')
    await once(socket, 'connect')
    socket.write(head)
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    await Promise.race([once(socket, 'close'), once(socket, 'end')])
    socket.destroy()
    return Buffer.concat(chunks).toString('utf8')
  }
  const raw = await exchange('GET /health HTTP/1.1\r\nconnection: close\r\n\r\n')
  t.match(raw, /^HTTP\/1\.1 400 /)
  t.match(raw, /content-type: application\/problem\+json/i)
  const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>
  t.match(body, { status: 400, title: 'Bad Request', detail: /Host/ })
  t.match(await exchange('GET /health HTTP/1.0\r\n\r\n'), /^HTTP\/1\.[01] 200 /, 'HTTP/1.0 without Host is served')
  t.match(await exchange('GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'), /^HTTP\/1\.1 200 /, 'with Host: served')
})
