import createError from '@fastify/error'

/**
 * Errors of our own carry their HTTP status (and, where it applies, `retryAfter` in seconds);
 * the error handler in plugins/errors.ts turns any of them into a problem+json reply.
 */
export interface ProblemExtras {
  /** Seconds for the `retry-after` header. */
  retryAfter?: number
  /** Extra members for the problem body. */
  problem?: Record<string, unknown>
}

export const DatabaseUnavailableError = createError(
  'FL_DB_UNAVAILABLE', 'The database is unavailable, retry shortly: %s', 503
)

export const NotFoundError = createError('FL_NOT_FOUND', '%s', 404)

export function withRetryAfter<E extends Error> (err: E, seconds: number): E & ProblemExtras {
  return Object.assign(err, { retryAfter: Math.max(1, Math.ceil(seconds)) })
}
