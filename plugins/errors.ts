import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ProblemExtras } from '../src/lib/errors.js'

export const PROBLEM_BASE = 'https://farmlokal.dev/problems/'

/** What a generic 5xx says: nothing about the cause, which stays in the log. */
export const UNEXPECTED_DETAIL = 'An unexpected error occurred; it has been logged with the request id.'

interface ValidationIssue {
  instancePath?: string
  message?: string
  params?: Record<string, unknown>
}

/** One offending input, after RFC 9457's "invalid-params" example. */
export interface InvalidParam {
  /** querystring, params, body or headers */
  in: string
  /** The parameter (dotted path inside a body); empty when the whole part is at fault. */
  name: string
  reason: string
}

function describeIssue (part: string, issue: ValidationIssue): InvalidParam {
  let name = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.')
  const child = issue.params?.missingProperty ?? issue.params?.additionalProperty
  if (typeof child === 'string') name = name === '' ? child : `${name}.${child}`
  const allowed = issue.params?.allowedValues
  const suffix = Array.isArray(allowed) ? `: ${allowed.join(', ')}` : ''
  return { in: part, name, reason: `${issue.message ?? 'is invalid'}${suffix}` }
}

/** Every issue of a validation error, each naming its part and parameter. */
export function invalidParams (error: FastifyError): InvalidParam[] {
  const part = error.validationContext ?? 'request'
  const issues = (error.validation ?? []) as ValidationIssue[]
  return issues.length === 0 ? [{ in: part, name: '', reason: 'is invalid' }] : issues.map((i) => describeIssue(part, i))
}

/** "querystring/limit must be <= 100": names the part and the parameter at fault. */
export function describeValidation (error: FastifyError): string {
  const first = invalidParams(error)[0]
  return `${first.in}${first.name === '' ? '' : '/' + first.name} ${first.reason}`
}

function slug (code: string): string {
  return code.replace(/^(FST_ERR_|FST_|FL_)/, '').toLowerCase().replace(/_/g, '-')
}

const CORE_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'instance', 'requestId'])

export interface ProblemOptions {
  type?: string
  title?: string
  extra?: Record<string, unknown>
}

/**
 * Sends an RFC 9457 problem. A problem is never cached, and validators (etag, last-modified)
 * a handler may have set before failing are dropped with it.
 */
export function sendProblem (
  request: FastifyRequest, reply: FastifyReply, status: number, detail: string,
  { type = 'about:blank', title = STATUS_CODES[status] ?? 'Error', extra = {} }: ProblemOptions = {}
): FastifyReply {
  const body: Record<string, unknown> = { type, title, status, detail, instance: request.url.split('?')[0], requestId: request.id }
  for (const [key, value] of Object.entries(extra)) {
    if (!CORE_MEMBERS.has(key)) body[key] = value
  }
  reply.removeHeader('etag')
  reply.removeHeader('last-modified')
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('application/problem+json')
    .send(JSON.stringify(body))
}

/** How one error leaves the service. */
export interface ProblemPlan {
  status: number
  detail: string
  type: string
  extra: Record<string, unknown>
  retryAfter?: number
  /** 'error': unexpected, logged with its stack; 'warn': an expected 5xx (dependency down …). */
  log?: 'error' | 'warn'
}

/** Timeouts of calls made on the request's behalf that nobody turned into a coded error. */
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

/**
 * Decides status, detail and type for any thrown value. 4xx details are shown as they are
 * (they describe the client's input); 5xx details only for our own coded errors (FL_…).
 */
