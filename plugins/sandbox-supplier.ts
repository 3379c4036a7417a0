import fp from 'fastify-plugin'
import createError from '@fastify/error'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Config } from '../src/config.js'
import { Problem } from '../src/schemas/problem.js'
import { withProblem, type ProblemExtras } from '../src/lib/errors.js'
import { configuredSupplier, type SupplierEndpoint } from '../src/lib/supplier-endpoint.js'
import {
  SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, issueSandboxToken, parseBasicAuthorization, sameSecret,
  sandboxTokenKey, verifySandboxToken
} from './sandbox-supplier/credentials.js'
import { FEED, SandboxFeed, TokenRequest, TokenResponse } from './sandbox-supplier/feed.js'

/**
 * A stand-in supplier for development and tests: an OAuth2 token endpoint and a product feed
 * under /sandbox on this very service. It is registered only when no real supplier is configured
 * (SUPPLIER_BASE_URL unset; in production only with SANDBOX_SUPPLIER=true, which loadConfig
 * enforces). Everything about it lives here and in `sandbox-supplier/`: the production plugins
 * are given a base URL, a token URL and credentials, and never know which supplier is behind them.
 */

export interface SandboxSupplierOptions {
  /** The client credentials the sandbox accepts (client_secret_basic). */
  clientId: string
  clientSecret: string
  /** Lifetime of the access tokens it issues. */
  tokenTtlSeconds?: number
}

/** The supplier the service talks to, and the sandbox's options when that is the sandbox. */
export interface ChosenSupplier {
  endpoint: SupplierEndpoint
  sandbox?: SandboxSupplierOptions
}

export const SANDBOX_PREFIX = '/sandbox'

/** What the sandbox needs of the HTTP server it is mounted on: the address it listens on. */
interface Listening { address (): AddressInfo | string | null }

/**
 * The configured supplier, or, when none is configured, this sandbox on the port the service
 * listens on (the configured PORT until it listens; the real one, remembered, once it does).
 * OAUTH_TOKEN_URL, OAUTH_CLIENT_ID / _SECRET and OAUTH_SCOPE apply to the sandbox too.
 */
export function chooseSupplier (config: Config, server: Listening): ChosenSupplier {
  const configured = configuredSupplier(config)
  if (configured !== undefined) return { endpoint: configured }
  const clientId = config.OAUTH_CLIENT_ID ?? SANDBOX_CLIENT_ID
  const clientSecret = config.OAUTH_CLIENT_SECRET ?? SANDBOX_CLIENT_SECRET
  const baseUrl = listeningUrl(server, config.PORT, SANDBOX_PREFIX)
  return {
    endpoint: {
      baseUrl,
      tokenUrl: config.OAUTH_TOKEN_URL ?? (() => `${baseUrl()}/oauth/token`),
      // Instances on different ports share one sandbox key, so they may share its tokens too.
      cacheIdentity: config.OAUTH_TOKEN_URL ?? 'sandbox',
      clientId,
      clientSecret,
      ...(config.OAUTH_SCOPE !== undefined ? { scope: config.OAUTH_SCOPE } : {})
    },
    sandbox: { clientId, clientSecret }
  }
}

/** `http://127.0.0.1:<port><path>` for the port `server` listens on. */
function listeningUrl (server: Listening, configuredPort: number, path: string): () => string {
  let resolved: string | undefined
  return () => {
    if (resolved !== undefined) return resolved
    const address = server.address()
    if (address !== null && typeof address === 'object') {
      resolved = `http://127.0.0.1:${address.port}${path}`
      return resolved
    }
    // Not listening yet (e.g. inject): the configured port, not remembered.
    return `http://127.0.0.1:${configuredPort}${path}`
  }
}

const InvalidClientError = createError('FL_SANDBOX_INVALID_CLIENT', 'Client authentication failed: %s', 401)
const UnsupportedGrantTypeError = createError('FL_SANDBOX_UNSUPPORTED_GRANT_TYPE', 'Only grant_type=client_credentials is supported, not %s', 400)
const InvalidRequestError = createError('FL_SANDBOX_INVALID_REQUEST', 'Invalid token request: %s', 400)
const InvalidTokenError = createError('FL_SANDBOX_INVALID_TOKEN', 'A valid bearer token is required: %s', 401)

/** Our coded error with the RFC 6749 §5.2 / RFC 6750 §3.1 `error` code as a problem member. */
function oauthError (err: Error, code: string): Error & ProblemExtras {
  return withProblem(err, { problem: { error: code } })
}

/** Challenges sent with 401s so that OAuth clients know what was wrong. */
function challenge (reply: FastifyReply, value: string): void {
  reply.header('www-authenticate', value)
}

interface SandboxRouteOptions { clientId: string, clientSecret: string, tokenTtlSeconds: number }

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

async function sandboxSupplier (fastify: FastifyInstance, opts: SandboxSupplierOptions) {
  fastify.log.warn({ prefix: SANDBOX_PREFIX }, 'SUPPLIER_BASE_URL is not set: the built-in sandbox supplier is mounted and used (not for production)')
  await fastify.register(sandboxRoutes, {
    prefix: SANDBOX_PREFIX,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    tokenTtlSeconds: opts.tokenTtlSeconds ?? 3600
  })
}

export default fp(sandboxSupplier, { name: 'sandbox-supplier' })
