import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Order, OrderParams } from '../src/schemas/order.js'
import { Problem } from '../src/schemas/problem.js'
import { documented } from '../src/schemas/openapi.js'
import { NotFoundError } from '../src/lib/errors.js'

const orders: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/orders/:orderId', {
    schema: {
      tags: ['orders'],
      operationId: 'getOrder',
      summary: 'An order as the webhooks left it: applied status and every distinct event, oldest arrival first',
      params: OrderParams,
      response: {
        200: documented(Order, 'The order\'s applied status and its event history'),
        400: Problem,
        404: documented(Problem, 'No webhook event named this order (application/problem+json)'),
        503: Problem
      }
    }
  }, async (request) => {
    const order = await fastify.orders.find(request.params.orderId)
    if (order === undefined) throw new NotFoundError(`No order ${JSON.stringify(request.params.orderId)}`)
    return order
  })
}

export default orders
