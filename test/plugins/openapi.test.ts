import { test, type Test } from 'tap'
import { Validator } from '@seriousme/openapi-schema-validator'
import { RATE_LIMIT_HEADERS } from '../../src/schemas/openapi.js'
import { build } from '../helper.js'

// Parsed JSON, read loosely: the assertions check the shapes.
type Json = Record<string, any>

interface Operation {
  operationId?: string
  deprecated?: boolean
  requestBody?: Json
  responses: Record<string, { description: string, headers?: Record<string, Json>, content?: Record<string, { schema?: Json, example?: unknown, examples?: unknown }> }>
}

async function documentOf (t: Test): Promise<Json> {
  const app = await build(t)
  const res = await app.inject('/docs/json')
  t.equal(res.statusCode, 200)
  return res.json() as Json
}

function operations (doc: Json): Array<[string, Operation]> {
  const out: Array<[string, Operation]> = []
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, operation] of Object.entries(methods)) out.push([`${method.toUpperCase()} ${path}`, operation])
  }
  return out
}

/** Every `$ref` anywhere below `node`. */
function refs (node: unknown, into: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) refs(n, into)
  else if (typeof node === 'object' && node !== null) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') into.push(v)
      else refs(v, into)
    }
  }
  return into
}

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` })

test('/docs/json is a valid OpenAPI 3.1 document, and the validator rejects a broken one', async (t) => {
  const doc = await documentOf(t)
  const validator = new Validator()
  const result = await validator.validate(structuredClone(doc))
  t.equal(validator.version, '3.1')
  t.same(result.errors, undefined, 'no validation errors')
  t.equal(result.valid, true)

  // The check can fail: a response without its required description, a path without a slash.
  const broken = structuredClone(doc)
  delete broken.paths['/api/products'].get.responses['200'].description
  broken.paths.health = broken.paths['/health']
  t.equal((await new Validator().validate(broken)).valid, false, 'a broken document is reported')

  for (const ref of new Set(refs(doc))) {
    const name = ref.replace('#/components/schemas/', '')
    t.ok(ref.startsWith('#/components/schemas/') && doc.components.schemas[name] !== undefined, `${ref} resolves`)
  }
})

test('every operation has a unique camelCase operationId; the routes have the names clients know', async (t) => {
  const doc = await documentOf(t)
  const ids = operations(doc).map(([name, op]) => {
    t.match(op.operationId, /^[a-z][a-zA-Z0-9]*$/, `${name} has a camelCase operationId`)
    return op.operationId
  })
  t.equal(new Set(ids).size, ids.length, 'operationIds are unique')
  const byRoute = Object.fromEntries(operations(doc).map(([name, op]) => [name, op.operationId]))
  t.match(byRoute, {
    'GET /api/products': 'listProducts',
    'GET /api/products/{id}': 'getProduct',
    'GET /auth/token': 'getSupplierToken',
    'GET /external/products': 'getSupplierProducts',
    'POST /webhook/order-update': 'receiveOrderWebhook',
    'GET /api/orders/{orderId}': 'getOrder',
    'GET /health': 'getHealth',
    'GET /ready': 'getReady',
    'GET /metrics': 'getMetrics'
  })
})

test('shared shapes are registered with addSchema, named under components.schemas and referenced', async (t) => {
  const app = await build(t)
  const doc = (await app.inject('/docs/json')).json() as Json
  const names = ['Product', 'ProductPage', 'Problem', 'Order', 'OrderHistoryEntry', 'OrderUpdateEvent', 'WebhookAck', 'TokenInfo', 'SupplierProducts', 'Health', 'Ready']
  for (const name of names) {
    t.ok(app.getSchema(name), `${name} is a shared schema of the app`)
    t.ok(doc.components.schemas[name], `${name} is in components.schemas`)
  }
  const paths = doc.paths
  t.same(paths['/api/products'].get.responses['200'].content['application/json'].schema, schemaRef('ProductPage'))
  t.same(paths['/api/products/{id}'].get.responses['200'].content['application/json'].schema, schemaRef('Product'))
  t.same(paths['/api/orders/{orderId}'].get.responses['200'].content['application/json'].schema, schemaRef('Order'))
  t.same(paths['/webhook/order-update'].post.requestBody.content['application/json'].schema, schemaRef('OrderUpdateEvent'))
  t.same(doc.components.schemas.ProductPage.properties.data.items, schemaRef('Product'), 'shared shapes refer to each other')
  t.same(doc.components.schemas.Order.properties.history.items, schemaRef('OrderHistoryEntry'))
  for (const [name, op] of operations(doc)) {
    for (const [status, response] of Object.entries(op.responses).filter(([s]) => /^[45]/.test(s))) {
      t.same(response.content?.['application/problem+json']?.schema, schemaRef('Problem'), `${name} ${status} refers to Problem`)
    }
  }
  const used = new Set(refs(doc.paths).concat(refs(doc.components)))
  for (const name of names) t.ok(used.has(`#/components/schemas/${name}`), `${name} is referenced`)
})

