import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'

// Placeholder: filled in by its own change.
export interface OperationsOptions {}
export function operationsOptions (_config: Config): OperationsOptions { return {} }

async function operations (_fastify: FastifyInstance, _opts: OperationsOptions) {}

export default fp(operations, { name: 'operations' })
