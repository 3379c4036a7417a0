import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import { isUtf8 } from 'node:buffer'
import createError from '@fastify/error'
import type { FastifyRequest } from 'fastify'
import { OrderUpdateEvent, WebhookAck, WebhookSignatureHeaders } from '../src/schemas/webhook.js'
import { Problem } from '../src/schemas/problem.js'
import { documented } from '../src/schemas/openapi.js'

export const WEBHOOK_PATHS = ['/webhook/order-update', '/api/webhook'] as const
/** Largest accepted delivery, in bytes (413 above it). */
export const WEBHOOK_BODY_LIMIT = 64 * 1024

const UnsupportedMediaTypeError = createError(
  'FL_UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json or application/*+json, got %s', 415
)
const InvalidJsonError = createError('FL_INVALID_JSON', 'The body is not valid JSON: %s', 400)
const InvalidUtf8Error = createError('FL_INVALID_UTF8', 'The body is not valid UTF-8 (JSON text must be UTF-8)', 400)

/** application/json or application/<anything>+json, any parameters (charset…), any case. */
const JSON_MEDIA_TYPE = /^application\/(?:[\w!#$&^.-]+\+)?json$/

export function isJsonContentType (header: string | undefined): boolean {
  if (header === undefined) return false
  return JSON_MEDIA_TYPE.test(header.split(';', 1)[0].trim().toLowerCase())
}

/**
 * The exact bytes of each delivery, kept beside the parsed body: the signature and the
 * duplicate digest are computed over them, never over a re-serialisation.
 */
const rawBodies = new WeakMap<FastifyRequest, Buffer>()

const webhooks: FastifyPluginAsyncTypebox = async (fastify) => {
  // Encapsulated: only these routes read bodies as raw bytes. JSON is parsed in preValidation,
  // after the signature check, so an unsigned caller learns nothing about body validation.
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) => {
    done(null, body)
  })

  fastify.addHook('onRequest', async (request) => {
    const type = request.headers['content-type']
    if (!isJsonContentType(type)) throw new UnsupportedMediaTypeError(type === undefined ? 'none' : JSON.stringify(type))
  })

  fastify.addHook('preValidation', async (request) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
    fastify.webhookVerification.verify(request.headers, raw)
    // Decoding would turn invalid bytes into U+FFFD: two different deliveries (`bad\xFF`,
    // `bad\xFE`) would then be one event, and the stored payload would not be what was sent.
    if (!isUtf8(raw)) throw new InvalidUtf8Error()
    rawBodies.set(request, raw)
    try {
      request.body = JSON.parse(raw.toString('utf8'))
    } catch (err) {
      throw new InvalidJsonError((err as Error).message)
    }
  })

  // Counted before the answer leaves, so a caller that saw the 4xx also sees it counted.
  fastify.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode >= 400 && reply.statusCode < 500) fastify.webhookVerification.countRejected()
    return payload
  })

  for (const url of WEBHOOK_PATHS) {
    fastify.post(url, {
      bodyLimit: WEBHOOK_BODY_LIMIT,
      // TypeBox's own checker, without type coercion: a number is not an event id.
      validatorCompiler: TypeBoxValidatorCompiler,
      schema: {
        tags: ['webhooks'],
        operationId: url === WEBHOOK_PATHS[0] ? 'receiveOrderWebhook' : 'receiveOrderWebhookAlias',
        summary: url === WEBHOOK_PATHS[0]
          ? 'Order status event (Standard Webhooks signature when WEBHOOK_SECRET is set); exactly-once per event_id'
          : 'Alias of POST /webhook/order-update (kept for existing senders)',
        description: 'Answered 200 once the event is committed; every later delivery of the same `event_id` is 200 with ' +
          '`duplicate: true`, and one with other bytes is a 409. With `order_id`, the order moves to `status` unless a ' +
          'newer `occurred_at` is already applied. Content type `application/json` or `application/*+json`, at most 64 KiB.',
        ...(url === WEBHOOK_PATHS[0] ? {} : { deprecated: true }),
        headers: WebhookSignatureHeaders,
        body: OrderUpdateEvent,
        response: {
          200: documented(WebhookAck, 'Received: the event is committed (now, or by an earlier delivery when `duplicate` is true)'),
          400: documented(Problem, 'Invalid body: not JSON, not UTF-8, a missing or bad member, or `occurred_at` too far ahead (application/problem+json)'),
          401: documented(Problem, 'Missing or bad Standard Webhooks signature, when WEBHOOK_SECRET is set (application/problem+json)'),
          409: documented(Problem, 'This `event_id` was received with a body of other bytes (application/problem+json)'),
          413: Problem,
          415: Problem,
          503: documented(Problem, 'MySQL is unavailable; nothing was applied: deliver again later (application/problem+json)')
        }
      }
    }, async (request) => {
      const { event_id: eventId, status, order_id: orderId, occurred_at: occurredAt } = request.body
      const rawBody = rawBodies.get(request) ?? Buffer.alloc(0)
      const { duplicate } = await fastify.orders.apply({ eventId, status, orderId, occurredAt, rawBody })
      return { received: true as const, duplicate }
    })
  }
}

export default webhooks
