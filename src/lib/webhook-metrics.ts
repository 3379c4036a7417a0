import { Counter, type Registry } from 'prom-client'

export type WebhookResult = 'processed' | 'duplicate' | 'rejected'

/**
 * `webhook_events_total`, shared by the two plugins that count deliveries (processed and
 * duplicate ones where events are claimed, rejected ones where deliveries are verified):
 * whichever registers first creates it, the other finds it in the registry.
 */
export function webhookEventsCounter (registry: Registry): Counter<'result'> {
  const existing = registry.getSingleMetric('webhook_events_total')
  if (existing !== undefined) return existing as Counter<'result'>
  const counter = new Counter({
    name: 'webhook_events_total',
    help: 'Order webhook deliveries by result: processed (first delivery), duplicate (a repeat), rejected (refused with a 4xx)',
    labelNames: ['result'] as const,
    registers: [registry]
  })
  for (const result of ['processed', 'duplicate', 'rejected'] satisfies WebhookResult[]) counter.inc({ result }, 0)
  return counter
}
