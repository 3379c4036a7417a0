import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'

// Placeholder: filled in by its own change.
export interface SandboxSupplierOptions {}
export function sandboxSupplierOptions (_config: Config): SandboxSupplierOptions { return {} }

async function sandboxSupplier (_fastify: FastifyInstance, _opts: SandboxSupplierOptions) {}

export default fp(sandboxSupplier, { name: 'sandbox-supplier' })
