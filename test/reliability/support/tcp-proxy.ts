// A TCP proxy that can be cut (the reliability suite's shared pieces: see ../support.ts).
import { once } from 'node:events'
import net, { type AddressInfo, type Socket } from 'node:net'
import { type Teardown } from './wait.js'

/**
 * - `open`: bytes flow both ways;
 * - `refuse`: every connection is reset at once (existing ones included), as when the database
 *   host is down and the port answers with RST;
 * - `blackhole`: nothing flows and nothing is answered, connections just hang (a network
 *   partition): the slowest failure to detect.
 */
export type ProxyMode = 'open' | 'refuse' | 'blackhole'

export interface TcpProxy {
  port: number
  /** Connections accepted so far. */
  accepted: () => number
  /** Connections currently open through the proxy. */
  open: () => number
  cut: (mode: Exclude<ProxyMode, 'open'>) => void
  /** Back to normal. Connections that were black-holed are dropped (their bytes are gone). */
  restore: () => void
  close: () => Promise<void>
}

interface Pair { client: Socket, upstream?: Socket }

export async function startTcpProxy (t: Teardown, target: { host: string, port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = 'open'
  let accepted = 0
  const pairs = new Set<Pair>()

  function drop (pair: Pair, reset: boolean): void {
    pairs.delete(pair)
    if (reset) {
      pair.client.resetAndDestroy()
      pair.upstream?.resetAndDestroy()
    } else {
      pair.client.destroy()
      pair.upstream?.destroy()
    }
  }

  const server = net.createServer((client) => {
    accepted++
    const pair: Pair = { client }
    client.on('error', () => drop(pair, false))
    client.on('close', () => drop(pair, false))
    if (mode === 'refuse') {
      client.resetAndDestroy()
      return
    }
    pairs.add(pair)
    if (mode === 'blackhole') {
      // Accepted, never forwarded: the client waits for a greeting that never comes.
      client.pause()
      return
    }
    const upstream = net.connect(target)
    pair.upstream = upstream
    upstream.on('error', () => drop(pair, false))
    upstream.on('close', () => drop(pair, false))
    client.pipe(upstream)
    upstream.pipe(client)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo

  const proxy: TcpProxy = {
    port,
    accepted: () => accepted,
    open: () => pairs.size,
    cut (next) {
      mode = next
      for (const pair of [...pairs]) {
        if (next === 'refuse') {
          drop(pair, true)
        } else {
          // Bytes in flight stop where they are; neither side hears anything more.
          pair.client.unpipe()
          pair.upstream?.unpipe()
          pair.client.pause()
          pair.upstream?.pause()
        }
      }
    },
    restore () {
      const was = mode
      mode = 'open'
      if (was === 'blackhole') {
        // Closing the server side of a held connection makes MySQL roll back whatever
        // transaction it carried.
        for (const pair of [...pairs]) drop(pair, false)
      }
    },
    async close () {
      for (const pair of [...pairs]) drop(pair, false)
      if (!server.listening) return
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
  t.teardown(() => proxy.close())
  return proxy
}
