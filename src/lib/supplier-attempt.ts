import { Agent } from 'undici'
import { budgetSpent, type CallBudget } from './call-budget.js'
import { SupplierCallError } from './supplier-errors.js'

/**
 * One attempt at the supplier's feed: a GET bounded as a whole (connect, headers and body) by
 * its own deadline, and every way it can fail told apart as a SupplierCallError.
 */

export interface SupplierAgentOptions {
  /** Deadline for one attempt. */
  timeoutMs: number
  /** Sockets to the supplier (default 16). */
  connections?: number
  /** Largest body accepted (default 10 MiB). */
  maxResponseBytes?: number
}

/** The connection pool to the supplier. */
export function supplierAgent (opts: SupplierAgentOptions): Agent {
  return new Agent({
    connections: opts.connections ?? 16,
    // The deadline per attempt (below) is the real bound; these only back it up.
    connect: { timeout: opts.timeoutMs },
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: 4_000,
    maxResponseSize: opts.maxResponseBytes ?? 10 * 1024 * 1024
  })
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

/**
 * GETs `url` with the bearer `token`, bounded by `timeoutMs` (or by what is left of the call's
 * budget, when less); resolves with the parsed JSON body.
 */
export async function attemptGet (agent: Agent, url: URL, token: string, timeoutMs: number, budget: CallBudget): Promise<unknown> {
  const deadline = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; deadline.abort() }, Math.max(0, Math.min(timeoutMs, budget.until - Date.now())))
  const onSpent = () => deadline.abort()
  budget.signal.addEventListener('abort', onSpent)
  try {
    const res = await agent.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: 'GET',
      headers: { accept: 'application/json', authorization: `Bearer ${token}` },
      signal: deadline.signal
    })
    const status = res.statusCode
    if (status >= 200 && status < 300) {
      const text = await res.body.text()
      try {
        return JSON.parse(text) as unknown
      } catch {
        throw new SupplierCallError('bad-response', `supplier answered ${status} with a body that is not JSON`, { status })
      }
    }
    await res.body.dump().catch(() => {})
    if (status === 401) throw new SupplierCallError('unauthorized', 'supplier rejected the access token (401)', { status })
    const retryAfter = res.headers['retry-after']
    throw new SupplierCallError('status', `supplier answered ${status}`, { status, ...(retryAfter !== undefined ? { retryAfter } : {}) })
  } catch (err) {
    if (err instanceof SupplierCallError) throw err
    if (budget.closing.aborted) throw new SupplierCallError('closing', 'the service is shutting down', { cause: err })
    if (budget.signal.aborted && !timedOut) throw budgetSpent(budget, 'during an attempt', err)
    const code = (err as { code?: string }).code
    if (timedOut || (code !== undefined && TIMEOUT_CODES.has(code))) {
      throw new SupplierCallError('timeout', `supplier did not answer within ${timeoutMs} ms`, { cause: err })
    }
    if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') throw new SupplierCallError('bad-response', 'supplier body is too large', { cause: err })
    throw new SupplierCallError('network', `supplier unreachable (${code ?? (err as Error).name})`, { cause: err })
  } finally {
    clearTimeout(timer)
    budget.signal.removeEventListener('abort', onSpent)
  }
}
