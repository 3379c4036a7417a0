import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import metrics from '../../plugins/metrics.js'
import webhookVerification, { webhookVerificationOptions } from '../../plugins/webhook-verification.js'
import { sign, secretKey } from '../../src/lib/standard-webhooks.js'
import { testConfig } from '../helper.js'

type Teardown = { teardown: (fn: () => unknown) => void }

async function bare (t: Teardown, overrides: Parameters<typeof testConfig>[0] = {}): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(metrics)
  await app.register(webhookVerification, webhookVerificationOptions(testConfig(overrides)))
  t.teardown(() => app.close())
  await app.ready()
  return app
}

test('verify is a no-op without a secret and a 401 error for a bad signature with one', async (t) => {
  const open = await bare(t)
  t.doesNotThrow(() => open.webhookVerification.verify({}, Buffer.from('{}')))

  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
  const closed = await bare(t, { WEBHOOK_SECRET: secret })
  t.throws(() => closed.webhookVerification.verify({}, Buffer.from('{}')), { statusCode: 401, code: 'FL_WEBHOOK_SIGNATURE' },
    'with a secret, an unsigned delivery is refused')
  const now = Math.floor(Date.now() / 1000)
  const body = Buffer.from('{"event_id":"e","status":"s"}')
  const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(now), 'webhook-signature': sign(secretKey(secret), 'msg_1', now, body) }
  t.doesNotThrow(() => closed.webhookVerification.verify(headers, body))
  t.throws(() => closed.webhookVerification.verify(headers, Buffer.from('{"event_id":"e","status":"t"}')),
    { statusCode: 401, code: 'FL_WEBHOOK_SIGNATURE' })
})

test('countRejected counts in webhook_events_total, every result exported from the start', async (t) => {
  const app = await bare(t)
  app.webhookVerification.countRejected()
  const text = await app.metricsRegistry.getSingleMetricAsString('webhook_events_total')
  t.match(text, /result="rejected"\} 1$/m)
  t.match(text, /result="processed"\} 0$/m)
  t.match(text, /result="duplicate"\} 0$/m)
})
