// The webhook plugins and their dependencies on a bare instance, for the plugin tests.
import Fastify, { type FastifyInstance } from 'fastify'
import errors from '../../plugins/errors.js'
import metrics from '../../plugins/metrics.js'
import mysql, { mysqlOptions } from '../../plugins/mysql.js'
import redis, { redisOptions } from '../../plugins/redis.js'
import webhookIdempotency, { webhookIdempotencyOptions } from '../../plugins/webhook-idempotency.js'
import orders from '../../plugins/orders.js'
import { testConfig, prepareDatabase } from '../helper.js'

type Teardown = { teardown: (fn: () => unknown) => void }

/** The idempotency and orders plugins with their dependencies, with the options app.ts gives them. */
export async function bareOrders (t: Teardown, overrides: Parameters<typeof testConfig>[0] = {}): Promise<FastifyInstance> {
  await prepareDatabase()
  const config = testConfig(overrides)
  const app = Fastify()
  await app.register(errors)
  await app.register(metrics)
  await app.register(mysql, mysqlOptions(config))
  await app.register(redis, redisOptions(config))
  await app.register(webhookIdempotency, webhookIdempotencyOptions(config))
  await app.register(orders)
  t.teardown(() => app.close())
  await app.ready()
  return app
}

let seq = 0
export const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`

/** An incoming event whose raw body is the JSON of its fields. */
export function event (fields: { eventId: string, status: string, orderId?: string, occurredAt?: string }) {
  const rawBody = Buffer.from(JSON.stringify({ event_id: fields.eventId, order_id: fields.orderId, status: fields.status, occurred_at: fields.occurredAt }))
  return { ...fields, rawBody }
}
