import fp from 'fastify-plugin'
import createError from '@fastify/error'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'
import { verify, secretKey, FAILURE_DETAIL, DEFAULT_TOLERANCE_SECONDS, type SignatureHeaders } from '../src/lib/standard-webhooks.js'
import { webhookEventsCounter } from '../src/lib/webhook-metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Order webhook deliveries: Standard Webhooks signature check and rejection counting. */
    webhookVerification: WebhookVerification
  }
}

export interface WebhookVerification {
  /** Throws a 401 error unless the delivery is correctly signed (no-op without a secret). */
  verify: (headers: SignatureHeaders, rawBody: Buffer) => void
  /** Counts a delivery answered with a 4xx (bad signature, body, size, type, or a conflict). */
  countRejected: () => void
}

export interface WebhookVerificationOptions {
  /** `whsec_…` Standard Webhooks secrets separated by spaces (any verifies); unset = not required. */
  secret?: string
  toleranceSeconds?: number
}

export function webhookVerificationOptions (config: Config): WebhookVerificationOptions {
  return {
    ...(config.WEBHOOK_SECRET !== undefined ? { secret: config.WEBHOOK_SECRET } : {}),
    toleranceSeconds: DEFAULT_TOLERANCE_SECONDS
  }
}

export const WebhookSignatureError = createError('FL_WEBHOOK_SIGNATURE', 'Webhook signature rejected: %s', 401)

async function webhookVerification (fastify: FastifyInstance, opts: WebhookVerificationOptions) {
  const keys = (opts.secret ?? '').split(/\s+/).filter((s) => s !== '').map(secretKey)
  const toleranceSeconds = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  const rejected = webhookEventsCounter(fastify.metricsRegistry).labels('rejected')

  fastify.decorate('webhookVerification', {
    verify (headers: SignatureHeaders, rawBody: Buffer): void {
      if (keys.length === 0) return
      const result = verify({ keys, headers, body: rawBody, toleranceSeconds })
      if (!result.ok) throw new WebhookSignatureError(FAILURE_DETAIL[result.reason])
    },
    countRejected: () => { rejected.inc() }
  })
}

export default fp(webhookVerification, { name: 'webhook-verification', dependencies: ['metrics'] })
