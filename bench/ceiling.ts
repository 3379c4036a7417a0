// The ceiling for the cached product list: a bare Fastify route that sends the very bytes of a
// first catalog page (body and response headers, as the service sent them), with nothing else in
// the way. Run as its own process by bench.ts, so that it gets the same core the service gets.
//
//   BODY_FILE=page.json HEADERS_FILE=headers.json PORT=3301 node --import tsx bench/ceiling.ts
//
// HEADERS_FILE holds the service's response headers as one JSON object; those the server writes
// itself (date, connection, keep-alive, content-length) are left to Fastify, and x-request-id gets
// a fresh UUID per response as the service's does. Without it, ETAG alone is sent.
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

const SERVER_WRITTEN = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'x-request-id'])

const body = readFileSync(process.env.BODY_FILE ?? '', 'utf8')
const file = process.env.HEADERS_FILE ?? ''
const recorded: Record<string, string> = file !== ''
  ? JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>
  : { etag: process.env.ETAG ?? '"ceiling"', 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=60, stale-while-revalidate=60' }
const headers = Object.fromEntries(Object.entries(recorded).filter(([k]) => !SERVER_WRITTEN.has(k)))
const requestId = file !== '' && 'x-request-id' in recorded

const app = Fastify({ logger: false })
app.get('/api/products', async (_request, reply) => {
  reply.headers(headers)
  if (requestId) reply.header('x-request-id', crypto.randomUUID())
  return reply.send(body)
})
app.get('/health', async () => ({ status: 'ok' }))
await app.listen({ port: Number(process.env.PORT ?? 3301), host: '127.0.0.1' })
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)) })
