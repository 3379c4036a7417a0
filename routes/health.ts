import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { Problem } from '../src/schemas/problem.js'
import { DatabaseUnavailableError, type ProblemExtras } from '../src/lib/errors.js'

const Health = Type.Object({ status: Type.Literal('ok') }, { examples: [{ status: 'ok' }] })
const Ready = Type.Object({
  status: Type.Literal('ready'),
  mysql: Type.Literal('up'),
  redis: Type.Union([Type.Literal('up'), Type.Literal('down')])
}, { examples: [{ status: 'ready', mysql: 'up', redis: 'up' }] })

const health: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/health', {
    logLevel: 'warn',
    config: { rateLimit: false },
    schema: { tags: ['operations'], summary: 'Liveness: the process runs', response: { 200: Health } }
  }, async () => ({ status: 'ok' as const }))

  fastify.get('/ready', {
    logLevel: 'warn',
    config: { rateLimit: false },
    schema: {
      tags: ['operations'],
      summary: 'Readiness: 200 while MySQL answers; Redis is reported but not required',
      response: { 200: Ready, 503: Problem }
    }
  }, async () => {
    const [mysqlUp, redisUp] = await Promise.all([
      fastify.db.ping().then(() => true, () => false),
      // Through the shared health state: while Redis is being skipped it is reported down at
      // once, instead of every probe waiting for a command timeout.
      fastify.redisHealth.run(async () => await fastify.redis.ping()).then(() => true, () => false)
    ])
    const redis = redisUp ? 'up' as const : 'down' as const
    if (!mysqlUp) {
      const err: Error & ProblemExtras = new DatabaseUnavailableError('MySQL does not answer')
      err.problem = { mysql: 'down', redis }
      err.retryAfter = 1
      throw err
    }
    return { status: 'ready' as const, mysql: 'up' as const, redis }
  })
}

export default health
