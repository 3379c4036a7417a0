// A Redis server of the test's own (the reliability suite's shared pieces: see ../support.ts).
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { type Teardown, freePort, within } from './wait.js'

export interface RedisServer {
  port: number
  url: string
  /** Kills the server at once (SIGKILL: no goodbye to its clients). */
  kill: () => Promise<void>
  /** Starts it again on the same port, empty. */
  start: () => Promise<void>
  running: () => boolean
}

/**
 * `redis-server --port P --save "" --appendonly no` on a spare port: nothing persists, so a
 * restart comes back empty (as a crashed cache would). Killed when the test ends.
 */
export async function startRedisServer (t: Teardown): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | undefined
  let exited: Promise<unknown> = Promise.resolve()

  async function start (): Promise<void> {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    child = proc
    exited = once(proc, 'exit')
    let output = ''
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8')
        if (output.includes('Ready to accept connections')) resolve()
      }
      proc.stdout?.on('data', onData)
      proc.stderr?.on('data', onData)
      proc.once('exit', (code) => reject(new Error(`redis-server exited (${String(code)}) before it was ready: ${output.slice(-500)}`)))
      proc.once('error', reject)
    })
    await within(10_000, 'redis-server start-up', ready)
  }

  async function kill (): Promise<void> {
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGKILL')
    await within(5_000, 'redis-server exit', exited)
  }

  await start()
  t.teardown(kill)
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null
  }
}
