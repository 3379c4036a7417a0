import type { Config } from '../config.js'

/**
 * Where the supplier and its OAuth2 token endpoint are, and the client credentials they take:
 * what the token manager and the supplier client are given as options.
 */

/** A URL, or a function giving it when asked (for an endpoint only known once the service listens). */
export type UrlSource = string | (() => string)

export interface SupplierEndpoint {
  /** Base URL of the supplier API (the feed is `<baseUrl>/products`). */
  baseUrl: UrlSource
  /** OAuth2 token endpoint (client credentials grant). */
  tokenUrl: UrlSource
  /** What the shared token cache is named after, with the client id and scope (never the secret). */
  cacheIdentity: string
  clientId: string
  clientSecret: string
  scope?: string
}

/** The URL a source gives now. */
export function resolveUrl (source: UrlSource): string {
  return typeof source === 'string' ? source : source()
}

/**
 * The supplier configured by SUPPLIER_BASE_URL and OAUTH_*: the token endpoint defaults to
 * `<base>/oauth/token`. Undefined when no supplier is configured.
 */
export function configuredSupplier (config: Config): SupplierEndpoint | undefined {
  if (config.SUPPLIER_BASE_URL === undefined) return undefined
  if (config.OAUTH_CLIENT_ID === undefined || config.OAUTH_CLIENT_SECRET === undefined) {
    // loadConfig refuses such an environment; a config built another way must not reach here.
    throw new Error('OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET are required when SUPPLIER_BASE_URL is set')
  }
  const baseUrl = config.SUPPLIER_BASE_URL.replace(/\/+$/, '')
  const tokenUrl = config.OAUTH_TOKEN_URL ?? `${baseUrl}/oauth/token`
  return {
    baseUrl,
    tokenUrl,
    cacheIdentity: tokenUrl,
    clientId: config.OAUTH_CLIENT_ID,
    clientSecret: config.OAUTH_CLIENT_SECRET,
    ...(config.OAUTH_SCOPE !== undefined ? { scope: config.OAUTH_SCOPE } : {})
  }
}
