/**
 * A typed client of the FarmLokal service for storefronts and integrators: openapi-fetch
 * over the types generated from the service's OpenAPI document (client/schema.d.ts).
 *
 *   const api = createFarmLokalClient({ baseUrl: 'https://catalog.example.com' })
 *   const { data, error, response } = await api.GET('/api/products', { params: { query: { limit: 20 } } })
 *
 * Every call resolves to `{ data }` on success or `{ error }` (an RFC 9457 problem) otherwise,
 * both typed from the document, with the raw `response` for headers (`etag`, `x-cache`,
 * `retry-after`, `x-ratelimit-*` and the IETF draft's `ratelimit-policy` and `ratelimit`).
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch'
import type { components, operations, paths } from './schema.js'

export type { components, operations, paths }

export type Product = components['schemas']['Product']
export type ProductPage = components['schemas']['ProductPage']
export type Problem = components['schemas']['Problem']
export type Order = components['schemas']['Order']
export type OrderUpdateEvent = components['schemas']['OrderUpdateEvent']
export type WebhookAck = components['schemas']['WebhookAck']
export type ProductListQuery = NonNullable<operations['listProducts']['parameters']['query']>

export type FarmLokalClient = Client<paths>

export interface FarmLokalClientOptions extends ClientOptions {
  /** The service's origin, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string
}

export function createFarmLokalClient (options: FarmLokalClientOptions): FarmLokalClient {
  return createClient<paths>(options)
}

/**
 * Every product matching `query`, page after page (following `nextCursor`), as an async
 * iterator. Stops at the first error, which it throws with the problem's detail.
 */
export async function * allProducts (client: FarmLokalClient, query: Omit<ProductListQuery, 'cursor'> = {}): AsyncGenerator<Product> {
  let cursor: string | undefined
  do {
    const { data, error, response } = await client.GET('/api/products', { params: { query: { ...query, ...(cursor !== undefined ? { cursor } : {}) } } })
    if (data === undefined) throw new Error(`GET /api/products answered ${response.status}: ${error?.detail ?? 'no body'}`)
    yield * data.data
    cursor = data.nextCursor ?? undefined
  } while (cursor !== undefined)
}
