import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Order, OrderParams } from '../src/schemas/order.js'
import { Problem } from '../src/schemas/problem.js'
import { NotFoundError } from '../src/lib/errors.js'

const orders: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/orders/:orderId', {
    schema: {
      tags: ['orders'],
      summary: 'An order as the webhooks left it: applied status and every distinct event, oldest arrival first',
      params: OrderParams,
      response: { 200: Order, 400: Problem, 404: Problem, 503: Problem }
    }
  }, async (request) => {
    const order = await fastify.webhookIdempotency.findOrder(request.params.orderId)
    if (order === undefined) throw new NotFoundError(`No order ${JSON.stringify(request.params.orderId)}`)
    return order
  })
}

export default orders
