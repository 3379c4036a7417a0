import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ExternalProducts } from '../src/schemas/external.js'
import { Problem } from '../src/schemas/problem.js'
import { documented } from '../src/schemas/openapi.js'

const schema = {
  tags: ['supplier'],
  operationId: 'getSupplierProducts',
  summary: "The supplier's product feed, with timeout, retries, circuit breaker and stale fallback",
  description: 'Live when the supplier answers; otherwise its last good response (`source: "stale"`); ' +
    '503 with `retry-after` (seconds until the circuit\'s next trial) when there is none.',
  response: {
    200: documented(ExternalProducts, 'The supplier\'s feed, live or the last good copy'),
    503: documented(Problem, 'The supplier is failing and there is no earlier copy; retry after `retry-after` seconds (application/problem+json)')
  }
}

const external: FastifyPluginAsyncTypebox = async (fastify) => {
  const handler = async () => await fastify.supplierClient.getProducts()
  fastify.get('/external/products', { schema }, handler)
  // Alias kept for the storefront's connectivity checks.
  fastify.get('/test-retry', {
    schema: { ...schema, operationId: 'getSupplierProductsAlias', summary: 'Alias of GET /external/products (kept for existing callers)', deprecated: true }
  }, handler)
}

export default external
