import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Problem } from '../src/schemas/problem.js'
import { Health, Ready } from '../src/schemas/health.js'
import { documented } from '../src/schemas/openapi.js'
import { DatabaseUnavailableError, withProblem } from '../src/lib/errors.js'

const health: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/health', {
    logLevel: 'warn',
    config: { rateLimit: false },
    schema: {
      tags: ['operations'],
      operationId: 'getHealth',
      summary: 'Liveness: the process runs',
      description: 'Always 200 while the process can answer; not rate limited. Use it as the liveness probe.',
      response: { 200: documented(Health, 'The process is alive') }
    }
  }, async () => ({ status: 'ok' as const }))

  fastify.get('/ready', {
    logLevel: 'warn',
    config: { rateLimit: false },
    schema: {
      tags: ['operations'],
      operationId: 'getReady',
      summary: 'Readiness: 200 while MySQL answers; Redis is reported but not required',
      description: 'Use it as the readiness probe: 503 while MySQL does not answer. Not rate limited.',
      response: {
        200: documented(Ready, 'Ready: MySQL answers'),
        503: documented(Problem, 'Not ready: MySQL does not answer; the problem carries `mysql` and `redis` (application/problem+json)')
      }
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
      throw withProblem(new DatabaseUnavailableError('MySQL does not answer'), { retryAfter: 1, problem: { mysql: 'down', redis } })
    }
    return { status: 'ready' as const, mysql: 'up' as const, redis }
  })
}

export default health
