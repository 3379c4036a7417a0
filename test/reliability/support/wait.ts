// Bounded waiting (the reliability suite's shared pieces: see ../support.ts).
import { once } from 'node:events'
import net, { type AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

export type Teardown = { teardown: (fn: () => unknown) => void }

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

export interface WaitOptions {
  /** Gives up after this long. */
  timeoutMs: number
  /** Pause between probes. */
  intervalMs?: number
  /** Named in the error when the wait gives up. */
  what: string
}

/**
 * Probes until `probe` returns something other than undefined/false, at most `timeoutMs`.
 * A probe that throws counts as "not yet"; the last error is named when the wait gives up.
 */
export async function waitFor<T> (probe: () => Promise<T | undefined | false> | T | undefined | false, opts: WaitOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined && value !== false) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
      throw new Error(`gave up after ${opts.timeoutMs} ms waiting for ${opts.what}${why}`)
    }
    await sleep(opts.intervalMs ?? 50)
  }
}

/**
 * Keeps a fault in place for `ms` measured from `since` while load runs against it. This is a
 * chosen duration of the experiment, not a wait for an event (those use waitFor).
 */
export async function holdFault (since: number, ms: number): Promise<void> {
  const left = since + ms - Date.now()
  if (left > 0) await sleep(left)
}

/** Rejects when `promise` has not settled within `ms`: a hang becomes a failure with a name. */
export async function within<T> (ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, limit])
  } finally {
    clearTimeout(timer)
  }
}

/** A port nobody listens on right now (the kernel picks it; closed before it is returned). */
export async function freePort (): Promise<number> {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  server.close()
  await once(server, 'close')
  return port
}
