import { test } from 'tap'
import mysql from 'mysql2/promise'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { migrate, migrationsDir, splitStatements } from '../../src/migrations.js'
import { MYSQL_BASE, TEST_DB, ownDatabase } from '../helper.js'

const DB = ownDatabase(`${TEST_DB}_runs`)
ownDatabase(`${DB}_c`)
const url = `${MYSQL_BASE}/${DB}`

async function admin (): Promise<mysql.Connection> {
  return await mysql.createConnection(`${MYSQL_BASE}/`)
}

test('migrate creates the database and every table, and a second run changes nothing', async (t) => {
  const conn = await admin()
  t.teardown(() => conn.end())
  await conn.query(`DROP DATABASE IF EXISTS \`${DB}\``)

  const first = await migrate({ url })
  t.ok(first.applied.includes('001_products.sql') && first.applied.includes('002_webhooks_orders.sql'),
    'applies every migration on an empty database')

  const second = await migrate({ url })
  t.same(second.applied, [], 'nothing to apply the second time')
  t.equal(second.current, first.current)

  const [tables] = await conn.query<mysql.RowDataPacket[]>(
    'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? ORDER BY 1', [DB])
  t.same(tables.map((r) => r.t), ['catalog_version', 'category_counts', 'orders', 'products', 'schema_migrations', 'webhook_events'])

  const [indexes] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT index_name AS name, GROUP_CONCAT(column_name ORDER BY seq_in_index) AS cols
       FROM information_schema.statistics WHERE table_schema = ? AND table_name = 'products'
      GROUP BY index_name ORDER BY index_name`, [DB])
  t.same(Object.fromEntries(indexes.map((r) => [r.name, r.cols])), {
    PRIMARY: 'id',
    ft_products_name: 'name',
    idx_category_created_id: 'category,created_at,id,price',
    idx_category_id_price: 'category,id,price',
    idx_category_price_id: 'category,price,id,created_at',
    idx_created_id: 'created_at,id,price',
    idx_price_id: 'price,id,created_at'
  })
  const [[unique]] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT non_unique AS nu FROM information_schema.statistics
      WHERE table_schema = ? AND table_name = 'webhook_events' AND column_name = 'event_id'`, [DB])
  t.equal(Number(unique.nu), 0, 'webhook event ids are unique')
  await conn.query(`DROP DATABASE ${DB}`)
})

test('migrate is safe when several processes start at once', async (t) => {
  const conn = await admin()
  t.teardown(() => conn.end())
  await conn.query(`DROP DATABASE IF EXISTS ${DB}_c`)
  const results = await Promise.all([1, 2, 3].map(async () => await migrate({ url: `${url}_c` })))
  const applied = results.flatMap((r) => r.applied)
  t.equal(applied.length, new Set(applied).size, 'each migration applied exactly once')
  const [[count]] = await conn.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${DB}_c.schema_migrations`)
  // One row per applied file (versions need not be contiguous while numbers are reserved).
  t.equal(Number(count.n), applied.length)
  await conn.query(`DROP DATABASE ${DB}_c`)
})

test('migrate fails with a clear error when MySQL does not answer', async (t) => {
  await t.rejects(migrate({ url: 'mysql://root@127.0.0.1:1/nowhere' }), { code: 'ECONNREFUSED' })
})

test('splitStatements splits on line-ending semicolons and drops comments', async (t) => {
  t.same(splitStatements('-- c\nCREATE TABLE a (x INT);\n\n-- d\nCREATE TABLE b (y INT);\n'), ['CREATE TABLE a (x INT)', 'CREATE TABLE b (y INT)'])
})

test('the numbered SQL files are found from src/ and from the compiled dist/src/', async (t) => {
  const root = path.resolve(import.meta.dirname, '..', '..')
  t.equal(migrationsDir(), path.join(root, 'seed', 'migrations'), 'from src/migrations.ts')
  t.equal(migrationsDir(pathToFileURL(path.join(root, 'dist', 'src', 'migrations.js')).href), path.join(root, 'seed', 'migrations'),
    'from dist/src/migrations.js')
})
