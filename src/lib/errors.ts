import createError from '@fastify/error'

/**
 * Errors of our own are @fastify/error classes carrying their HTTP status; what a problem reply
 * needs beyond it (`retry-after`, extra members) is attached with `withProblem`, the one way to
 * do so. The error handler in plugins/errors.ts turns any of them into a problem+json reply.
 */
export interface ProblemExtras {
  /** Seconds for the `retry-after` header (whole, at least 1). */
  retryAfter?: number
  /** Extra members for the problem body. */
  problem?: Record<string, unknown>
}

/** Attaches `retry-after` seconds (rounded up, at least 1) and extra problem members to `err`. */
export function withProblem<E extends Error> (err: E, extras: ProblemExtras): E & ProblemExtras {
  const target = err as E & ProblemExtras
  if (extras.retryAfter !== undefined) target.retryAfter = Math.max(1, Math.ceil(extras.retryAfter))
  if (extras.problem !== undefined) target.problem = { ...target.problem, ...extras.problem }
  return target
}

export const DatabaseUnavailableError = createError(
  'FL_DB_UNAVAILABLE', 'The database is unavailable, retry shortly: %s', 503
)

export const NotFoundError = createError('FL_NOT_FOUND', '%s', 404)
