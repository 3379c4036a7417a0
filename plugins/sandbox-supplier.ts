import fp from 'fastify-plugin'
import createError from '@fastify/error'
import Type from 'typebox'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { supplierSettings, type Config } from '../src/config.js'
import { Problem } from '../src/schemas/problem.js'
import { parseBasicAuthorization } from '../src/lib/token-policy.js'
import { issueSandboxToken, sameSecret, sandboxTokenKey, verifySandboxToken } from '../src/lib/sandbox-token.js'
import { withProblem, type ProblemExtras } from '../src/lib/errors.js'

export interface SandboxSupplierOptions {
  /** Mounted only when no real supplier is configured (SUPPLIER_BASE_URL unset). */
  enabled: boolean
  /** The client credentials the sandbox accepts (client_secret_basic). */
  clientId: string
  clientSecret: string
  /** Lifetime of the access tokens it issues. */
  tokenTtlSeconds?: number
}

export function sandboxSupplierOptions (config: Config): SandboxSupplierOptions {
  const settings = supplierSettings(config)
  return { enabled: settings.sandbox, clientId: settings.clientId, clientSecret: settings.clientSecret }
}

export const SANDBOX_PREFIX = '/sandbox'

const InvalidClientError = createError('FL_SANDBOX_INVALID_CLIENT', 'Client authentication failed: %s', 401)
const UnsupportedGrantTypeError = createError('FL_SANDBOX_UNSUPPORTED_GRANT_TYPE', 'Only grant_type=client_credentials is supported, not %s', 400)
const InvalidRequestError = createError('FL_SANDBOX_INVALID_REQUEST', 'Invalid token request: %s', 400)
const InvalidTokenError = createError('FL_SANDBOX_INVALID_TOKEN', 'A valid bearer token is required: %s', 401)

/** Our coded error with the RFC 6749 §5.2 / RFC 6750 §3.1 `error` code as a problem member. */
function oauthError (err: Error, code: string): Error & ProblemExtras {
  return withProblem(err, { problem: { error: code } })
}

const TokenRequest = Type.Object({
  grant_type: Type.String({ minLength: 1, maxLength: 64 }),
  scope: Type.Optional(Type.String({ maxLength: 512 }))
}, { description: 'application/x-www-form-urlencoded (RFC 6749 §4.4.2)' })

const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  scope: Type.Optional(Type.String())
})

const SandboxProduct = Type.Object({
  sku: Type.String(),
  name: Type.String(),
  category: Type.String(),
  price: Type.Number(),
  unit: Type.String(),
  stock: Type.Integer()
})

const SandboxFeed = Type.Object({
  supplier: Type.String(),
  currency: Type.String(),
  products: Type.Array(SandboxProduct),
  generatedAt: Type.String({ format: 'date-time' })
})

const FEED = [
  { sku: 'SBX-001', name: 'Organic Tomatoes', category: 'vegetables', price: 42.5, unit: 'kg', stock: 120 },
  { sku: 'SBX-002', name: 'Alphonso Mangoes', category: 'fruits', price: 320, unit: 'dozen', stock: 40 },
  { sku: 'SBX-003', name: 'A2 Cow Milk', category: 'dairy', price: 68, unit: 'litre', stock: 200 },
  { sku: 'SBX-004', name: 'Brown Eggs', category: 'poultry', price: 96, unit: 'dozen', stock: 75 },
  { sku: 'SBX-005', name: 'Wildflower Honey', category: 'pantry', price: 249.99, unit: '500 g', stock: 30 }
]

interface SandboxRouteOptions { clientId: string, clientSecret: string, tokenTtlSeconds: number }

/** Challenges sent with 401s so that OAuth clients know what was wrong. */
function challenge (reply: FastifyReply, value: string): void {
  reply.header('www-authenticate', value)
}

const sandboxRoutes: FastifyPluginAsyncTypebox<SandboxRouteOptions> = async (fastify, opts) => {
  const key = sandboxTokenKey(opts.clientId, opts.clientSecret)

  // Token requests are forms (RFC 6749 §4.4.2); this parser is local to the sandbox routes.
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => {
    const params = new URLSearchParams(body as string)
    const fields: Record<string, string> = {}
    for (const [name, value] of params) {
      if (Object.hasOwn(fields, name)) {
        done(oauthError(new InvalidRequestError(`parameter ${name} is repeated`), 'invalid_request'), undefined)
        return
      }
      fields[name] = value
    }
    done(null, fields)
  })

  fastify.post('/oauth/token', {
    config: { rateLimit: false },
    schema: {
      tags: ['sandbox'],
      summary: 'Sandbox OAuth2 token endpoint (client credentials, client_secret_basic)',
      body: TokenRequest,
      response: { 200: TokenResponse, 400: Problem, 401: Problem }
    }
  }, async (request, reply) => {
    const credentials = parseBasicAuthorization(request.headers.authorization)
    if (credentials === undefined) {
      challenge(reply, 'Basic realm="sandbox"')
      throw oauthError(new InvalidClientError('HTTP Basic client credentials are required'), 'invalid_client')
    }
    if (!sameSecret(credentials.clientId, opts.clientId) || !sameSecret(credentials.clientSecret, opts.clientSecret)) {
      challenge(reply, 'Basic realm="sandbox"')
      throw oauthError(new InvalidClientError('unknown client or wrong secret'), 'invalid_client')
    }
    if (request.body.grant_type !== 'client_credentials') {
      throw oauthError(new UnsupportedGrantTypeError(request.body.grant_type), 'unsupported_grant_type')
    }
    // RFC 6749 §5.1: token responses are never cached.
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
    return {
      access_token: issueSandboxToken(key, Date.now() + opts.tokenTtlSeconds * 1000),
      token_type: 'Bearer' as const,
      expires_in: opts.tokenTtlSeconds,
      ...(request.body.scope !== undefined ? { scope: request.body.scope } : {})
    }
  })

  fastify.get('/products', {
    config: { rateLimit: false },
    schema: {
      tags: ['sandbox'],
      summary: 'Sandbox supplier product feed (bearer token required)',
      response: { 200: SandboxFeed, 401: Problem }
    }
  }, async (request, reply) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
    if (match === null) {
      challenge(reply, 'Bearer realm="sandbox"')
      throw oauthError(new InvalidTokenError('no bearer token was sent'), 'invalid_request')
    }
    if (!verifySandboxToken(key, match[1])) {
      challenge(reply, 'Bearer realm="sandbox", error="invalid_token"')
      throw oauthError(new InvalidTokenError('the token is unknown or expired'), 'invalid_token')
    }
    return { supplier: 'FarmLokal sandbox', currency: 'INR', products: FEED, generatedAt: new Date().toISOString() }
  })
}

/**
 * A stand-in supplier for development: an OAuth2 token endpoint and a product feed under
 * /sandbox on this very service, mounted only when SUPPLIER_BASE_URL is unset.
 */
async function sandboxSupplier (fastify: FastifyInstance, opts: SandboxSupplierOptions) {
  if (!opts.enabled) return
  fastify.log.warn({ prefix: SANDBOX_PREFIX }, 'SUPPLIER_BASE_URL is not set: the built-in sandbox supplier is mounted and used (not for production)')
  await fastify.register(sandboxRoutes, {
    prefix: SANDBOX_PREFIX,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    tokenTtlSeconds: opts.tokenTtlSeconds ?? 3600
  })
}

export default fp(sandboxSupplier, { name: 'sandbox-supplier' })
