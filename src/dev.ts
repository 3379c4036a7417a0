// `npm run dev`: TypeScript run directly, pretty logs, and a 1,000,000-product catalog seeded
// when it is empty, so a new checkout is browsable at once.
import { run } from './server.js'
import { seedIfEmpty } from '../seed/run-seed.js'

process.env.LOG_PRETTY ??= 'true'
await run({ prepare: async (config) => { await seedIfEmpty(config, 1_000_000) } })
