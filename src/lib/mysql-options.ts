import { readFileSync } from 'node:fs'
import type { PoolOptions } from 'mysql2'

export interface MysqlSettings {
  url: string
  poolSize: number
  timeoutMs: number
  /** CA certificate: PEM text, or a path to a PEM file. Enables TLS with verification. */
  ca?: string
}

/** The database name in a `mysql://user:pass@host:port/db` URL. */
export function databaseName (url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''))
  if (name === '') throw new Error('MYSQL_URL must name a database, e.g. mysql://root@127.0.0.1:3306/farmlokal')
  return name
}

export function readCa (ca: string): string {
  return ca.includes('-----BEGIN') ? ca : readFileSync(ca, 'utf8')
}

/**
 * mysql2 pool options from a URL plus our settings. Parsed here (rather than handing mysql2 the
 * URL) because a connection string makes mysql2 ignore every other option.
 */
export function poolOptions (settings: MysqlSettings, { withDatabase = true } = {}): PoolOptions {
  const u = new URL(settings.url)
  const options: PoolOptions = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port === '' ? 3306 : Number(u.port),
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password),
    ...(withDatabase ? { database: databaseName(settings.url) } : {}),
    connectionLimit: settings.poolSize,
    maxIdle: settings.poolSize,
    idleTimeout: 60_000,
    queueLimit: 0,
    waitForConnections: true,
    connectTimeout: Math.max(settings.timeoutMs, 1000),
    enableKeepAlive: true,
    keepAliveInitialDelay: 10_000,
    // DECIMAL columns arrive as JS numbers (prices have 2 decimals: exact enough as doubles)
    decimalNumbers: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    // DATETIME values are stored and read as UTC
    timezone: 'Z',
    dateStrings: false,
    charset: 'utf8mb4_unicode_ci',
    multipleStatements: false
  }
  if (settings.ca !== undefined) {
    options.ssl = { ca: readCa(settings.ca), rejectUnauthorized: true }
  }
  return options
}
