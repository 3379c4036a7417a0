import { test } from 'tap'
import { execFile } from 'node:child_process'
import path from 'node:path'
import { prepareDatabase, testConfig, TEST_REDIS_PREFIX } from '../helper.js'

const root = path.resolve(import.meta.dirname, '..', '..')
const tsx = path.join(root, 'node_modules', '.bin', 'tsx')
const config = testConfig()

/** `npm run seed -- ...` with stdout and stderr piped, as in a container or `> file`. */
async function seedPiped (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return await new Promise((resolve) => {
    execFile(tsx, ['seed/seed-cli.ts', ...args], {
      cwd: root,
      // A bound, not a wait: a small catalog seeds in a few seconds even on a busy machine.
      timeout: 120_000,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MYSQL_URL: config.MYSQL_URL, REDIS_URL: config.REDIS_URL, REDIS_KEY_PREFIX: TEST_REDIS_PREFIX }
    }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? -1), stdout, stderr })
    })
  })
}

/** The position of each expected line in `lines`, -1 when missing. */
function positions (lines: string[], expected: Array<string | RegExp>): number[] {
  return expected.map((e) => lines.findIndex((l) => typeof e === 'string' ? l === e : e.test(l)))
}

test('the seed CLI with stdout piped says when every phase starts, in order, then the summary', async (t) => {
  await prepareDatabase()
  const replaced = await seedPiped(['--count', '2000', '--reset', '--seed', 'progress'])
  t.equal(replaced.code, 0, replaced.stderr)
  t.equal(replaced.stderr, '', 'nothing on stderr without a terminal')
  const lines = replaced.stdout.trimEnd().split('\n')
  const phases = [
    'seeding: loading 2,000 products...',
    /^seeding: 2,000 rows loaded in [\d.]+ s$/,
    'seeding: building indexes...',
    'seeding: counting products per category...',
    'seeding: swapping in the new catalog...'
  ]
  const at = positions(lines, phases)
  phases.forEach((phase, i) => t.ok(at[i] >= 0, `${String(phase)} is printed`))
  t.same(at, [...at].sort((a, b) => a - b), 'in the order the phases run')
  t.match(lines.at(-1), /^seeded 2,000 products \(ids 1-2000\)/, 'the summary comes last')
  for (const line of lines.slice(0, -1)) t.match(line, /^seeding: /, `a progress line: ${line}`)

  // Appending: no copy to swap in, and the word table is extended in place.
  const appended = await seedPiped(['--count', '500', '--seed', 'more'])
  t.equal(appended.code, 0, appended.stderr)
  const more = appended.stdout.trimEnd().split('\n')
  const steps = ['seeding: loading 500 products...', 'seeding: building indexes...', 'seeding: counting products per category...']
  const found = positions(more, steps)
  steps.forEach((step, i) => t.ok(found[i] >= 0, `${step} is printed when appending`))
  t.same(found, [...found].sort((a, b) => a - b), 'in order')
  t.notOk(more.includes('seeding: swapping in the new catalog...'), 'no swap when appending')
  t.match(more.at(-1), /^seeded 500 products \(ids 2001-2500\)/)
})
