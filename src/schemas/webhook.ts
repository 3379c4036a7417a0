import Type, { type Static } from 'typebox'

/**
 * POST /webhook/order-update: one order event. `event_id` is the idempotency key. Members not
 * named here are accepted and kept with the event (the raw body is stored as received).
 */
export const OrderUpdateEvent = Type.Object({
  event_id: Type.String({ minLength: 1, maxLength: 128, description: 'Idempotency key: one event, however often delivered' }),
  status: Type.String({ minLength: 1, maxLength: 64, description: 'The order status this event reports' }),
  order_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'The order whose status moves' })),
  occurred_at: Type.Optional(Type.String({
    format: 'date-time',
    description: 'When the status changed at the provider (ISO 8601 with a time zone); orders never move back to an older one. Without it, the time of receipt stands in.'
  }))
}, {
  additionalProperties: true,
  examples: [{ event_id: 'evt_01J9Z3', order_id: 'ord_1001', status: 'shipped', occurred_at: '2025-03-01T10:00:00.000Z' }]
})

export type OrderUpdateEvent = Static<typeof OrderUpdateEvent>

/** The acknowledgement: `duplicate` is true for every delivery after the first of an event. */
export const WebhookAck = Type.Object({
  received: Type.Literal(true),
  duplicate: Type.Boolean()
}, { examples: [{ received: true, duplicate: false }] })

export type WebhookAck = Static<typeof WebhookAck>

/** Standard Webhooks headers; required only when WEBHOOK_SECRET is set. */
export const WebhookSignatureHeaders = Type.Object({
  'webhook-id': Type.Optional(Type.String({ description: 'Delivery id, part of the signed content' })),
  'webhook-timestamp': Type.Optional(Type.String({ description: 'Seconds since the epoch; accepted within 5 minutes of our clock' })),
  'webhook-signature': Type.Optional(Type.String({ description: 'Space-separated `v1,<base64 HMAC-SHA256>` signatures; any may match' }))
}, { additionalProperties: true })
