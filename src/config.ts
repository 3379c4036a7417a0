import { envSchema } from 'env-schema'
import Type, { type Static } from 'typebox'

/**
 * The service's environment, validated once at start-up. `Config` (the Static type of this
 * schema) is the only config type in the code base: plugins receive slices of it as options.
 */
export const ConfigSchema = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  MYSQL_URL: Type.String({ pattern: '^mysql://', default: 'mysql://root@127.0.0.1:3306/farmlokal' }),
  MYSQL_READ_URL: Type.Optional(Type.String({ pattern: '^mysql://' })),
  DB_CA: Type.Optional(Type.String({ minLength: 1 })),
  MYSQL_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 500, default: 10 }),
  MYSQL_QUERY_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 2000 }),
  REDIS_URL: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' }),
  /**
   * Comma-separated `host:port` seed nodes of a Redis Cluster (a few are enough: the client
   * discovers the others). When set the service runs on the cluster and REDIS_URL is not used.
   * The list is checked by `parseClusterNodes` below, which names the entry at fault.
   */
  REDIS_CLUSTER_NODES: Type.Optional(Type.String({ minLength: 1 })),
  CACHE_TTL_SECONDS: Type.Integer({ minimum: 1, default: 60 }),
  SUPPLIER_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  OAUTH_TOKEN_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  OAUTH_CLIENT_ID: Type.Optional(Type.String({ minLength: 1 })),
  OAUTH_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  OAUTH_SCOPE: Type.Optional(Type.String({ minLength: 1 })),
  SUPPLIER_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 2000 }),
  SUPPLIER_RETRIES: Type.Integer({ minimum: 0, maximum: 10, default: 3 }),
  SUPPLIER_RETRY_BASE_MS: Type.Integer({ minimum: 0, default: 1000 }),
  BREAKER_RESET_MS: Type.Integer({ minimum: 1, default: 10000 }),
  SUPPLIER_DEADLINE_MS: Type.Integer({ minimum: 1, default: 20000 }),
  SANDBOX_SUPPLIER: Type.Boolean({ default: false }),
  WEBHOOK_SECRET: Type.Optional(Type.String({ pattern: '^whsec_[A-Za-z0-9+/=]+( +whsec_[A-Za-z0-9+/=]+)*$' })),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 1000 }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1, default: 60000 }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  // Not in the public contract's table; optional operator settings with safe defaults.
  /** Comma-separated storefront origins allowed by CORS; `*` allows any. */
  CORS_ORIGINS: Type.String({ default: '*' }),
  /** Trust X-Forwarded-For from a proxy in front (true, a hop count, or addresses). */
  TRUST_PROXY: Type.Optional(Type.String({ minLength: 1 })),
  /** Prefix for every Redis key (environments or test runs sharing one Redis). */
  REDIS_KEY_PREFIX: Type.String({ default: '', pattern: '^[A-Za-z0-9:_.-]*$' }),
  /** Rate-limit counting: `leased` (quota taken from Redis in chunks, counted locally) or `per-request` (one Redis call per request). */
  RATE_LIMIT_COUNTING: Type.Enum(['leased', 'per-request'], { default: 'leased' }),
  /** Logs pretty-printed (development only; `npm run dev` sets it). */
  LOG_PRETTY: Type.Boolean({ default: false }),
  /**
   * Mean event-loop delay (ms) above which requests are shed with a 503 (0: never shed). Shedding
   * protects a production process from queueing work it cannot finish in time; a test run on a
   * busy machine turns it off because there a slow loop is the machine's, not the service's.
   */
  MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ minimum: 0, default: 1000 })
}, { additionalProperties: true })

export type Config = Static<typeof ConfigSchema>

export class ConfigError extends Error {
  override name = 'ConfigError'
}

type EnvSource = Record<string, string | undefined>

/**
 * Validates an environment. `env` is the variables to read; with `dotenv` a `.env` file in the
 * working directory fills in what they do not set (real variables win).
 * Throws ConfigError whose message is one line naming the offending variable.
 */
export function loadConfig (env: EnvSource = process.env, { dotenv = false } = {}): Config {
  let config: Config
  try {
    config = envSchema<Config>({
      schema: ConfigSchema,
      data: nonEmpty(env),
      env: false,
      // dotenv fills process.env from .env without overriding variables already set
      dotenv: dotenv ? { quiet: true } : false
    })
  } catch (err) {
    throw new ConfigError(describeAjvError(err))
  }
  if (config.REDIS_CLUSTER_NODES !== undefined) parseClusterNodes(config.REDIS_CLUSTER_NODES)
  if (config.SUPPLIER_BASE_URL !== undefined &&
      (config.OAUTH_CLIENT_ID === undefined || config.OAUTH_CLIENT_SECRET === undefined)) {
    throw new ConfigError('OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET are required when SUPPLIER_BASE_URL is set')
  }
  if (config.NODE_ENV === 'production' && config.WEBHOOK_SECRET === undefined) {
    throw new ConfigError('WEBHOOK_SECRET is required when NODE_ENV=production')
  }
  // The sandbox mints tokens for public credentials: never mounted in production by accident.
  if (config.NODE_ENV === 'production' && config.SUPPLIER_BASE_URL === undefined && !config.SANDBOX_SUPPLIER) {
    throw new ConfigError('SUPPLIER_BASE_URL is required when NODE_ENV=production (or SANDBOX_SUPPLIER=true to serve the built-in sandbox supplier)')
  }
  return config
}

/** One seed node of a Redis Cluster. */
export interface ClusterNode {
  host: string
  port: number
}

// A host name, an IPv4 address or a bracketed IPv6 address, then a port.
const CLUSTER_NODE = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)):(\d{1,5})$/

/**
 * REDIS_CLUSTER_NODES as seed nodes: `host:port` entries separated by commas (spaces around
 * them allowed; `[::1]:7000` for IPv6). Throws ConfigError naming the first bad entry.
 */
export function parseClusterNodes (text: string): ClusterNode[] {
  const entries = text.split(',').map((entry) => entry.trim())
  return entries.map((entry) => {
    const match = CLUSTER_NODE.exec(entry)
    const port = match === null ? Number.NaN : Number(match[3])
    if (match === null || port < 1 || port > 65535) {
      throw new ConfigError(`invalid configuration: REDIS_CLUSTER_NODES must be comma-separated host:port seed nodes (bad entry ${JSON.stringify(entry)})`)
    }
    return { host: match[1] ?? match[2], port }
  })
}

/**
 * An empty variable counts as unset (compose files and shells often pass `VAR=`). With
 * `dotenv`, .env is loaded into process.env first; variables already set win over it.
 */
function nonEmpty (env: EnvSource): EnvSource {
  return new Proxy(env, {
    get: (target, key) => target[key as string] === '' ? undefined : target[key as string],
    ownKeys: (target) => Reflect.ownKeys(target).filter((k) => target[k as string] !== ''),
    getOwnPropertyDescriptor: (target, key) => target[key as string] === '' ? undefined : Reflect.getOwnPropertyDescriptor(target, key)
  })
}

function describeAjvError (err: unknown): string {
  const errors = (err as { errors?: Array<{ instancePath?: string, message?: string, params?: Record<string, unknown> }> }).errors
  const first = errors?.[0]
  if (first === undefined) return `invalid configuration: ${(err as Error).message}`
  const variable = (first.instancePath ?? '').replace(/^\//, '') ||
    String(first.params?.missingProperty ?? 'environment')
  return `invalid configuration: ${variable} ${first.message ?? 'is invalid'}`
}
