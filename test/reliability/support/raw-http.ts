// Raw HTTP/1.1 on one connection (the reliability suite's shared pieces: see ../support.ts).
import { once } from 'node:events'
import net from 'node:net'
import { within } from './wait.js'

export interface RawResponse { status: number, headers: Record<string, string>, body: string }

/** Splits HTTP/1.1 responses read from one connection (bodies framed by content-length). */
export function parseResponses (raw: Buffer): RawResponse[] {
  const responses: RawResponse[] = []
  let at = 0
  while (at < raw.length) {
    const end = raw.indexOf('\r\n\r\n', at)
    if (end < 0) break
    const head = raw.subarray(at, end).toString('latin1').split('\r\n')
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0])?.[1] ?? 0)
    const headers: Record<string, string> = {}
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    const length = Number(headers['content-length'] ?? 0)
    responses.push({ status, headers, body: raw.subarray(end + 4, end + 4 + length).toString('utf8') })
    at = end + 4 + length
  }
  return responses
}

export interface RawExchange {
  /** Resolves once the request bytes are written on an established connection. */
  sent: Promise<void>
  /** Everything read until the server closed the connection, or the socket error. */
  done: Promise<{ responses: RawResponse[], error?: string }>
}

/**
 * One request on a connection of its own, written as soon as the TCP handshake completes. The
 * kernel completes handshakes for a listening socket even while its process is stopped, so this
 * can queue requests at a paused service.
 */
export function rawExchange (port: number, { method = 'GET', path = '/', headers = {} as Record<string, string>, body = '' } = {}, timeoutMs = 10_000): RawExchange {
  const head = [`${method} ${path} HTTP/1.1`, `host: 127.0.0.1:${port}`, 'connection: close',
    `content-length: ${Buffer.byteLength(body)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
  return rawBytes(port, Buffer.from(head.join('\r\n') + '\r\n\r\n' + body), timeoutMs)
}

/** `bytes` exactly as given, on a connection of its own (for requests no client would send). */
export function rawBytes (port: number, bytes: Buffer, timeoutMs = 10_000): RawExchange {
  const socket = net.connect(port, '127.0.0.1')
  const chunks: Buffer[] = []
  let error: string | undefined
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.on('error', (err: Error & { code?: string }) => { error = err.code ?? err.message })
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const sent = (async () => {
    await once(socket, 'connect')
    socket.write(bytes)
  })()
  const done = (async () => {
    try {
      await within(timeoutMs, 'the server to answer and close', closed)
    } catch {
      error = 'timeout'
    } finally {
      socket.destroy()
    }
    return { responses: parseResponses(Buffer.concat(chunks)), ...(error !== undefined ? { error } : {}) }
  })()
  sent.catch(() => {})
  return { sent, done }
}

/** Nearest-rank percentile of durations (ms). */
export function percentile (values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}
