import createError from '@fastify/error'
import { isRetryableStatus } from './backoff.js'

/** 503 for GET /external/products when the supplier cannot be used and nothing is kept to serve. */
export const SupplierUnavailableError = createError(
  'FL_SUPPLIER_UNAVAILABLE', 'The supplier is unavailable and no earlier response is kept to serve: %s', 503
)

/**
 * Why one call to the supplier failed:
 * - `timeout`: the attempt's deadline (connect, headers and body) passed;
 * - `network`: no HTTP answer (refused, reset, DNS ...);
 * - `status`: an HTTP answer that is not a success (`status` says which);
 * - `unauthorized`: a 401, handled by refreshing the token once;
 * - `bad-response`: a success whose body is not JSON or is too large;
 * - `token`: no access token could be obtained (`transient` says whether that is worth retrying);
 * - `deadline`: the whole call's deadline (SUPPLIER_DEADLINE_MS) passed;
 * - `closing`: the service is shutting down.
 */
export type SupplierFailureKind = 'timeout' | 'network' | 'status' | 'unauthorized' | 'bad-response' | 'token' | 'deadline' | 'closing'

export class SupplierCallError extends Error {
  override name = 'SupplierCallError'
  readonly kind: SupplierFailureKind
  readonly status: number | undefined
  /** The supplier's `Retry-After` header, as sent. */
  readonly retryAfter: string | string[] | undefined
  /** For `token`: the provider failed in a passing way (unreachable, timed out, 5xx, 408, 429). */
  readonly transient: boolean

  constructor (kind: SupplierFailureKind, message: string, extra: { status?: number, retryAfter?: string | string[], cause?: unknown, transient?: boolean } = {}) {
    super(message, extra.cause !== undefined ? { cause: extra.cause } : undefined)
    this.kind = kind
    this.status = extra.status
    this.retryAfter = extra.retryAfter
    this.transient = extra.transient ?? false
  }

  /**
   * Worth another attempt after a wait: timeouts, network errors, the transient statuses and
   * the token provider's own transient failures.
   */
  get retryable (): boolean {
    if (this.kind === 'timeout' || this.kind === 'network') return true
    if (this.kind === 'token') return this.transient
    return this.kind === 'status' && this.status !== undefined && isRetryableStatus(this.status)
  }

  /**
   * The supplier answered and said no (a 3xx/4xx other than the transient ones, or a 401 that a
   * fresh token did not cure), or we are shutting down: says nothing about the supplier's health,
   * so it does not count towards opening the circuit.
   */
  get definite (): boolean {
    if (this.kind === 'unauthorized' || this.kind === 'closing') return true
    return this.kind === 'status' && !this.retryable && this.status !== undefined && this.status < 500
  }
}
