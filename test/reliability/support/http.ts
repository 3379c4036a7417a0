// HTTP calls that can never hang (the reliability suite's shared pieces: see ../support.ts).
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Teardown } from './wait.js'

export interface Outcome {
  /** HTTP status, or 0 when no response arrived. */
  status: number
  /** Milliseconds from the call to the full body (or the failure). */
  ms: number
  /** When the call started (epoch ms). */
  startedAt: number
  headers: Headers
  body: string
  /** Set when no response arrived: `timeout` (the call's deadline passed) or the error code. */
  error?: string
  /** Label given by the caller (e.g. the URL or the event id). */
  label: string
}

export interface CallInit {
  method?: string
  headers?: Record<string, string>
  body?: string | Buffer
  /** Deadline for the whole call, body included. */
  timeoutMs?: number
  /** Label kept on the outcome (e.g. the event id). */
  label?: string
  /**
   * A connection of its own, closed after the answer (`connection: close`), instead of the
   * shared keep-alive pool.
   */
  fresh?: boolean
}

function errorCode (err: unknown): string {
  let e = err as { name?: string, code?: string, cause?: unknown } | undefined
  // fetch wraps the network error in `cause`; take the innermost code.
  for (let depth = 0; e !== undefined && depth < 4; depth++) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout'
    if (typeof e.code === 'string' && e.cause === undefined) return e.code
    if (e.cause === undefined) return e.code ?? e.name ?? 'error'
    e = e.cause as typeof e
  }
  return 'error'
}

/** One HTTP call bounded by an AbortSignal deadline; never throws, never hangs. */
export async function call (url: string, init: CallInit = {}): Promise<Outcome> {
  const startedAt = Date.now()
  const label = init.label ?? url
  const signal = AbortSignal.timeout(init.timeoutMs ?? 5000)
  try {
    if (init.fresh === true) {
      const res = await freshRequest(url, init, signal)
      return { ...res, ms: Date.now() - startedAt, startedAt, label }
    }
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      ...(init.headers !== undefined ? { headers: init.headers } : {}),
      ...(init.body !== undefined ? { body: init.body } : {}),
      signal
    })
    const body = await res.text()
    return { status: res.status, ms: Date.now() - startedAt, startedAt, headers: res.headers, body, label }
  } catch (err) {
    return { status: 0, ms: Date.now() - startedAt, startedAt, headers: new Headers(), body: '', error: errorCode(err), label }
  }
}

async function freshRequest (url: string, init: CallInit, signal: AbortSignal): Promise<Pick<Outcome, 'status' | 'headers' | 'body'>> {
  return await new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: init.method ?? 'GET',
      headers: { ...init.headers, connection: 'close' },
      agent: false,
      signal
    }, (res) => { readResponse(res).then(resolve, reject) })
    req.on('error', reject)
    req.end(init.body)
  })
}

/** A node:http response read to its end: status, headers (as a Headers) and the body as text. */
export async function readResponse (res: IncomingMessage): Promise<Pick<Outcome, 'status' | 'headers' | 'body'>> {
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk as Buffer)
  const headers = new Headers()
  for (const [key, value] of Object.entries(res.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value)
  }
  return { status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') }
}

export interface Load {
  /** Every outcome so far, in completion order. */
  outcomes: Outcome[]
  /** Stops the workers after their current call; resolves with every outcome. */
  stop: () => Promise<Outcome[]>
}

/**
 * `concurrency` workers, each calling `next(n)` (n counts calls across workers) and awaiting the
 * outcome, until stopped (at the latest when the test ends) or `maxCalls` calls were made.
 * A worker whose call got no answer pauses `pauseOnFailureMs` before its next call, as a real
 * client would, instead of spinning on a refused port.
 */
export function startLoad (t: Teardown, concurrency: number, next: (n: number) => Promise<Outcome>, { maxCalls = 1_000_000, pauseOnFailureMs = 50 } = {}): Load {
  const outcomes: Outcome[] = []
  let stopped = false
  let n = 0
  const workers = Array.from({ length: concurrency }, async () => {
    // eslint-disable-next-line no-unmodified-loop-condition -- `stopped` is set by stop(), between awaits
    while (!stopped && n < maxCalls) {
      const outcome = await next(n++)
      outcomes.push(outcome)
      if (outcome.status === 0 && !stopped) await sleep(pauseOnFailureMs)
    }
  })
  const load: Load = {
    outcomes,
    stop: async () => {
      stopped = true
      await Promise.all(workers)
      return outcomes
    }
  }
  t.teardown(load.stop)
  return load
}

/** How many outcomes fall in each status (`0:timeout` for failures), for readable assertions. */
export function tally (outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const o of outcomes) {
    const key = o.status === 0 ? `0:${o.error ?? 'error'}` : String(o.status)
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

export function isProblem (o: Outcome): boolean {
  if (!/^application\/problem\+json/.test(o.headers.get('content-type') ?? '')) return false
  try {
    const body = JSON.parse(o.body) as Record<string, unknown>
    return body.status === o.status && typeof body.title === 'string' && typeof body.type === 'string' && typeof body.detail === 'string'
  } catch {
    return false
  }
}
