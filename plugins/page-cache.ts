import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'

// Placeholder: filled in by its own change.
export interface PageCacheOptions {}
export function pageCacheOptions (_config: Config): PageCacheOptions { return {} }

async function pageCache (_fastify: FastifyInstance, _opts: PageCacheOptions) {}

export default fp(pageCache, { name: 'page-cache', dependencies: ['redis', 'metrics'] })
