import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'

// Placeholder: filled in by its own change.
export interface SupplierClientOptions {}
export function supplierClientOptions (_config: Config): SupplierClientOptions { return {} }

async function supplierClient (_fastify: FastifyInstance, _opts: SupplierClientOptions) {}

export default fp(supplierClient, { name: 'supplier-client', dependencies: ['oauth-token', 'redis', 'metrics'] })
