import { test } from 'tap'
import { readFile } from 'node:fs/promises'
import { openapiDocument, schemaTypes, SCHEMA_FILE } from '../../scripts/generate-client.js'
import { prepareDatabase, testConfig } from '../helper.js'

test('client/schema.d.ts is what npm run client:generate writes from the current routes', async (t) => {
  await prepareDatabase()
  const generated = await schemaTypes(await openapiDocument(testConfig()))
  const committed = await readFile(SCHEMA_FILE, 'utf8')
  t.match(generated, /export interface paths \{/, 'the generator writes the paths')
  t.match(generated, /\n {4}listProducts: \{/, 'operations named by their operationId')
  // A whole-file comparison; the message says how to bring the file up to date.
  t.ok(generated === committed, 'client/schema.d.ts is up to date (run `npm run client:generate` and commit it)')
  t.not(await schemaTypes({ ...(await openapiDocument(testConfig())), paths: {} }), committed, 'a changed document gives other types')
})
