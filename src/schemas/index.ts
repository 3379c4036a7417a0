import { CategoryCounts } from './category.js'
import { ExternalProducts } from './external.js'
import { Health, Ready } from './health.js'
import { Order, OrderHistoryEntry } from './order.js'
import { Problem } from './problem.js'
import { Product, ProductPage } from './product.js'
import { TokenInfo } from './token.js'
import { OrderUpdateEvent, WebhookAck } from './webhook.js'

/**
 * The shapes named in the OpenAPI document (`components.schemas`), by the name clients see.
 * plugins/docs.ts registers them with `fastify.addSchema` and points every use at them; a
 * new shared shape only needs a line here.
 */
export const SHARED_SCHEMAS: Record<string, object> = {
  Product,
  ProductPage,
  CategoryCounts,
  Problem,
  Order,
  OrderHistoryEntry,
  OrderUpdateEvent,
  WebhookAck,
  TokenInfo,
  SupplierProducts: ExternalProducts,
  Health,
  Ready
}
