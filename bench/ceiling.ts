// The ceiling for the cached product list: a bare Fastify route that sends the very bytes (and
// headers) of a first catalog page, with nothing else in the way. Run as its own process by
// bench.ts, so that it gets the same core the service gets.
//
//   BODY_FILE=page.json ETAG='"…"' PORT=3301 node --import tsx bench/ceiling.ts
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

const body = readFileSync(process.env.BODY_FILE ?? '', 'utf8')
const etag = process.env.ETAG ?? '"ceiling"'
const app = Fastify({ logger: false })
app.get('/api/products', async (_request, reply) => {
  reply.header('content-type', 'application/json; charset=utf-8')
  reply.header('etag', etag)
  reply.header('cache-control', 'public, max-age=60, stale-while-revalidate=60')
  return reply.send(body)
})
app.get('/health', async () => ({ status: 'ok' }))
await app.listen({ port: Number(process.env.PORT ?? 3301), host: '127.0.0.1' })
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)) })
