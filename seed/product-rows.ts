// A generated product as a row of the products table, in the two forms the loaders send: the
// values of a multi-row INSERT (escaped by mysql2) and a LOAD DATA line (tsvLine of the same values).
import { formatDateTime, formatPrice, type GeneratedProduct, type ProductGenerator } from './data.js'

/** The columns the seeder writes, in the order of productValues. */
export const PRODUCT_COLUMNS = ['id', 'name', 'category', 'price', 'stock', 'created_at'] as const

/** `count` products of `generator`, with the ids firstId, firstId + 1, ... */
export interface RowSource {
  generator: ProductGenerator
  firstId: number
  count: number
}

export type ProductValues = [id: number, name: string, category: string, price: string, stock: number, createdAt: string]

/** The values of one row: for `INSERT ... VALUES ?`, and through tsvLine for LOAD DATA. */
export function productValues (id: number, p: GeneratedProduct): ProductValues {
  return [id, p.name, p.category, formatPrice(p.pricePaise), p.stock, formatDateTime(p.createdAtMs)]
}

const SPECIAL = /[\\\t\n\r]/
const SPECIAL_ALL = /[\\\t\n\r]/g
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

/** A text field of a LOAD DATA line: backslash, tab and line breaks escaped as the statement declares. */
export function tsvField (value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c]) : value
}

/** A LOAD DATA line of any fields: text escaped, numbers as they are. */
export function tsvLine (fields: ReadonlyArray<string | number>): string {
  let line = ''
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]
    line += (i === 0 ? '' : '\t') + (typeof f === 'string' ? tsvField(f) : String(f))
  }
  return line + '\n'
}
