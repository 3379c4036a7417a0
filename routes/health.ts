import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Problem } from '../src/schemas/problem.js'
import { Health, Ready } from '../src/schemas/health.js'
import { documented } from '../src/schemas/openapi.js'
import { DatabaseUnavailableError, withProblem } from '../src/lib/errors.js'
import { sharedResult } from '../src/lib/shared-result.js'
import { pingRedis } from '../src/lib/redis-health.js'

/** How long one readiness probe's answer is shared by every /ready request (ms). */
export const READY_REUSE_MS = 1000

const health: FastifyPluginAsyncTypebox = async (fastify) => {
  // One MySQL ping and one Redis ping per second at most, however many probes arrive: a flood
  // of /ready cannot load the databases or crowd the API out.
  const probe = sharedResult(async () => await Promise.all([
    fastify.db.ping().then(() => true, () => false),
    // Through the shared health state: while Redis is being skipped it is reported down at
    // once, instead of every probe waiting for a command timeout. On a Redis Cluster "up" means
    // the cluster serves every slot (src/lib/redis-health.ts).
    fastify.redisHealth.run(async () => { await pingRedis(fastify.redis) }).then(() => true, () => false)
  ]), READY_REUSE_MS)

  fastify.get('/health', {
    // An operations route (src/lib/ops-route.ts); liveness is never shed.
    config: { ops: true, shed: false },
    schema: {
      tags: ['operations'],
      operationId: 'getHealth',
      summary: 'Liveness: the process runs',
      description: 'Always 200 while the process can answer; not rate limited. Use it as the liveness probe.',
      response: { 200: documented(Health, 'The process is alive') }
    }
  }, async () => ({ status: 'ok' as const }))

  fastify.get('/ready', {
    // An operations route; shed like the API when the event loop is saturated (readiness then
    // reports the overload and the balancer sends traffic elsewhere).
    config: { ops: true },
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
    const [mysqlUp, redisUp] = await probe()
    const redis = redisUp ? 'up' as const : 'down' as const
    if (!mysqlUp) {
      throw withProblem(new DatabaseUnavailableError('MySQL does not answer'), { retryAfter: 1, problem: { mysql: 'down', redis } })
    }
    return { status: 'ready' as const, mysql: 'up' as const, redis }
  })
}

export default health
