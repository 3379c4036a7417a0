import CircuitBreaker from 'opossum'
import { secondsUntil } from './backoff.js'
import type { CallBudget } from './call-budget.js'
import { SupplierCallError } from './supplier-errors.js'

/**
 * The circuit breaker around a whole supplier call (every attempt, wait and token refresh):
 * it opens when one call has failed completely, whatever that call's duration, and while open
 * calls are rejected at once until a trial after `resetMs`.
 */

export type CircuitState = 'closed' | 'half-open' | 'open'

/** The value of supplier_circuit_state for each state. */
export const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 }

export interface SupplierBreakerOptions {
  /** How long the breaker stays open before one trial call. */
  resetMs: number
  /** Told of every transition. */
  onTransition: (state: CircuitState) => void
}

/** The breaker refused the call without running it (the circuit is open). */
export function isRejection (err: unknown): boolean {
  return (err as { code?: string }).code === 'EOPENBREAKER'
}

export class SupplierBreaker<T> {
  private readonly breaker: CircuitBreaker<[CallBudget], T>
  private current: CircuitState = 'closed'
  private nextTrialAt: number | undefined

  constructor (call: (budget: CallBudget) => Promise<T>, opts: SupplierBreakerOptions) {
    this.breaker = new CircuitBreaker<[CallBudget], T>(call, {
      name: 'supplier',
      // Each attempt has its own deadline that really cancels it; opossum's timer would not.
      timeout: false,
      resetTimeout: opts.resetMs,
      // A call fails only once every retry has failed too (SUPPLIER_RETRIES + 1 transient failures
      // in a row, over several seconds) or its deadline passed: that alone shows the supplier is
      // down, so any failed call opens the circuit. Answers that say nothing about its health
      // (4xx) are filtered out below. Opossum judges by counts in a rolling window, and a call
      // longer than the window falls out of it before it fails; fire() therefore also opens the
      // circuit itself on such a failure.
      errorThresholdPercentage: 0,
      volumeThreshold: 1,
      rollingCountTimeout: 10_000,
      errorFilter: (err: unknown) => err instanceof SupplierCallError && err.definite
    })
    const transition = (next: CircuitState) => {
      this.current = next
      this.nextTrialAt = next === 'open' ? Date.now() + opts.resetMs : undefined
      opts.onTransition(next)
    }
    this.breaker.on('open', () => transition('open'))
    this.breaker.on('halfOpen', () => transition('half-open'))
    this.breaker.on('close', () => transition('closed'))
  }

  get state (): CircuitState {
    return this.current
  }

  /** True while the call being made is the half-open trial. */
  get halfOpen (): boolean {
    return this.breaker.halfOpen
  }

  /** Runs the call under the breaker; rejects at once (see isRejection) while open. */
  async fire (budget: CallBudget): Promise<T> {
    try {
      return await this.breaker.fire(budget)
    } catch (err) {
      // A call that failed for the supplier's sake (not a 4xx it meant, not our shutdown) opens
      // the circuit, however long it took.
      if (err instanceof SupplierCallError && !err.definite && !this.breaker.opened) this.breaker.open()
      throw err
    }
  }

  /** Seconds for a `retry-after`: until the next trial while open, else 1. */
  retryAfterSeconds (): number {
    return this.current === 'open' && this.nextTrialAt !== undefined ? secondsUntil(this.nextTrialAt) : 1
  }

  shutdown (): void {
    this.breaker.shutdown()
  }
}
