// `npm run seed -- --count N [--reset] [--seed S]`: migrates, then loads N generated products.
import { parseArgs } from 'node:util'
import { loadConfig, ConfigError } from '../src/config.js'
import { runSeed } from './run-seed.js'
import type { SeedMethod, SeedOptions } from './seed-options.js'

export const USAGE = 'usage: npm run seed -- --count N [--reset] [--seed S] [--method auto|load-data|insert] [--connections N]'
export const MAX_COUNT = 100_000_000

export class UsageError extends Error {
  override name = 'UsageError'
}

/** The CLI arguments as seeder options; throws UsageError naming the bad argument. */
export function parseSeedArgs (argv: string[]): Pick<SeedOptions, 'count' | 'reset' | 'seed' | 'method' | 'connections'> {
  let values
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        count: { type: 'string' },
        reset: { type: 'boolean' },
        seed: { type: 'string' },
        method: { type: 'string' },
        connections: { type: 'string' }
      }
    }))
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0])
  }
  const count = values.count === undefined ? 1_000_000 : wholeNumber('--count', values.count, 0, MAX_COUNT)
  if (values.seed !== undefined && values.seed.trim() === '') throw new UsageError('--seed must not be empty')
  const method = values.method ?? 'auto'
  if (method !== 'auto' && method !== 'load-data' && method !== 'insert') {
    throw new UsageError(`--method must be auto, load-data or insert (got ${JSON.stringify(method)})`)
  }
  return {
    count,
    reset: values.reset === true,
    ...(values.seed !== undefined ? { seed: values.seed } : {}),
    method: method as SeedMethod,
    ...(values.connections !== undefined ? { connections: wholeNumber('--connections', values.connections, 1, 32) } : {})
  }
}

function wholeNumber (name: string, raw: string, min: number, max: number): number {
  const text = raw.replace(/_/g, '')
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max.toLocaleString('en-US')} (got ${JSON.stringify(raw)})`)
  }
  return n
}

/** One line for a failed run: connection failures name the server, never the credentials. */
export function describeFailure (err: unknown, mysqlUrl: string): string {
  const e = err as { code?: string, message?: string }
  const unreachable = ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNRESET', 'PROTOCOL_CONNECTION_LOST']
  if (e.code !== undefined && unreachable.includes(e.code)) {
    const u = new URL(mysqlUrl)
    return `seed failed: cannot reach MySQL at ${u.hostname}:${u.port === '' ? '3306' : u.port} (${e.code})`
  }
  const message = (e.message ?? '').split('\n')[0]
  return `seed failed: ${message !== '' ? message : (e.code ?? String(err))}`
}

async function main (): Promise<number> {
  let options: ReturnType<typeof parseSeedArgs>
  let config
  try {
    options = parseSeedArgs(process.argv.slice(2))
    config = loadConfig(process.env, { dotenv: true })
  } catch (err) {
    if (err instanceof UsageError) console.error(`seed: ${err.message}; ${USAGE}`)
    else if (err instanceof ConfigError) console.error(err.message)
    else throw err
    return 1
  }

  // Ctrl-C stops the load and drops the half-built copy; the live catalog is left as it was.
  const abort = new AbortController()
  process.once('SIGINT', () => {
    process.stderr.write('\nstopping: dropping the partial load...\n')
    abort.abort()
    process.once('SIGINT', () => process.exit(130))
  })
  try {
    await runSeed(config, { ...options, signal: abort.signal })
    return 0
  } catch (err) {
    console.error(abort.signal.aborted ? 'seed aborted; the catalog is unchanged' : describeFailure(err, config.MYSQL_URL))
    return abort.signal.aborted ? 130 : 1
  }
}

if (/seed-cli\.(ts|js)$/.test(process.argv[1] ?? '')) process.exitCode = await main()
