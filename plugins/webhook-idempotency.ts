import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'

// Placeholder: filled in by its own change.
export interface WebhookIdempotencyOptions {}
export function webhookIdempotencyOptions (_config: Config): WebhookIdempotencyOptions { return {} }

async function webhookIdempotency (_fastify: FastifyInstance, _opts: WebhookIdempotencyOptions) {}

export default fp(webhookIdempotency, { name: 'webhook-idempotency', dependencies: ['mysql', 'redis', 'metrics'] })
