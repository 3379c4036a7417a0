// `npm run migrate`: creates the database if missing and applies the pending migrations.
import { loadConfig, ConfigError } from '../src/config.js'
import { migrate } from '../src/migrations.js'

try {
  const config = loadConfig(process.env, { dotenv: true })
  const result = await migrate({ url: config.MYSQL_URL, ca: config.DB_CA }, { log: (msg) => console.log(msg) })
  console.log(result.applied.length === 0
    ? `schema is up to date (version ${result.current})`
    : `schema migrated to version ${result.current}`)
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `migration failed: ${(err as Error).message}`)
  process.exit(1)
}
