import { readFile } from 'node:fs/promises'
import { test } from 'tap'
import { prepareDatabase, testConfig } from '../helper.js'
import { ARCHITECTURE_FILE, BEGIN, END, generatedSection, replaceGenerated } from '../../scripts/architecture.js'

// One build of the app serves every test below.
let section: Promise<string> | undefined
async function generated (): Promise<string> {
  section ??= prepareDatabase().then(async () => await generatedSection(testConfig()))
  return await section
}

test('docs/ARCHITECTURE.md shows the plugins as buildApp registers them (run `npm run docs:architecture` when this fails)', async (t) => {
  const committed = await readFile(ARCHITECTURE_FILE, 'utf8')
  t.equal(replaceGenerated(committed, await generated()), committed, 'the generated block is up to date')
})

test('the generated block names every plugin, the decorators it adds and its dependencies', async (t) => {
  const section = await generated()
  t.ok(section.startsWith(BEGIN) && section.endsWith(END), 'between its markers')
  t.match(section, /```mermaid\nflowchart LR\n/, 'a mermaid graph')
  // decorators of a third-party plugin are credited to ours that registers it
  t.match(section, /\| `redis` \| \[plugins\/redis\.ts\]\(\.\.\/plugins\/redis\.ts\) \| [^|]*`fastify\.redis`/)
  t.match(section, /\| `catalog` \| [^|]+ \| `fastify\.catalog` \| [^|]*`page-cache`[^|]* \|/)
  t.match(section, /p_catalog --> p_mysql/, 'dependencies are arrows')
  t.match(section, /r_routes_products_ts --> p_catalog/, 'route modules point at the plugins whose decorators they use')
  t.match(section, /r_routes_products_ts --> p_http_cache/, 'reply decorators included')
})

test('replaceGenerated keeps the hand-written parts and refuses a document without markers', async (t) => {
  const doc = `# Title\n\nbefore\n\n${BEGIN}\nold\n${END}\n\nafter\n`
  t.equal(replaceGenerated(doc, `${BEGIN}\nnew\n${END}`), `# Title\n\nbefore\n\n${BEGIN}\nnew\n${END}\n\nafter\n`)
  t.throws(() => replaceGenerated('# no markers\n', 'x'), /markers/)
})
