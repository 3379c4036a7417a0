import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { Writable } from 'node:stream'
import mysql from 'mysql2/promise'
import { Redis } from 'ioredis'
import type { FastifyInstance } from 'fastify'
import tap from 'tap'
import { buildApp } from '../src/app.js'
import { loadConfig, type Config } from '../src/config.js'
import { migrate } from '../src/migrations.js'

type Teardown = { teardown: (fn: () => unknown) => void }

/** MySQL/MariaDB server the tests use (no database in the URL): TEST_MYSQL_URL overrides it. */
export const MYSQL_BASE = (process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, '')
/** Redis server the tests use: TEST_REDIS_URL overrides it. */
export const REDIS_BASE = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/**
 * Every test file gets a database and a Redis key prefix of its own, named after the file, the
 * optional TEST_RUN_ID and a random part drawn per process: files running in parallel, two runs
 * of one file and two checkouts testing against one server never see each other's rows or keys.
 * Both are removed when the file's tests end (see `cleanUpAtEnd`).
 */
function fileSlug (): string {
  const file = process.env.TAP_TEST_FILE ?? process.argv[1] ?? 'test'
  return path.basename(file).replace(/\.test\.ts$|\.ts$/, '').replace(/[^a-zA-Z0-9]/g, '_').slice(0, 30)
}

/** Separates checkouts testing against one server (TEST_RUN_ID=a npm test). */
const RUN_ID = (process.env.TEST_RUN_ID ?? '').replace(/[^a-zA-Z0-9]/g, '').slice(0, 8)
/** Unique to this process: six hex digits. */
const UNIQUE = randomBytes(3).toString('hex')

/** Database names start with this; nothing else on the server may. */
export const TEST_DB_PREFIX = 'fl_test_'
// At most 8 + 9 + 30 + 7 = 54 characters, leaving room for suffixes within MySQL's 64.
export const TEST_DB = `${TEST_DB_PREFIX}${RUN_ID}${RUN_ID === '' ? '' : '_'}${fileSlug()}_${UNIQUE}`.toLowerCase()
export const TEST_REDIS_PREFIX = `t:${RUN_ID}:${fileSlug()}:${UNIQUE}:`

/**
 * Extra databases a test makes besides TEST_DB (their names must start with TEST_DB): dropped
 * with it at the end.
 */
const extraDatabases = new Set<string>()
export function ownDatabase (name: string): string {
  if (!name.startsWith(TEST_DB)) throw new Error(`a test database must be named after ${TEST_DB}: ${name}`)
  extraDatabases.add(name)
  return name
}

/**
 * When the file's tests end (after every test's own teardown has closed its apps), its
 * databases are dropped and its Redis keys deleted. A crash leaves them behind; their names say
 * which file and run they belong to.
 */
tap.teardown(async () => {
  await dropDatabases([TEST_DB, ...extraDatabases])
  await flushPrefix()
})

async function dropDatabases (names: string[]): Promise<void> {
  const conn = await mysql.createConnection(`${MYSQL_BASE}/`)
  try {
    // An app that has not closed would make the drop wait for its metadata lock: bounded.
    await conn.query('SET SESSION lock_wait_timeout = 20')
    for (const name of names) await conn.query(`DROP DATABASE IF EXISTS \`${name}\``)
  } finally {
    await conn.end()
  }
}

/** Config for tests: defaults, the file's own database and Redis prefix, quiet logs. */
export function testConfig (overrides: Partial<Record<keyof Config, string | number | boolean>> = {}): Config {
  const env: Record<string, string> = {
    MYSQL_URL: `${MYSQL_BASE}/${TEST_DB}`,
    REDIS_URL: REDIS_BASE,
    REDIS_KEY_PREFIX: TEST_REDIS_PREFIX,
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    // Tests share a busy machine with each other: a slow event loop there is the machine's, and
    // shedding would turn it into 503s the test did not ask for. The test of shedding sets it.
    MAX_EVENT_LOOP_DELAY_MS: '0'
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) env[k] = String(v)
  }
  return loadConfig(env)
}

let prepared: Promise<void> | undefined

/** Drops and re-creates this file's database once per process, then migrates it. */
export async function prepareDatabase (): Promise<void> {
  prepared ??= (async () => {
    const conn = await mysql.createConnection(`${MYSQL_BASE}/`)
    try {
      await conn.query(`DROP DATABASE IF EXISTS \`${TEST_DB}\``)
    } finally {
      await conn.end()
    }
    await migrate({ url: `${MYSQL_BASE}/${TEST_DB}` })
  })()
  await prepared
}

export interface BuildExtras {
  /** Captures every log line (as parsed JSON) in this array. */
  logs?: Array<Record<string, unknown>>
}

/** Builds the app exactly as server.ts does, with test config; closed when the test ends. */
export async function build (t: Teardown, overrides: Parameters<typeof testConfig>[0] = {}, extras: BuildExtras = {}): Promise<FastifyInstance> {
  await prepareDatabase()
  const config = testConfig({ ...(extras.logs !== undefined ? { LOG_LEVEL: 'info' } : {}), ...overrides })
  const logStream = extras.logs !== undefined ? collectLogs(extras.logs) : undefined
  const app = await buildApp(config, logStream !== undefined ? { logStream } : {})
  t.teardown(() => app.close())
  await app.ready()
  return app
}

function collectLogs (into: Array<Record<string, unknown>>): Writable {
  return new Writable({
    write (chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') into.push(JSON.parse(line) as Record<string, unknown>)
      }
      done()
    }
  })
}

/** A raw connection to this file's database, for arranging and checking rows. */
export async function sql (t: Teardown): Promise<mysql.Connection> {
  await prepareDatabase()
  const conn = await mysql.createConnection({ uri: `${MYSQL_BASE}/${TEST_DB}`, timezone: 'Z', decimalNumbers: true, supportBigNumbers: true })
  t.teardown(() => conn.end())
  return conn
}

/** A Redis client on the same prefix as this file's apps. */
export function redisClient (t: Teardown): Redis {
  const client = new Redis(REDIS_BASE, { keyPrefix: TEST_REDIS_PREFIX, maxRetriesPerRequest: 1 })
  t.teardown(() => client.quit())
  return client
}

/** Deletes every key under this file's prefix (SCAN, bounded by the key count). */
export async function flushPrefix (): Promise<void> {
  const client = new Redis(REDIS_BASE, { maxRetriesPerRequest: 1 })
  try {
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${TEST_REDIS_PREFIX}*`, 'COUNT', 1000)
      if (keys.length > 0) await client.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    await client.quit()
  }
}
