import type { PoolConnection } from 'mysql2/promise'
import { DatabaseUnavailableError, withProblem } from './errors.js'

/** The 503 problem of a delivery the database could not take: deliver again in a second. */
export function unavailable (detail: string): Error {
  return withProblem(new DatabaseUnavailableError(detail), { retryAfter: 1 })
}

/**
 * The deadline of the statements before COMMIT: past it the connection is dropped, so the
 * server rolls the transaction back. Pure timing code around a connection it is handed.
 */
export class StatementDeadline {
  expired = false
  /** Set when the connection was dropped for another reason (a COMMIT whose answer was lost). */
  dropped = false
  private readonly timer: NodeJS.Timeout
  private readonly passed: Promise<never>

  constructor (conn: PoolConnection, at: number, timeoutMs: number) {
    let fail: (err: Error) => void = () => {}
    this.passed = new Promise<never>((_resolve, reject) => { fail = reject })
    this.passed.catch(() => {})
    this.timer = setTimeout(() => {
      this.expired = true
      conn.destroy()
      fail(unavailable(`no answer within ${timeoutMs} ms`))
    }, Math.max(0, at - Date.now()))
  }

  /** `work`, or the deadline's 503 error if that comes first. */
  async step<T> (work: Promise<T>): Promise<T> {
    work.catch(() => {})
    return await Promise.race([work, this.passed])
  }

  /** Stops the clock: from here on (the COMMIT) nothing is cut. */
  stop (): void {
    clearTimeout(this.timer)
  }

  /** Whether the connection may go back to the pool (neither cut by the clock nor dropped). */
  get reusable (): boolean {
    return !this.expired && !this.dropped
  }
}
