import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'

// Placeholder: filled in by its own change.
export interface RateLimitOptions {}
export function rateLimitOptions (_config: Config): RateLimitOptions { return {} }

async function rateLimit (_fastify: FastifyInstance, _opts: RateLimitOptions) {}

export default fp(rateLimit, { name: 'rate-limit', dependencies: ['redis'] })