export function planProblem (thrown: unknown): ProblemPlan {
  const error = (typeof thrown === 'object' && thrown !== null ? thrown : {}) as Partial<FastifyError> & ProblemExtras
  const code = typeof error.code === 'string' ? error.code : ''
  const retryAfter = typeof error.retryAfter === 'number' ? { retryAfter: error.retryAfter } : {}

  if (error.validation !== undefined) {
    const params = invalidParams(error as FastifyError)
    return {
      status: 400,
      detail: describeValidation(error as FastifyError),
      type: PROBLEM_BASE + 'validation',
      extra: { invalidParams: params }
    }
  }
  if (code === 'FST_ERR_HANDLER_TIMEOUT') {
    return { status: 503, detail: 'The request did not complete in time; retry shortly.', type: PROBLEM_BASE + 'request-timeout', extra: {}, retryAfter: 1, log: 'warn' }
  }
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600
    ? error.statusCode
    : undefined
  if (status === undefined && (error.name === 'TimeoutError' || TIMEOUT_CODES.has(code))) {
    return { status: 504, detail: 'A call made for this request did not answer in time.', type: PROBLEM_BASE + 'upstream-timeout', extra: {}, log: 'warn' }
  }
  const ours = code.startsWith('FL_')
  const extra = typeof error.problem === 'object' && error.problem !== null ? error.problem : {}
  if (status === undefined) {
    return { status: 500, detail: UNEXPECTED_DETAIL, type: 'about:blank', extra: {}, log: 'error' }
  }
  if (status >= 500) {
    return ours
      ? { status, detail: String(error.message), type: PROBLEM_BASE + slug(code), extra, ...retryAfter, log: 'warn' }
      : { status, detail: UNEXPECTED_DETAIL, type: 'about:blank', extra: {}, log: 'error' }
  }
  return {
    status,
    detail: typeof error.message === 'string' && error.message !== '' ? error.message : (STATUS_CODES[status] ?? 'Error'),
    type: code.startsWith('FL_') || code.startsWith('FST_') ? PROBLEM_BASE + slug(code) : 'about:blank',
    extra,
    ...retryAfter
  }
}

/** Fastify's routing errors (bad percent-encoding, a parameter past maxParamLength) as problems. */
export function frameworkErrors (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const plan = planProblem(error)
  sendProblem(request, reply, plan.status, plan.detail, { type: plan.type })
}

/** HTTP the parser refuses: a problem+json written to the socket, then the connection closes. */
export function clientErrorHandler (err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
  const detail = status === 431
    ? 'The request headers are larger than the server accepts.'
    : status === 408 ? 'The request was not received in time.' : 'The request is not valid HTTP/1.1.'
  const body = JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status], status, detail })
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/problem+json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`)
  }
  socket.destroy(err)
}

/**
 * One error handler for the whole service: every error, ours or Fastify's, leaves as an RFC 9457
 * problem+json; unexpected ones are logged (with the request id) and described to nobody.
 */
async function errors (fastify: FastifyInstance) {
  fastify.setErrorHandler(function handleError (error: FastifyError, request, reply) {
    const plan = planProblem(error)
    if (plan.log === 'error') request.log.error({ err: error }, 'unexpected error')
    else if (plan.log === 'warn') request.log.warn({ err: { type: error?.name, code: error?.code, message: error?.message } }, plan.detail)
    if (plan.retryAfter !== undefined) reply.header('retry-after', String(plan.retryAfter))
    return sendProblem(request, reply, plan.status, plan.detail, { type: plan.type, extra: plan.extra })
  })

  // HTTP/1.1 requires a Host header (RFC 9112 §3.2): a request without one is refused before
  // any other hook or route sees it (HTTP/1.0 may leave it out).
  // (A callback hook: it runs on every request, and most need nothing from it.)
  fastify.addHook('onRequest', (request, reply, done) => {
    const { httpVersionMajor, httpVersionMinor } = request.raw
    if (request.headers.host !== undefined || httpVersionMajor !== 1 || httpVersionMinor < 1) { done(); return }
    reply.header('connection', 'close')
    sendProblem(request, reply, 400, 'An HTTP/1.1 request must carry a Host header.', { type: PROBLEM_BASE + 'missing-host' })
  })

  fastify.setNotFoundHandler(function notFound (request, reply) {
    return sendProblem(request, reply, 404, `No route for ${request.method} ${request.url.split('?')[0]}`, {
      type: PROBLEM_BASE + 'route-not-found'
    })
  })
}

export default fp(errors, { name: 'errors' })
