import Type, { type Static } from 'typebox'

export const OrderParams = Type.Object({
  orderId: Type.String({ minLength: 1, maxLength: 128, description: 'The `order_id` of the webhook events' })
})

export type OrderParams = Static<typeof OrderParams>

export const OrderHistoryEntry = Type.Object({
  eventId: Type.String(),
  status: Type.String(),
  occurredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: "The event's occurred_at, or null when it carried none (its receivedAt then orders it)"
  }),
  receivedAt: Type.String({ format: 'date-time' })
})

export type OrderHistoryEntry = Static<typeof OrderHistoryEntry>

/** GET /api/orders/:orderId: the applied status and every distinct event, oldest arrival first. */
export const Order = Type.Object({
  orderId: Type.String(),
  status: Type.String({ description: 'The status of the event with the newest occurred_at' }),
  updatedAt: Type.String({ format: 'date-time', description: 'When the status was last applied' }),
  history: Type.Array(OrderHistoryEntry)
}, {
  examples: [{
    orderId: 'ord_1001',
    status: 'shipped',
    updatedAt: '2025-03-01T10:00:01.120Z',
    history: [
      { eventId: 'evt_1', status: 'paid', occurredAt: '2025-03-01T09:00:00.000Z', receivedAt: '2025-03-01T09:00:00.210Z' },
      { eventId: 'evt_2', status: 'shipped', occurredAt: '2025-03-01T10:00:00.000Z', receivedAt: '2025-03-01T10:00:01.120Z' }
    ]
  }]
})

export type Order = Static<typeof Order>
