import { createHash } from 'node:crypto'
import createError from '@fastify/error'
import { fromMillis, parseInstant, type Micros } from './event-time.js'

/**
 * An order event as delivered, checked and made ready for the database: its text members are
 * storable, its `occurred_at` parsed at full precision and not in the future, its raw body
 * digested. Pure code, no I/O.
 */

export const InvalidWebhookEventError = createError('FL_INVALID_WEBHOOK_EVENT', '%s', 400)

export interface IncomingEvent {
  eventId: string
  status: string
  orderId?: string | undefined
  /** RFC 3339 as sent; absent means "use the time of receipt" for ordering. */
  occurredAt?: string | undefined
  /** The exact bytes received: digested for the duplicate check and stored as the payload. */
  rawBody: Buffer
}

/** An event ready for the database: validated, digested, its instant parsed. */
export interface LedgerEvent {
  eventId: string
  status: string
  orderId: string | undefined
  occurred: Micros | null
  rawBody: Buffer
  /** SHA-256 of the raw body: the same event id with another digest is a conflict. */
  digest: Buffer
}

/** An `occurred_at` further ahead of our clock than this would pin its order: refused. */
const MAX_FUTURE_MICROS = 5n * 60n * 1_000_000n

/** Lone UTF-16 surrogates cannot be stored as UTF-8: two different ids would collapse into one. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

function checkText (event: IncomingEvent): void {
  for (const [name, value] of [['event_id', event.eventId], ['order_id', event.orderId], ['status', event.status]] as const) {
    if (value !== undefined && LONE_SURROGATE.test(value)) {
      throw new InvalidWebhookEventError(`body/${name} must be valid Unicode (it contains an unpaired surrogate escape)`)
    }
  }
}

/** The event's instant at full precision, refused when it cannot be stored or is in the future. */
function occurredAt (text: string | undefined, nowMs: number): Micros | null {
  if (text === undefined) return null
  const parsed = parseInstant(text)
  if (!parsed.ok) throw new InvalidWebhookEventError(`body/occurred_at ${parsed.reason}`)
  if (parsed.micros > fromMillis(nowMs) + MAX_FUTURE_MICROS) {
    throw new InvalidWebhookEventError('body/occurred_at is more than 5 minutes ahead of the service clock')
  }
  return parsed.micros
}

/** Checks `event` (throws a 400 error) and prepares it for the database. */
export function ledgerEvent (event: IncomingEvent, nowMs = Date.now()): LedgerEvent {
  checkText(event)
  return {
    eventId: event.eventId,
    status: event.status,
    orderId: event.orderId,
    occurred: occurredAt(event.occurredAt, nowMs),
    rawBody: event.rawBody,
    digest: createHash('sha256').update(event.rawBody).digest()
  }
}
