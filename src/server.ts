import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { loadConfig, ConfigError, type Config } from './config.js'
import { buildApp } from './app.js'
import { migrate } from './migrations.js'
import { shutdownTelemetry } from './lib/trace-context.js'

export interface RunOptions {
  /** Runs after migrations, before the service is built (the dev entry seeds here). */
  prepare?: (config: Config) => Promise<void>
}

/** The hard limit for a shutdown: past it the process exits 1 whatever is still running. */
export const SHUTDOWN_LIMIT_MS = 10_000
/** In-flight requests get this long to finish; then their connections are cut. */
export const DRAIN_LIMIT_MS = 8_000

/**
 * The whole shutdown: `app.close()` stops accepting (the listening socket closes first), lets
 * in-flight requests finish and then runs every plugin's onClose (pools, clients, timers).
 * Node closes idle keep-alive connections only once, when the server closes, so connections
 * that fall idle while draining are closed as they do; requests still running at the drain
 * limit are cut so the process always exits within SHUTDOWN_LIMIT_MS.
 */
export async function shutdown (app: FastifyInstance, drainLimitMs = DRAIN_LIMIT_MS): Promise<void> {
  const reaper = setInterval(() => { app.server.closeIdleConnections() }, 100)
  const cutter = setTimeout(() => {
    app.log.warn({ drainLimitMs }, 'requests still running at the drain limit; closing their connections')
    app.server.closeAllConnections()
  }, drainLimitMs)
  try {
    await app.close()
  } catch (err) {
    // Every onClose hook has run; one failed (say Redis no longer answers QUIT). The process
    // is leaving anyway, so this is worth a warning, not a failed exit.
    app.log.warn({ err }, 'a resource did not close cleanly')
  } finally {
    clearInterval(reaper)
    clearTimeout(cutter)
  }
}

/** Config → migrations → app → listen, with graceful shutdown on SIGTERM/SIGINT. */
export async function run ({ prepare }: RunOptions = {}): Promise<void> {
  let config: Config
  try {
    config = loadConfig(process.env, { dotenv: true })
  } catch (err) {
    // One clear line naming the variable, no stack trace.
    console.error(err instanceof ConfigError ? err.message : String(err))
    process.exit(1)
  }
  try {
    await migrate({ url: config.MYSQL_URL, ca: config.DB_CA })
    await prepare?.(config)
  } catch (err) {
    console.error(`start-up failed: ${(err as Error).message}`)
    process.exit(1)
  }

  const app = await buildApp(config)
  closeWithGrace({
    delay: SHUTDOWN_LIMIT_MS,
    logger: { error: (msg: unknown) => { app.log.error(msg) } }
  }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'closing after an uncaught error')
    else app.log.info({ signal }, 'shutting down: draining in-flight requests')
    const started = Date.now()
    await shutdown(app)
    // The last spans, when tracing is on (a no-op otherwise).
    await shutdownTelemetry()
    app.log.info({ ms: Date.now() - started }, 'shut down')
  })
  try {
    await app.listen({ port: config.PORT, host: config.HOST })
  } catch (err) {
    app.log.error({ err }, 'cannot listen')
    await app.close().catch(() => {})
    process.exit(1)
  }
}

const entry = process.argv[1] ?? ''
if (/server\.(ts|js)$/.test(entry)) await run()
