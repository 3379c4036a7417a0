import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Problem } from '../src/schemas/problem.js'
import { Product, ProductListQuery, ProductPage, ProductParams } from '../src/schemas/product.js'
import { CACHE_HEADERS, NotModified, X_CACHE_HEADER, documented } from '../src/schemas/openapi.js'

const products: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/products', {
    schema: {
      tags: ['catalog'],
      operationId: 'listProducts',
      summary: 'A page of products: keyset pagination with filters and sorts, cached in Redis',
      description: 'Follow `nextCursor` (with the same filters and sort) to visit every matching product exactly once, ' +
        'in order, at any depth; it is null on the last page. Pages are cached under the catalog version and validated ' +
        'with `etag` / `if-none-match`.',
      querystring: ProductListQuery,
      response: {
        200: documented(ProductPage, 'A page of products', { ...CACHE_HEADERS, ...X_CACHE_HEADER }),
        304: documented(NotModified, 'Not Modified: the page matches `if-none-match`; no body', { ...CACHE_HEADERS, ...X_CACHE_HEADER }),
        400: Problem,
        503: Problem
      }
    },
    // A page this process answered for this very URL under the current catalog version is
    // sent before validation: no parsing, no Redis, no MySQL. (The URL was valid when it was
    // answered; the rate limit and every onRequest hook have already run.)
    preValidation: (request, reply, done) => {
      const remembered = fastify.pageCache.recall(request.url)
      if (remembered === undefined) done()
      else reply.sendPage(remembered, 'HIT', 'memory')
    }
  }, async (request, reply) => {
    const { page, cache, tier } = await fastify.catalog.list(request.query, request.url)
    return reply.sendPage(page, cache, tier)
  })

  fastify.get('/api/products/:id', {
    schema: {
      tags: ['catalog'],
      operationId: 'getProduct',
      summary: 'One product',
      params: ProductParams,
      response: {
        200: documented(Product, 'The product', CACHE_HEADERS),
        304: documented(NotModified, 'Not Modified: the product matches `if-none-match`; no body', CACHE_HEADERS),
        400: Problem,
        404: Problem,
        503: Problem
      }
    }
  }, async (request, reply) => {
    return reply.sendPage(await fastify.catalog.product(request.params.id))
  })
}

export default products
