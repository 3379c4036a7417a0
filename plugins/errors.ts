import { STATUS_CODES } from 'node:http'
import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ProblemExtras } from '../src/lib/errors.js'

const PROBLEM_BASE = 'https://farmlokal.dev/problems/'

interface ValidationIssue {
  instancePath?: string
  message?: string
  params?: Record<string, unknown>
}

/** "querystring/limit must be <= 100": names the part and the parameter at fault. */
export function describeValidation (error: FastifyError): string {
  const issue = (error.validation?.[0] ?? {}) as ValidationIssue
  const part = error.validationContext ?? 'request'
  let path = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.')
  const missing = issue.params?.missingProperty
  if (typeof missing === 'string') path = path === '' ? missing : `${path}.${missing}`
  const allowed = issue.params?.allowedValues
  const suffix = Array.isArray(allowed) ? `: ${allowed.join(', ')}` : ''
  return `${part}${path === '' ? '' : '/' + path} ${issue.message ?? 'is invalid'}${suffix}`
}

function slug (code: string): string {
  return code.replace(/^(FST_ERR_|FL_)/, '').toLowerCase().replace(/_/g, '-')
}

export function sendProblem (
  request: FastifyRequest, reply: FastifyReply, status: number, detail: string,
  { type = 'about:blank', title = STATUS_CODES[status] ?? 'Error', extra = {} }: { type?: string, title?: string, extra?: Record<string, unknown> } = {}
): FastifyReply {
  const body = { type, title, status, detail, instance: request.url.split('?')[0], requestId: request.id, ...extra }
  return reply.code(status).type('application/problem+json').send(JSON.stringify(body))
}

/**
 * One error handler for the whole service: every error, ours or Fastify's, leaves as an RFC 9457
 * problem+json. 4xx details are shown as they are (they describe the client's input); 5xx
 * details are shown only for our own coded errors, never for unexpected ones.
 */
async function errors (fastify: FastifyInstance) {
  fastify.setErrorHandler(function handleError (error: FastifyError & ProblemExtras, request, reply) {
    if (error.validation !== undefined) {
      return sendProblem(request, reply, 400, describeValidation(error), {
        type: PROBLEM_BASE + 'validation'
      })
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600
      ? error.statusCode
      : 500
    if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter))
    const ours = typeof error.code === 'string' && (error.code.startsWith('FL_') || error.code.startsWith('FST_'))
    if (status >= 500 && !ours) {
      request.log.error({ err: error }, 'unexpected error')
      return sendProblem(request, reply, 500, 'An unexpected error occurred; it has been logged with the request id.')
    }
    if (status >= 500) request.log.warn({ err: error }, error.message)
    return sendProblem(request, reply, status, error.message, {
      type: ours ? PROBLEM_BASE + slug(error.code) : 'about:blank',
      extra: error.problem ?? {}
    })
  })

  fastify.setNotFoundHandler(function notFound (request, reply) {
    return sendProblem(request, reply, 404, `No route for ${request.method} ${request.url.split('?')[0]}`, {
      type: PROBLEM_BASE + 'route-not-found'
    })
  })
}

export default fp(errors, { name: 'errors' })
