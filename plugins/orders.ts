import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { ledgerEvent, type IncomingEvent } from '../src/lib/webhook-event.js'
import { SELECT_HISTORY, SELECT_ORDER, orderFromRows } from '../src/lib/order-sql.js'
import type { Order } from '../src/schemas/order.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Orders as their webhook events leave them: apply an event, read an order. */
    orders: Orders
  }
}

export interface Orders {
  /**
   * Checks the event (400 errors), then claims it and moves its order in one transaction:
   * `duplicate` is false for exactly one delivery of an event id; other bytes under a known id
   * are a 409 error. Resolves only once committed; once committed it never throws.
   */
  apply: (event: IncomingEvent) => Promise<{ duplicate: boolean }>
  /** The order with its event history (arrival order), or undefined when unknown. */
  find: (orderId: string) => Promise<Order | undefined>
}

async function orders (fastify: FastifyInstance) {
  async function apply (event: IncomingEvent): Promise<{ duplicate: boolean }> {
    // Refused before anything is touched.
    return await fastify.webhookIdempotency.claim(ledgerEvent(event))
  }

  async function find (orderId: string): Promise<Order | undefined> {
    const [order, history] = await Promise.all([
      fastify.db.query(SELECT_ORDER, [orderId]),
      fastify.db.query(SELECT_HISTORY, [orderId])
    ])
    return orderFromRows(orderId, order[0], history)
  }

  fastify.decorate('orders', { apply, find })
}

export default fp(orders, { name: 'orders', dependencies: ['mysql', 'webhook-idempotency'] })
