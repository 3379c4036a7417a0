// The breaker with the contract's default timings: one completely failed call takes 15 s (four
// 2 s timeouts and waits of 1, 2 and 4 s), longer than opossum's 10 s rolling window, and must
// still open the circuit; open calls are then answered fast without contacting the supplier.
import { test } from 'tap'
import { MYSQL_BASE, REDIS_BASE, TEST_DB, TEST_REDIS_PREFIX, prepareDatabase } from '../helper.js'
import {
  call, isProblem, jsonBody, percentile, reportedCircuit, spawnService, startFakeSupplier, supplierEnv, type Outcome
} from './support.js'

const TIMEOUT_MS = 2000
const RETRIES = 3
const BASE_MS = 1000
const DEADLINE_MS = 20_000
const FULL_FAILURE_MS = (RETRIES + 1) * TIMEOUT_MS + BASE_MS * (1 + 2 + 4)

test('with the default timings one completely failed call opens the breaker; open calls answer fast without the supplier', async (t) => {
  await prepareDatabase()
  const fake = await startFakeSupplier(t, 'hang')
  // A real service process with nothing but the supplier configured: every timing is the default.
  const svc = await spawnService(t, {
    ...supplierEnv(fake),
    MYSQL_URL: `${MYSQL_BASE}/${TEST_DB}`,
    REDIS_URL: REDIS_BASE,
    REDIS_KEY_PREFIX: `${TEST_REDIS_PREFIX}breaker:`
  })

  const first = await call(`${svc.url}/external/products`, { timeoutMs: DEADLINE_MS + 10_000 })
  t.equal(first.status, 503, `the failed call is a 503 (${first.error ?? ''})`)
  t.ok(isProblem(first), 'as a problem+json')
  t.ok(Number(first.headers.get('retry-after')) >= 1, 'with retry-after')
  t.equal(fake.productRequests, RETRIES + 1, 'every attempt was used')
  t.ok(first.ms >= FULL_FAILURE_MS - 500 && first.ms < DEADLINE_MS + 2000,
    `it took the whole attempt chain (${first.ms} ms, expected about ${FULL_FAILURE_MS} ms)`)
  t.equal(await reportedCircuit(svc.url, 2), 2, 'supplier_circuit_state reports open')

  // The same service's liveness route, measured next to the open calls: what the machine adds.
  const open: Outcome[] = []
  const baseline: Outcome[] = []
  for (let i = 0; i < 15; i++) {
    baseline.push(await call(`${svc.url}/health`, { timeoutMs: 5000 }))
    open.push(await call(`${svc.url}/external/products`, { timeoutMs: 5000 }))
  }
  t.ok(open.every((o) => o.status === 503 && isProblem(o) && Number(o.headers.get('retry-after')) >= 1), 'every open call is a 503 problem with retry-after')
  t.ok(open.every((o) => jsonBody(o).circuit === 'open'), 'naming the open circuit')
  const p50 = percentile(open.map((o) => o.ms), 50)
  const healthP50 = percentile(baseline.map((o) => o.ms), 50)
  t.ok(p50 < 50 + healthP50, `open calls p50 ${p50} ms < 50 ms + /health p50 ${healthP50} ms`)
  t.equal(fake.productRequests, RETRIES + 1, 'the supplier was not contacted while open')
})
