import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'

// Placeholder: filled in by its own change.
export interface OauthTokenOptions {}
export function oauthTokenOptions (_config: Config): OauthTokenOptions { return {} }

async function oauthToken (_fastify: FastifyInstance, _opts: OauthTokenOptions) {}

export default fp(oauthToken, { name: 'oauth-token', dependencies: ['redis', 'metrics'] })
