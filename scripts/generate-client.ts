// `npm run client:generate`: writes client/schema.d.ts, the TypeScript types of the OpenAPI
// document, from the service's own route schemas. The database is migrated and the app built
// (its plugins connect to MySQL and Redis as configured, as `npm run dev` does), never listening.
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import openapiTS, { astToString } from 'openapi-typescript'
import { buildApp } from '../src/app.js'
import { loadConfig, ConfigError, type Config } from '../src/config.js'
import { migrate } from '../src/migrations.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const SCHEMA_FILE = path.join(root, 'client', 'schema.d.ts')

const HEADER = `/**
 * The FarmLokal service's API as TypeScript types, generated from its OpenAPI document
 * (\`GET /docs/json\`) by openapi-typescript. Do not edit: run \`npm run client:generate\`.
 */

`

/** The OpenAPI document of an app built from `config` (not listening). */
export async function openapiDocument (config: Config): Promise<Record<string, unknown>> {
  const app = await buildApp({ ...config, LOG_LEVEL: 'error' })
  try {
    await app.ready()
    // A copy: the document object is cached by @fastify/swagger.
    return JSON.parse(JSON.stringify(app.swagger())) as Record<string, unknown>
  } finally {
    await app.close()
  }
}

/** The text of client/schema.d.ts for a document. */
export async function schemaTypes (document: Record<string, unknown>): Promise<string> {
  const ast = await openapiTS(document as unknown as Parameters<typeof openapiTS>[0], { alphabetize: true })
  return HEADER + astToString(ast)
}

export async function generateClientTypes (config: Config, file = SCHEMA_FILE): Promise<string> {
  const text = await schemaTypes(await openapiDocument(config))
  await writeFile(file, text)
  return text
}

if (/generate-client\.(ts|js)$/.test(process.argv[1] ?? '')) {
  try {
    const config = loadConfig(process.env, { dotenv: true })
    await migrate({ url: config.MYSQL_URL, ca: config.DB_CA })
    await generateClientTypes(config)
    console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`)
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `client:generate failed: ${(err as Error).message}`)
    process.exitCode = 1
  }
}
