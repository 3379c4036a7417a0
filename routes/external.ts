import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ExternalProducts } from '../src/schemas/external.js'
import { Problem } from '../src/schemas/problem.js'

const schema = {
  tags: ['supplier'],
  summary: "The supplier's product feed, with timeout, retries, circuit breaker and stale fallback",
  description: 'Live when the supplier answers; otherwise its last good response (`source: "stale"`); ' +
    '503 with `retry-after` (seconds until the circuit\'s next trial) when there is none.',
  response: { 200: ExternalProducts, 503: Problem }
}

const external: FastifyPluginAsyncTypebox = async (fastify) => {
  const handler = async () => await fastify.supplierClient.getProducts()
  fastify.get('/external/products', { schema }, handler)
  // Alias kept for the storefront's connectivity checks.
  fastify.get('/test-retry', { schema: { ...schema, summary: 'Alias of GET /external/products' } }, handler)
}

export default external
