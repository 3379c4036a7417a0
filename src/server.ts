import closeWithGrace from 'close-with-grace'
import { loadConfig, ConfigError, type Config } from './config.js'
import { buildApp } from './app.js'
import { migrate } from '../seed/migrate.js'

export interface RunOptions {
  /** Runs after migrations, before the service is built (the dev entry seeds here). */
  prepare?: (config: Config) => Promise<void>
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
  // Stop accepting, let in-flight requests finish, close pools; exit within 10 s at worst.
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'closing after an uncaught error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })
  await app.listen({ port: config.PORT, host: config.HOST })
}

const entry = process.argv[1] ?? ''
if (/server\.(ts|js)$/.test(entry)) await run()
