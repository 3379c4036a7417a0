import { test } from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { loadConfig, ConfigError, parseClusterNodes } from '../../src/config.js'

const root = path.resolve(import.meta.dirname, '..', '..')

test('loadConfig applies the contract defaults', async (t) => {
  const c = loadConfig({})
  t.match(c, {
    PORT: 3000,
    HOST: '0.0.0.0',
    MYSQL_URL: 'mysql://root@127.0.0.1:3306/farmlokal',
    MYSQL_POOL_SIZE: 10,
    MYSQL_QUERY_TIMEOUT_MS: 2000,
    REDIS_URL: 'redis://127.0.0.1:6379',
    CACHE_TTL_SECONDS: 60,
    SUPPLIER_TIMEOUT_MS: 2000,
    SUPPLIER_RETRIES: 3,
    SUPPLIER_RETRY_BASE_MS: 1000,
    BREAKER_RESET_MS: 10000,
    RATE_LIMIT_MAX: 1000,
    RATE_LIMIT_WINDOW_MS: 60000,
    LOG_LEVEL: 'info'
  })
  t.equal(c.MYSQL_READ_URL, undefined)
  t.equal(c.SUPPLIER_BASE_URL, undefined)
  t.equal(c.WEBHOOK_SECRET, undefined)
})

test('loadConfig coerces numbers and treats empty variables as unset', async (t) => {
  const c = loadConfig({ PORT: '8080', CACHE_TTL_SECONDS: '5', SUPPLIER_BASE_URL: '', MYSQL_READ_URL: '' })
  t.equal(c.PORT, 8080)
  t.equal(c.CACHE_TTL_SECONDS, 5)
  t.equal(c.SUPPLIER_BASE_URL, undefined)
  t.equal(c.MYSQL_READ_URL, undefined)
})

test('loadConfig names the variable at fault in one line', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /^invalid configuration: PORT must be integer$/],
    [{ PORT: '70000' }, /PORT must be <= 65535/],
    [{ MYSQL_POOL_SIZE: '0' }, /MYSQL_POOL_SIZE must be >= 1/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be equal to one of the allowed values/],
    [{ MYSQL_URL: 'postgres://x' }, /MYSQL_URL must match pattern/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL must match pattern/],
    [{ WEBHOOK_SECRET: 'not-a-secret' }, /WEBHOOK_SECRET must match pattern/],
    [{ SUPPLIER_BASE_URL: 'https://supplier.example' }, /OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET are required/],
    [{ NODE_ENV: 'production' }, /WEBHOOK_SECRET is required when NODE_ENV=production/],
    [{ NODE_ENV: 'production', WEBHOOK_SECRET: 'whsec_c2VjcmV0' }, /^SUPPLIER_BASE_URL is required when NODE_ENV=production/],
    [{ SUPPLIER_DEADLINE_MS: '0' }, /SUPPLIER_DEADLINE_MS must be >= 1/]
  ]
  for (const [env, message] of cases) {
    t.throws(() => loadConfig(env), message, JSON.stringify(env))
    try { loadConfig(env) } catch (err) {
      t.type(err, ConfigError)
      t.notMatch((err as Error).message, /\n/, 'one line')
    }
  }
})

test('the server exits 1 with one clear line for a bad variable, no stack trace', async (t) => {
  const res = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(root, 'src/server.ts')], {
    env: { ...process.env, PORT: 'abc' }, encoding: 'utf8', timeout: 90_000, cwd: root
  })
  t.equal(res.status, 1)
  t.equal(res.stderr.trim(), 'invalid configuration: PORT must be integer')
  t.notMatch(res.stderr, /at .*\(/, 'no stack trace')
})

test('a .env file fills in variables; real environment variables win', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fl-env-'))
  writeFileSync(path.join(dir, '.env'), 'PORT=abc\nLOG_LEVEL=loud\n')
  // PORT from the real environment wins over .env; LOG_LEVEL comes from .env and is rejected.
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '3999' }
  delete env.LOG_LEVEL
  const res = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(root, 'src/server.ts')], {
    env, encoding: 'utf8', timeout: 90_000, cwd: dir
  })
  t.equal(res.status, 1)
  t.equal(res.stderr.trim(), 'invalid configuration: LOG_LEVEL must be equal to one of the allowed values')
})

test('production serves the built-in sandbox supplier only when SANDBOX_SUPPLIER=true', async (t) => {
  const production = { NODE_ENV: 'production', WEBHOOK_SECRET: 'whsec_c2VjcmV0' }
  t.equal(loadConfig({ ...production, SANDBOX_SUPPLIER: 'true' }).SANDBOX_SUPPLIER, true)
  t.throws(() => loadConfig({ ...production, SANDBOX_SUPPLIER: 'false' }), /SUPPLIER_BASE_URL/)
  const real = loadConfig({ ...production, SUPPLIER_BASE_URL: 'https://supplier.example', OAUTH_CLIENT_ID: 'id', OAUTH_CLIENT_SECRET: 'secret' })
  t.equal(real.SANDBOX_SUPPLIER, false, 'a configured supplier needs nothing more')
  t.equal(real.SUPPLIER_DEADLINE_MS, 20_000, 'SUPPLIER_DEADLINE_MS defaults to 20 s')
})

test('a production start with no SUPPLIER_BASE_URL exits 1 with a line naming it', async (t) => {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', WEBHOOK_SECRET: 'whsec_c2VjcmV0', PORT: '0' }
  delete env.SUPPLIER_BASE_URL
  delete env.SANDBOX_SUPPLIER
  const res = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(root, 'src/server.ts')], {
    env, encoding: 'utf8', timeout: 60_000, cwd: mkdtempSync(path.join(tmpdir(), 'fl-prod-'))
  })
  t.equal(res.status, 1)
  t.match(res.stderr.trim(), /^SUPPLIER_BASE_URL is required when NODE_ENV=production/)
})

test('REDIS_CLUSTER_NODES: seed nodes parsed; a malformed list is refused with a line naming the entry', async (t) => {
  const c = loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b.internal:7001,[::1]:7002' })
  t.same(parseClusterNodes(c.REDIS_CLUSTER_NODES ?? ''), [
    { host: '10.0.0.1', port: 7000 },
    { host: 'redis-b.internal', port: 7001 },
    { host: '::1', port: 7002 }
  ])
  t.equal(loadConfig({}).REDIS_CLUSTER_NODES, undefined, 'unset by default (REDIS_URL is used)')
  t.equal(loadConfig({ REDIS_CLUSTER_NODES: '' }).REDIS_CLUSTER_NODES, undefined, 'empty counts as unset')
  for (const bad of ['10.0.0.1', '10.0.0.1:7000,', 'redis://10.0.0.1:7000', 'a:0', 'a:70000', 'a b:7000', ':7000']) {
    t.throws(() => loadConfig({ REDIS_CLUSTER_NODES: bad }),
      /^invalid configuration: REDIS_CLUSTER_NODES must be comma-separated host:port seed nodes \(bad entry "[^"\n]*"\)$/, bad)
  }
})
