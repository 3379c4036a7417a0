import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'

// Placeholder: filled in by its own change.
export interface CatalogOptions {}
export function catalogOptions (_config: Config): CatalogOptions { return {} }

async function catalog (_fastify: FastifyInstance, _opts: CatalogOptions) {}

export default fp(catalog, { name: 'catalog', dependencies: ['mysql', 'page-cache'] })
