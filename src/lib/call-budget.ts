import { SupplierCallError } from './supplier-errors.js'

/**
 * One supplier call's overall deadline (SUPPLIER_DEADLINE_MS): attempts, waits between them
 * and obtaining the token all happen within it, and shutdown ends it early.
 */
export interface CallBudget {
  /** Epoch ms at which the call must be over. */
  until: number
  /** Fires at `until`, or when the service closes. */
  signal: AbortSignal
  /** The deadline's length, for messages. */
  deadlineMs: number
  /** Fires when the service closes. */
  closing: AbortSignal
}

/** A budget of `deadlineMs` from now; call `end()` once the call has settled. */
export function startBudget (deadlineMs: number, closing: AbortSignal): { budget: CallBudget, end: () => void } {
  const timer = new AbortController()
  const clock = setTimeout(() => timer.abort(), deadlineMs)
  return {
    budget: { until: Date.now() + deadlineMs, signal: AbortSignal.any([timer.signal, closing]), deadlineMs, closing },
    end: () => clearTimeout(clock)
  }
}

/** The call's deadline passed (or the service is closing) while waiting for `what`. */
export function budgetSpent (budget: CallBudget, what: string, cause?: unknown): SupplierCallError {
  if (budget.closing.aborted) return new SupplierCallError('closing', 'the service is shutting down', { cause })
  return new SupplierCallError('deadline', `the call's deadline of ${budget.deadlineMs} ms passed ${what}`, { cause })
}

/**
 * `work`, waited for no longer than the budget (then a `deadline` or `closing` error). The work
 * itself is not cancelled: it may be shared with other callers, and is left to finish for them.
 */
export async function withinBudget<T> (work: Promise<T>, budget: CallBudget, what: string): Promise<T> {
  let onAbort: (() => void) | undefined
  const spent = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(budgetSpent(budget, what))
    if (budget.signal.aborted) onAbort()
    else budget.signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([work, spent])
  } finally {
    work.catch(() => {})
    if (onAbort !== undefined) budget.signal.removeEventListener('abort', onAbort)
  }
}