test('every response is described and documents the headers it carries', async (t) => {
  const doc = await documentOf(t)
  for (const [name, op] of operations(doc)) {
    for (const [status, response] of Object.entries(op.responses)) {
      t.not(response.description, 'Default Response', `${name} ${status} is described`)
      t.ok(response.headers?.['x-request-id'], `${name} ${status} documents x-request-id`)
      if (status === '429' || status === '503') t.ok(response.headers?.['retry-after'], `${name} ${status} documents retry-after`)
    }
  }
  const list = doc.paths['/api/products'].get.responses
  for (const status of ['200', '304']) {
    t.hasOwnProps(list[status].headers, ['etag', 'cache-control', 'x-cache', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'], `list ${status}`)
  }
  t.notOk(list['304'].content, 'a 304 has no body')
  t.hasOwnProps(doc.paths['/api/products/{id}'].get.responses['200'].headers, ['etag', 'cache-control'])
  t.hasOwnProps(doc.paths['/auth/token'].get.responses['200'].headers, ['cache-control'])
  t.hasOwnProps(doc.paths['/api/products'].get.responses['429'].headers, ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'])
  t.match(doc.paths['/metrics'].get.description, /http_request_duration_seconds/, '/metrics describes its metrics')
})

test('the alias routes are deprecated; the routes they stand for are not', async (t) => {
  const doc = await documentOf(t)
  t.equal(doc.paths['/test-auth'].get.deprecated, true)
  t.equal(doc.paths['/test-retry'].get.deprecated, true)
  t.equal(doc.paths['/api/webhook'].post.deprecated, true)
  for (const [name, op] of operations(doc)) {
    if (!['GET /test-auth', 'GET /test-retry', 'POST /api/webhook'].includes(name)) t.notOk(op.deprecated, `${name} is current`)
  }
})

test('every 2xx body has an example, in the response or its shared schema', async (t) => {
  const doc = await documentOf(t)
  const example = (schema: Json | undefined): boolean => {
    if (schema === undefined) return false
    if (schema.examples !== undefined || schema.example !== undefined) return true
    return typeof schema.$ref === 'string' && example(doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')])
  }
  for (const [name, op] of operations(doc)) {
    for (const [status, response] of Object.entries(op.responses).filter(([s]) => /^2/.test(s))) {
      for (const [media, content] of Object.entries(response.content ?? {})) {
        t.ok(content.example !== undefined || content.examples !== undefined || example(content.schema), `${name} ${status} ${media} has an example`)
      }
    }
  }
})

test('RateLimit-Policy and RateLimit are documented, with descriptions, wherever the x-ratelimit-* headers are', async (t) => {
  const doc = await documentOf(t)
  t.hasOwnProps(RATE_LIMIT_HEADERS, ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'ratelimit-policy', 'ratelimit'])
  let limited = 0
  for (const [name, op] of operations(doc)) {
    for (const [status, response] of Object.entries(op.responses)) {
      if (response.headers?.['x-ratelimit-limit'] === undefined) continue
      limited++
      for (const [header, { type, description }] of Object.entries(RATE_LIMIT_HEADERS)) {
        t.same(response.headers[header], { schema: { type }, description }, `${name} ${status} documents ${header}`)
      }
    }
  }
  t.ok(limited > 10, `the rate-limited responses are found (${limited})`)
  const list = doc.paths['/api/products'].get.responses
  for (const status of ['200', '304', '429']) t.hasOwnProps(list[status].headers, ['ratelimit-policy', 'ratelimit'], `list ${status}`)
  t.match(list['200'].headers?.['ratelimit-policy']?.description, /q=.*w=/, 'the policy field is explained')
  t.match(list['200'].headers?.ratelimit?.description, /r=.*t=/, 'the quota field is explained')
  t.notOk(doc.paths['/health'].get.responses['200'].headers?.ratelimit, 'an unlimited route documents no rate-limit header')
})

test('the search and the categories are documented: q with examples, the relevance sort, listCategories', async (t) => {
  const doc = await documentOf(t)
  const param = (path: string, name: string): Json | undefined =>
    (doc.paths[path].get.parameters as Json[]).find((p) => p.in === 'query' && p.name === name)
  const examples = (p: Json | undefined): unknown[] => Object.values(p?.examples ?? {}).map((e) => (e as Json).value)

  const q = param('/api/products', 'q')
  t.ok(q, 'GET /api/products takes q')
  t.match(q?.description, /prefix/, 'q explains the prefix match of its last word')
  t.match(q?.description, /400/, 'q says when it is refused')
  t.ok(examples(q).includes('organic tom'), 'q has a type-ahead example')
  t.match(q?.schema, { type: 'string', minLength: 1, maxLength: 100 })

  const sort = param('/api/products', 'sort')
  t.ok(sort?.schema.enum.includes('relevance'), 'relevance is one of the sorts')
  t.match(sort?.description, /`relevance`[^.]*needs `q`/, 'the sort says relevance needs q')
  t.ok(examples(sort).includes('relevance'), 'relevance is an example sort')

  const categories = doc.paths['/api/categories']?.get
  t.equal(categories?.operationId, 'listCategories')
  t.match(categories?.description, /Example: `GET \/api\/categories\?q=/, 'an example request with q')
  const categoryQ = param('/api/categories', 'q')
  t.ok(categoryQ, 'GET /api/categories takes q')
  t.ok(examples(categoryQ).length > 0, 'its q has examples')
  const ok = categories?.responses['200']
  t.same(ok?.content['application/json'].schema, schemaRef('CategoryCounts'))
  t.match(doc.components.schemas.CategoryCounts.examples, [{ data: [{ category: String, count: Number }] }], 'the counts have an example body')
  t.hasOwnProps(ok?.headers, ['etag', 'x-cache'], 'the counts are cached like the pages')
})
