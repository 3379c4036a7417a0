// Catalog rows (the reliability suite's shared pieces: see ../support.ts).
import type mysql from 'mysql2/promise'

export const CATEGORIES = ['vegetables', 'fruits', 'dairy', 'grains', 'spices']

/** Inserts `count` deterministic products (ids 1..count on an empty table). */
export async function seedProducts (conn: mysql.Connection, count: number): Promise<void> {
  await conn.query('DELETE FROM products')
  await conn.query('ALTER TABLE products AUTO_INCREMENT = 1')
  const rows: Array<[string, string, number, number, Date]> = []
  for (let i = 1; i <= count; i++) {
    rows.push([`Product ${i}`, CATEGORIES[i % CATEGORIES.length], (i * 37) % 1000 + 0.5, i % 50, new Date(Date.UTC(2025, 0, 1) + i * 60_000)])
  }
  for (let i = 0; i < rows.length; i += 500) {
    await conn.query('INSERT INTO products (name, category, price, stock, created_at) VALUES ?', [rows.slice(i, i + 500)])
  }
}
