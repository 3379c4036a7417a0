import { isSpanContextValid, trace } from '@opentelemetry/api'

/**
 * The symbol under which src/telemetry.ts leaves its shutdown function, so the server can
 * flush the last spans on exit without importing the SDK (absent when tracing is off).
 */
export const TELEMETRY_SHUTDOWN = Symbol.for('farmlokal.telemetry.shutdown')

/**
 * Fields every log line gets (a pino mixin): the active span's `trace_id` and `span_id`, so a
 * log line leads to its trace. Without tracing no span is ever active and this returns an empty
 * object: one lookup per line. (A fresh object each time: pino merges the line's fields into it.)
 */
export function traceLogFields (): Record<string, string> {
  const span = trace.getActiveSpan()
  if (span === undefined) return {}
  const ctx = span.spanContext()
  if (!isSpanContextValid(ctx)) return {}
  return { trace_id: ctx.traceId, span_id: ctx.spanId }
}

/** Flushes and stops tracing if src/telemetry.ts started it; at most `ms` (never throws). */
export async function shutdownTelemetry (ms = 2000): Promise<void> {
  const shutdown = (globalThis as Record<symbol, unknown>)[TELEMETRY_SHUTDOWN]
  if (typeof shutdown !== 'function') return
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    Promise.resolve().then(() => shutdown()).catch(() => {}),
    new Promise((resolve) => { timer = setTimeout(resolve, ms) })
  ])
  clearTimeout(timer)
}
