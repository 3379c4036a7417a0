import diagnostics from 'node:diagnostics_channel'
import { test, type Test } from 'tap'
import type { FastifyInstance, RouteOptions } from 'fastify'
import { build, flushPrefix } from '../helper.js'

interface Operation {
  tags?: string[]
  summary?: string
  responses?: Record<string, { description?: string, content?: Record<string, { schema?: unknown }>, headers?: Record<string, unknown> }>
}
type Document = { openapi: string, info: { title: string, version: string }, paths: Record<string, Record<string, Operation>> }

/** `/api/products/:id` → `/api/products/{id}` as OpenAPI writes paths. */
const openapiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}')

/** The public surface of the contract: never hidden from the document. */
const PUBLIC = /^\/(api|auth|external|webhook|test-auth|test-retry)(\/|$)/

/** Left out of the document on purpose: the docs' own routes and the sandbox supplier. */
const HIDDEN_PREFIX = /^\/(docs|sandbox)(\/|$)/

interface RouteEntry { method: string, url: string, hidden: boolean }

/**
 * The app as `build` makes it, with every route it registers (HEAD twins left out) as Fastify's
 * own onRoute hook saw it. The hook is added as the instance is created, before any plugin, through
 * Fastify's `fastify.initialization` diagnostics channel.
 */
async function buildWithRoutes (t: Test): Promise<{ app: FastifyInstance, routes: RouteEntry[] }> {
  const routes: RouteEntry[] = []
  const onRoute = (route: RouteOptions): void => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue
      routes.push({ method, url: route.url, hidden: route.schema?.hide === true || HIDDEN_PREFIX.test(route.url) })
    }
  }
  const onInstance = (message: unknown): void => { (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', onRoute) }
  diagnostics.subscribe('fastify.initialization', onInstance)
  try {
    return { app: await build(t), routes }
  } finally {
    diagnostics.unsubscribe('fastify.initialization', onInstance)
  }
}

test('the OpenAPI document covers every route the app registered, each with its responses', async (t) => {
  const { app, routes } = await buildWithRoutes(t)
  const res = await app.inject('/docs/json')
  t.equal(res.statusCode, 200)
  const doc = res.json() as Document
  t.equal(doc.openapi, '3.1.0')
  t.equal(doc.info.title, 'FarmLokal service')
  t.match(doc.info.version, /^\d+\.\d+\.\d+/)

  t.ok(routes.some((r) => r.url === '/health'), 'the hook sees the app\'s routes')
  for (const route of routes.filter((r) => PUBLIC.test(r.url))) {
    t.notOk(route.hidden, `${route.method} ${route.url} is not hidden`)
  }

  for (const route of routes.filter((r) => !r.hidden)) {
    const name = `${route.method} ${route.url}`
    const operation = doc.paths[openapiPath(route.url)]?.[route.method.toLowerCase()]
    if (!t.ok(operation, `${name} is documented`)) continue
    const responses = operation.responses ?? {}
    const success = Object.entries(responses).filter(([code]) => /^2/.test(code))
    t.ok(success.length > 0, `${name} documents a 2xx response`)
    for (const [code, response] of success) {
      t.ok(response.content === undefined || Object.values(response.content).every((c) => c.schema !== undefined), `${name} ${code} has a body schema`)
    }
    for (const [code, response] of Object.entries(responses).filter(([c]) => /^[45]/.test(c))) {
      t.ok(response.content?.['application/problem+json']?.schema, `${name} ${code} is a problem document`)
    }
    t.ok(responses['500'], `${name} documents the unexpected-error problem`)
    if (PUBLIC.test(route.url)) {
      t.ok(responses['429']?.headers?.['retry-after'], `${name} documents the 429 and its retry-after`)
      t.ok(success.every(([, r]) => r.headers?.['x-ratelimit-remaining'] !== undefined), `${name} documents the rate-limit headers`)
      t.ok((operation.tags ?? []).length > 0, `${name} is tagged`)
    }
    // Examples are the route owners' to give; list the gaps without failing on them.
    const hasExample = success.some(([, r]) => Object.values(r.content ?? {}).some((c) => {
      const media = c as { example?: unknown, examples?: unknown, schema?: { example?: unknown, examples?: unknown } }
      return media.example !== undefined || media.examples !== undefined || media.schema?.example !== undefined || media.schema?.examples !== undefined
    }))
    if (!hasExample) t.comment(`${name}: no example for its 2xx response yet`)
  }
})

test('docs and sandbox routes stay out of the document; /metrics is described', async (t) => {
  const app = await build(t)
  const doc = (await app.inject('/docs/json')).json() as Document
  const paths = Object.keys(doc.paths)
  const metrics = doc.paths['/metrics']?.get
  t.match(metrics?.responses?.['200']?.content, { 'text/plain; version=0.0.4; charset=utf-8': { schema: { type: 'string' } } }, '/metrics documented as Prometheus text')
  t.notOk(metrics?.responses?.['429'], '/metrics is not rate limited')
  t.notOk(metrics?.responses?.['503'], '/metrics is never shed')
  t.notOk(paths.some((p) => p.startsWith('/docs')), 'the docs routes hidden')
  t.notOk(paths.some((p) => p.startsWith('/sandbox')), 'the sandbox supplier hidden')
  t.ok(paths.includes('/health') && paths.includes('/ready'), 'the probes are documented')
  t.notOk(doc.paths['/health']?.get?.responses?.['429'], 'exempt routes document no 429')
})

test('each route documents only the responses it can give', async (t) => {
  const app = await build(t)
  // /ready declares 200 and 503; the document adds 500. /health is never shed: no 503 for it.
  const again = (await app.inject('/docs/json')).json() as Document
  t.same(Object.keys(again.paths['/health'].get.responses ?? {}).sort(), ['200', '500'])
  t.same(Object.keys(again.paths['/ready'].get.responses ?? {}).sort(), ['200', '500', '503'])
  t.same(again.paths['/ready'].get.responses?.['503']?.content?.['application/problem+json']?.schema, { $ref: '#/components/schemas/Problem' })
})

test('/docs and /docs/json are served however many times they are fetched: never rate limited', async (t) => {
  await flushPrefix()
  const app = await build(t, { RATE_LIMIT_MAX: 1 })
  for (let i = 0; i < 4; i++) {
    const json = await app.inject('/docs/json')
    t.equal(json.statusCode, 200)
    t.equal(json.headers['x-ratelimit-limit'], undefined)
    const head = await app.inject({ method: 'HEAD', url: '/docs/json' })
    t.equal(head.statusCode, 200)
    t.equal(head.headers['content-length'], json.headers['content-length'], 'HEAD /docs/json announces the document\'s length')
    const ui = await app.inject('/docs')
    t.equal(ui.statusCode, 200)
    t.match(ui.body, /swagger/i)
  }
})
