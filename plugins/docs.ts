import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'

// Placeholder: filled in by its own change.
export interface DocsOptions {}
export function docsOptions (_config: Config): DocsOptions { return {} }

async function docs (_fastify: FastifyInstance, _opts: DocsOptions) {}

export default fp(docs, { name: 'docs' })
