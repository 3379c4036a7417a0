import { Counter, Gauge, type Registry } from 'prom-client'
import { isRejection } from './supplier-breaker.js'
import { SupplierCallError } from './supplier-errors.js'

/** The supplier client's Prometheus metrics and how a call's end is counted. */

export const OUTCOMES = ['success', 'failure', 'timeout', 'client_error', 'rejected', 'fallback'] as const
export type Outcome = typeof OUTCOMES[number]

export interface SupplierMetrics {
  requests: Counter<'outcome'>
  retries: Counter
  circuit: Gauge
}

export function supplierMetrics (registry: Registry): SupplierMetrics {
  const requests = new Counter({
    name: 'supplier_requests_total',
    help: 'Calls for the supplier product feed by outcome: success, failure (retries exhausted or ' +
      'unusable answer), timeout (last attempt timed out), client_error (a 3xx/4xx not retried), ' +
      'rejected (circuit open: the supplier was not called); fallback counts stale responses served, ' +
      'in addition to the outcome that caused them',
    labelNames: ['outcome'],
    registers: [registry]
  })
  for (const outcome of OUTCOMES) requests.labels(outcome).inc(0)
  const retries = new Counter({
    name: 'supplier_retries_total',
    help: 'Attempts made to the supplier after a transient failure (the first attempt not counted)',
    registers: [registry]
  })
  const circuit = new Gauge({
    name: 'supplier_circuit_state',
    help: 'Supplier circuit breaker: 0 closed, 1 half-open, 2 open',
    registers: [registry]
  })
  circuit.set(0)
  return { requests, retries, circuit }
}

/** The outcome a failed call is counted under. */
export function outcomeOf (err: unknown): Outcome {
  if (isRejection(err)) return 'rejected'
  if (err instanceof SupplierCallError) {
    if (err.kind === 'timeout' || err.kind === 'deadline') return 'timeout'
    if (err.definite) return 'client_error'
  }
  return 'failure'
}
