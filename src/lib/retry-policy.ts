import { setTimeout as sleep } from 'node:timers/promises'
import { retryDelay } from './backoff.js'
import { budgetSpent, type CallBudget } from './call-budget.js'
import { SupplierCallError } from './supplier-errors.js'

/**
 * The retry policy of a supplier call: transient failures (SupplierCallError.retryable) are
 * tried again up to `retries` times, waiting base, 2×base, 4×base … or what the supplier's
 * Retry-After asks for, all within the call's budget: a wait that would end past the deadline
 * is not begun.
 */

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number
  /** Backoff base (ms). */
  retryBaseMs: number
}

/** What a failed attempt led to, for the log and the retry count. */
export interface RetryNotice {
  /** 1 for the first attempt. */
  attempt: number
  reason: string
  waitMs: number
  /** Set when the wait would pass the deadline, so the call gives up instead. */
  leftMs?: number
}

export interface RetryObserver {
  /** A wait of `waitMs` begins before the next attempt. */
  retrying (notice: RetryNotice): void
  /** The next attempt would start past the deadline: the failure stands. */
  givingUp (notice: RetryNotice): void
}

/*
 * Why a small loop rather than undici's RetryAgent: its retries share one AbortSignal for the
 * whole sequence, so a per-attempt deadline covering connect, headers and body can only be
 * approximated by idle timers (headersTimeout/bodyTimeout restart on every chunk); a failure
 * after the headers is resumed with Range requests a JSON feed does not support; and the 401
 * token refresh and the breaker's half-open trial without retries need hooks it does not have.
 */
export async function withRetries<T> (
  attempt: () => Promise<T>, policy: RetryPolicy, budget: CallBudget, observer: RetryObserver
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt()
    } catch (err) {
      if (!(err instanceof SupplierCallError) || !err.retryable || retry >= policy.retries) throw err
      const waitMs = retryDelay(retry, policy.retryBaseMs, err.retryAfter)
      const leftMs = budget.until - Date.now()
      if (waitMs >= leftMs) {
        observer.givingUp({ attempt: retry + 1, reason: err.message, waitMs, leftMs })
        throw err
      }
      observer.retrying({ attempt: retry + 1, reason: err.message, waitMs })
      await sleep(waitMs, undefined, { signal: budget.signal }).catch((cause: unknown) => {
        throw budgetSpent(budget, 'while waiting to retry', cause)
      })
    }
  }
}
