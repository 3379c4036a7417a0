import { test } from 'tap'
import Type from 'typebox'
import { canonicalJson, sharedSchemas } from '../../src/lib/openapi-refs.js'

const Item = Type.Object({ id: Type.Integer(), name: Type.String() }, { description: 'An item' })
const Page = Type.Object({ data: Type.Array(Item), next: Type.Union([Type.String(), Type.Null()]) })
const Error = Type.Object({ status: Type.Integer(), detail: Type.String() }, { description: 'A problem' })

test('canonicalJson is the same for equal schemas whatever their key order, and differs otherwise', async (t) => {
  t.equal(canonicalJson({ a: 1, b: [{ d: 2, c: 3 }] }), canonicalJson({ b: [{ c: 3, d: 2 }], a: 1 }))
  t.not(canonicalJson({ a: 1 }), canonicalJson({ a: 2 }))
  t.equal(canonicalJson({ a: undefined, b: 1 }), canonicalJson({ b: 1 }), 'undefined members are absent, as in JSON')
})

test('shared schemas get their $id and refer to each other', async (t) => {
  const { registered } = sharedSchemas({ Item, Page, Error })
  t.same(registered.map((s) => s.$id), ['Item', 'Page', 'Error'])
  const page = registered[1] as { properties: { data: { items: unknown }, next: unknown } }
  t.same(page.properties.data.items, { $ref: 'Item#' }, 'the nested shared shape is a reference')
  t.same(page.properties.next, Page.properties.next, 'other members are kept as they are')
  t.match(registered[0], { $id: 'Item', type: 'object', description: 'An item' }, 'a schema is not replaced by a reference to itself')
})

test('refer replaces exact copies anywhere, and response bodies with their annotations beside the $ref', async (t) => {
  const { refer } = sharedSchemas({ Item, Page, Error })
  t.same(refer(Page), { $ref: 'Page#' })
  t.same(refer(Type.Object({ one: Item, many: Type.Array(Item) })), {
    type: 'object', required: ['one', 'many'], properties: { one: { $ref: 'Item#' }, many: { type: 'array', items: { $ref: 'Item#' } } }
  })
  const headers = { etag: { type: 'string', description: 'validator' } }
  t.same(refer({ ...Page, description: 'A page', headers }, { response: true }), { $ref: 'Page#', description: 'A page', headers })
  t.same(refer({ ...Error, description: 'Too many requests' }, { response: true }), { $ref: 'Error#', description: 'Too many requests' },
    'a response may describe a shared shape in its own words')
  t.same(refer({ ...Page, description: 'A page' }), { ...Page, description: 'A page', properties: { data: { type: 'array', items: { $ref: 'Item#' } }, next: Page.properties.next } },
    'outside a response an annotated copy is another schema; only its members are referred')
  const other = Type.Object({ id: Type.Integer(), name: Type.String({ maxLength: 5 }) })
  t.same(refer(other), JSON.parse(JSON.stringify(other)), 'a near copy is left alone')
})
