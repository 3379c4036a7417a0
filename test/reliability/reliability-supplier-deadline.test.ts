// The supplier call as a whole: the breaker opens after one completely failed call with the
// default timings (a call that takes 15 s), SUPPLIER_DEADLINE_MS bounds every call (a
// Retry-After past it is not waited for), concurrent callers joined to one call all get its
// complete answer, and a token endpoint that fails for a moment is retried like the feed.
import { test } from 'tap'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { TEST_REDIS_PREFIX, build } from '../helper.js'
import {
  call, isProblem, jsonBody, reportedCircuit, startFakeSupplier, supplierEnv, waitFor, type FakeSupplier
} from './support.js'

type Teardown = Parameters<typeof build>[0]

/** Defaults of the contract: per-attempt timeout, retries, backoff base, deadline. */
const TIMEOUT_MS = 2000
const RETRIES = 3
const BASE_MS = 1000
const DEADLINE_MS = 20_000
/** A failed call with the defaults: 4 timed-out attempts and waits of 1, 2 and 4 s. */
const FULL_FAILURE_MS = (RETRIES + 1) * TIMEOUT_MS + BASE_MS * (1 + 2 + 4)

/** An in-process service on a Redis prefix of its own (so no other test's stale copy is seen). */
async function service (t: Teardown, fake: FakeSupplier, name: string, env: Record<string, string | number> = {}): Promise<{ app: FastifyInstance, url: string }> {
  const app = await build(t, { ...supplierEnv(fake), RATE_LIMIT_MAX: 1_000_000, REDIS_KEY_PREFIX: `${TEST_REDIS_PREFIX}${name}:`, ...env })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` }
}

test('a Retry-After past the deadline is not waited for: every joined caller gets the stale copy at once', async (t) => {
  const fake = await startFakeSupplier(t, 'ok')
  const { url } = await service(t, fake, 'retry-after')
  let live = await call(`${url}/external/products`, { timeoutMs: 10_000 })
  t.equal(live.status, 200)
  t.equal(jsonBody(live).source, 'live')

  for (const retryAfter of ['999999', 'Fri, 31 Dec 9999 23:59:59 GMT']) {
    await t.test(`Retry-After: ${retryAfter}`, async (t) => {
      fake.mode = 'storm'
      fake.stormRetryAfter = retryAfter
      const before = fake.productRequests
      const callers = await Promise.all(Array.from({ length: 5 }, async () =>
        await call(`${url}/external/products`, { timeoutMs: DEADLINE_MS + 15_000 })))
      t.same(callers.map((o) => o.status), [200, 200, 200, 200, 200], `every caller answered (${callers.map((o) => o.error ?? o.status).join(',')})`)
      t.ok(callers.every((o) => jsonBody(o).source === 'stale' && jsonBody(o).fetchedAt === jsonBody(live).fetchedAt), 'with the same stale copy')
      t.equal(fake.productRequests - before, 1, 'one attempt: the wait it asked for would pass the deadline')
      const slowest = Math.max(...callers.map((o) => o.ms))
      t.ok(slowest < DEADLINE_MS, `answered in ${slowest} ms, within the ${DEADLINE_MS} ms deadline`)
    })
    // The failed call opened the breaker; start the next case from a closed one.
    fake.mode = 'ok'
    live = await waitFor(async () => {
      const res = await call(`${url}/external/products`, { timeoutMs: 10_000 })
      return jsonBody(res).source === 'live' ? res : undefined
    }, { timeoutMs: 20_000, intervalMs: 500, what: 'the breaker to close again' })
  }
})

test('SUPPLIER_DEADLINE_MS ends a call whose attempts hang, for every joined caller, with a 503 problem', async (t) => {
  const fake = await startFakeSupplier(t, 'hang')
  const deadline = 3500
  const { url } = await service(t, fake, 'deadline', { SUPPLIER_DEADLINE_MS: deadline })
  const callers = await Promise.all(Array.from({ length: 4 }, async () =>
    await call(`${url}/external/products`, { timeoutMs: FULL_FAILURE_MS + 10_000 })))
  t.same(callers.map((o) => o.status), [503, 503, 503, 503], `every caller answered (${callers.map((o) => o.error ?? o.status).join(',')})`)
  t.ok(callers.every((o) => isProblem(o) && Number(o.headers.get('retry-after')) >= 1), 'with a problem and retry-after')
  const slowest = Math.max(...callers.map((o) => o.ms))
  // The call itself ends at the deadline; the answer after it is local work.
  t.ok(slowest >= deadline - 100 && slowest < deadline + 1500, `answered after ${slowest} ms, at the ${deadline} ms deadline`)
  t.equal(fake.productRequests, 2, 'a 2 s attempt, a 1 s wait, and a second attempt cut at the deadline (3.5 s)')
})

test('a token endpoint failing for a moment is retried on the feed\'s schedule', async (t) => {
  const fake = await startFakeSupplier(t, 'ok')
  fake.tokenMode = 'storm'
  const { url } = await service(t, fake, 'token-storm', { SUPPLIER_RETRY_BASE_MS: 300 })
  const pending = call(`${url}/external/products`, { timeoutMs: 20_000 })
  // Two 503s from the token endpoint, then it recovers during the wait before the third try.
  await waitFor(() => fake.tokenRequests >= 2, { timeoutMs: 10_000, intervalMs: 10, what: 'two token requests' })
  fake.tokenMode = 'ok'
  const res = await pending
  t.equal(res.status, 200, `answered ${res.status}`)
  t.equal(jsonBody(res).source, 'live', 'live: the token was obtained on a retry')
  t.equal(fake.tokenRequests, 3)
  t.equal(fake.productRequests, 1)

  await t.test('an unreachable token endpoint uses every attempt, then the breaker opens', async (t) => {
    const fake = await startFakeSupplier(t, 'ok')
    fake.tokenMode = 'reset'
    const { url } = await service(t, fake, 'token-reset', { SUPPLIER_RETRY_BASE_MS: 100 })
    const res = await call(`${url}/external/products`, { timeoutMs: 20_000 })
    t.equal(res.status, 503)
    t.ok(isProblem(res))
    t.equal(fake.tokenRequests, RETRIES + 1, 'one token request per attempt')
    t.equal(fake.productRequests, 0)
    t.equal(await reportedCircuit(url, 2), 2, 'the circuit opened')
  })
})
