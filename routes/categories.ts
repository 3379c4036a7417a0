import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Problem } from '../src/schemas/problem.js'
import { CategoryCounts, CategoryQuery } from '../src/schemas/category.js'
import { CACHE_HEADERS, NotModified, X_CACHE_HEADER, documented } from '../src/schemas/openapi.js'

const categories: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/categories', {
    schema: {
      tags: ['catalog'],
      operationId: 'listCategories',
      summary: 'Products per category for storefront filters (optionally for a search and a price range), cached in Redis',
      description: 'Exact counts for the catalog version they were computed under. Example: ' +
        '`GET /api/categories?q=organic%20tom` → `{"data":[{"category":"condiments","count":853},{"category":"vegetables","count":395}]}`.',
      querystring: CategoryQuery,
      response: {
        200: documented(CategoryCounts, 'Products per category', { ...CACHE_HEADERS, ...X_CACHE_HEADER }),
        304: documented(NotModified, 'Not Modified: the counts match `if-none-match`; no body', { ...CACHE_HEADERS, ...X_CACHE_HEADER }),
        400: Problem,
        503: Problem
      }
    }
  }, async (request, reply) => {
    const { page, cache, tier } = await fastify.catalog.categories(request.query)
    return reply.sendPage(page, cache, tier)
  })
}

export default categories
