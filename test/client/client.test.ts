import { test } from 'tap'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { allProducts, createFarmLokalClient, type FarmLokalClient } from '../../client/index.js'
import { seedProducts, APP_SETTINGS } from '../routes/products-fixture.js'
import { build, sql } from '../helper.js'

/**
 * On a busy machine a fresh app's first event-loop sample can exceed the shedding threshold,
 * and requests are answered 503 until the next sample (1 s later). Waits that out through
 * /ready (which is shed like the API), at most 10 s.
 */
async function settled (api: FarmLokalClient): Promise<void> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const { response } = await api.GET('/ready')
    if (response.status === 200) return
    await sleep(250)
  }
  throw new Error('the service still sheds requests after 10 s')
}

test('the typed client drives the running service: list, next page, one product, a webhook, the order', async (t) => {
  const conn = await sql(t)
  const app = await build(t, APP_SETTINGS)
  await seedProducts(conn, 25, 17)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const api = createFarmLokalClient({ baseUrl: `http://127.0.0.1:${port}` })
  await settled(api)

  const first = await api.GET('/api/products', { params: { query: { limit: 10, sort: 'price' } } })
  if (first.data === undefined) throw new Error(`no first page: ${first.response.status} ${JSON.stringify(first.error)}`)
  t.equal(first.data.data.length, 10)
  t.type(first.data.nextCursor, 'string')
  t.match(first.response.headers.get('x-cache'), /^(HIT|MISS|BYPASS)$/)
  t.ok(first.response.headers.get('etag'), 'the etag is readable through the client')

  const second = await api.GET('/api/products', { params: { query: { limit: 10, sort: 'price', cursor: first.data.nextCursor ?? undefined } } })
  if (second.data === undefined) throw new Error('no second page')
  t.equal(second.data.data.length, 10)
  const prices = [...first.data.data, ...second.data.data].map((p) => p.price)
  t.same(prices, [...prices].sort((a, b) => a - b), 'the second page continues the first in price order')
  t.equal(new Set([...first.data.data, ...second.data.data].map((p) => p.id)).size, 20, 'no product twice')

  const all = []
  for await (const product of allProducts(api, { limit: 7 })) all.push(product.id)
  t.same(all, Array.from({ length: 25 }, (_, i) => i + 1), 'allProducts follows nextCursor to the last page')

  const id = second.data.data[0].id
  const one = await api.GET('/api/products/{id}', { params: { path: { id } } })
  t.same(one.data, second.data.data[0], 'the product by id is the one on the page')
  const missing = await api.GET('/api/products/{id}', { params: { path: { id: 999_999 } } })
  t.equal(missing.response.status, 404)
  t.equal(missing.error?.status, 404, 'errors come back as typed problems')

  const bad = await api.GET('/api/products', { params: { query: { limit: 1000 } } })
  t.equal(bad.response.status, 400)
  t.match(bad.error?.detail, /limit/)

  const event = { event_id: `evt_client_${Date.now()}`, order_id: 'ord_client_1', status: 'shipped', occurred_at: '2025-03-01T10:00:00.000Z' }
  const sent = await api.POST('/webhook/order-update', { body: event })
  t.same(sent.data, { received: true, duplicate: false })
  const again = await api.POST('/webhook/order-update', { body: event })
  t.same(again.data, { received: true, duplicate: true })

  const order = await api.GET('/api/orders/{orderId}', { params: { path: { orderId: 'ord_client_1' } } })
  t.equal(order.data?.status, 'shipped')
  t.same(order.data?.history.map((h) => h.eventId), [event.event_id])
})
