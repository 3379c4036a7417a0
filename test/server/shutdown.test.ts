import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { test } from 'tap'
import { prepareDatabase, MYSQL_BASE, REDIS_BASE, TEST_DB, TEST_REDIS_PREFIX } from '../helper.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

type LogLine = Record<string, unknown> & { msg?: string }

/** The real service process (`node --import tsx src/server.ts`), its log lines and its exit. */
interface Service {
  child: ChildProcess
  port: number
  /** Resolves with the first log line (past or future) that matches; rejects after `ms`. */
  waitForLog: (match: (line: LogLine) => boolean, ms?: number) => Promise<LogLine>
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null, at: number }>
}

async function startService (t: { teardown: (fn: () => unknown) => void }): Promise<Service> {
  await prepareDatabase()
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      MYSQL_URL: `${MYSQL_BASE}/${TEST_DB}`,
      REDIS_URL: REDIS_BASE,
      REDIS_KEY_PREFIX: TEST_REDIS_PREFIX,
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      MAX_EVENT_LOOP_DELAY_MS: '0'
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null, at: number }>((resolve) => {
    child.once('exit', (code, signal) => { resolve({ code, signal, at: Date.now() }) })
  })
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })

  const lines: LogLine[] = []
  const waiters = new Set<{ match: (line: LogLine) => boolean, resolve: (line: LogLine) => void }>()
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000) })
  readline.createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: LogLine
    try { line = JSON.parse(text) as LogLine } catch { line = { msg: text } }
    lines.push(line)
    for (const w of waiters) if (w.match(line)) { waiters.delete(w); w.resolve(line) }
  })

  const waitForLog = async (match: (line: LogLine) => boolean, ms = 10_000): Promise<LogLine> => {
    const seen = lines.find(match)
    if (seen !== undefined) return seen
    return await new Promise<LogLine>((resolve, reject) => {
      const waiter = { match, resolve: (line: LogLine) => { clearTimeout(timer); resolve(line) } }
      const timer = setTimeout(() => {
        waiters.delete(waiter)
        reject(new Error(`no matching log line within ${ms} ms; stderr: ${stderr}`))
      }, ms)
      waiters.add(waiter)
      void exited.then(() => { if (waiters.delete(waiter)) { clearTimeout(timer); reject(new Error(`service exited; stderr: ${stderr}`)) } })
    })
  }

  const listening = await waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('Server listening at http://127.0.0.1:'), 60_000)
  const port = Number(/:(\d+)$/.exec(String(listening.msg))?.[1])
  return { child, port, waitForLog, exited }
}

interface Reply { status: number, headers: http.IncomingHttpHeaders, body: string, socket: net.Socket }

function collect (req: http.ClientRequest): Promise<Reply> {
  return new Promise((resolve, reject) => {
    req.on('error', reject)
    req.on('response', (res) => {
      const socket = res.socket
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { body += d })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body, socket }) })
    })
  })
}

/** Resolves when `socket` has closed; rejects when it is still open after `ms`. */
function closedWithin (socket: net.Socket, ms: number, what: string): Promise<void> {
  if (socket.destroyed) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`${what} still open after ${ms} ms`)) }, ms)
    socket.once('close', () => { clearTimeout(timer); resolve() })
  })
}

/** Resolves true when a new TCP connection to the port is refused, false when one is accepted. */
function refused (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(false) })
    socket.once('error', () => { resolve(true) })
  })
}

test('SIGTERM lets an in-flight request finish, refuses new connections, closes idle keep-alive ones and exits 0 within 10 s', async (t) => {
  const service = await startService(t)
  const { port } = service

  // An idle keep-alive connection, as a load balancer or storefront proxy keeps them.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const health = await collect(http.get({ host: '127.0.0.1', port, path: '/health', agent }))
  t.equal(health.status, 200)
  t.equal(health.headers.connection, 'keep-alive')
  const idleSocket = health.socket

  // A webhook delivery whose body is still uploading when the signal arrives, on a connection
  // the client would like to keep.
  const uploadAgent = new http.Agent({ keepAlive: true })
  t.teardown(() => uploadAgent.destroy())
  const body = JSON.stringify({ event_id: `shutdown-${randomUUID()}`, status: 'shipped' })
  const upload = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/webhook/order-update',
    agent: uploadAgent,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
  })
  const uploaded = collect(upload)
  upload.flushHeaders()
  upload.write(body.slice(0, 10))
  await service.waitForLog((l) => l.msg === 'incoming request' && (l.req as { url?: string } | undefined)?.url === '/webhook/order-update')

  const signalled = Date.now()
  service.child.kill('SIGTERM')
  await service.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('shutting down'))

  // Stop accepting: the listening socket closes as the shutdown begins (bounded wait).
  let isRefused = false
  for (let i = 0; i < 40 && !isRefused; i++) {
    isRefused = await refused(port)
    if (!isRefused) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.ok(isRefused, 'new connections are refused while draining')
  t.equal(service.child.exitCode, null, 'still running: the upload is in flight')

  upload.end(body.slice(10))
  const reply = await uploaded
  t.ok(reply.status > 0 && reply.status < 500, `the in-flight request completes normally (${reply.status})`)
  t.doesNotThrow(() => JSON.parse(reply.body), 'with its whole body')
  t.equal(reply.headers.connection, 'close', 'and the client is told not to reuse the connection')
  await closedWithin(reply.socket, 5000, 'the drained connection')

  await closedWithin(idleSocket, 5000, 'the idle keep-alive connection')
  t.pass('the idle keep-alive connection was closed by the server')

  const exit = await service.exited
  t.equal(exit.code, 0, 'exit code 0')
  t.ok(exit.at - signalled < 10_000, `exited ${exit.at - signalled} ms after SIGTERM`)
  await service.waitForLog((l) => l.msg === 'shut down', 1000)
})

test('SIGINT with only idle keep-alive connections exits 0 at once', async (t) => {
  const service = await startService(t)
  const agent = new http.Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  for (let i = 0; i < 3; i++) {
    t.equal((await collect(http.get({ host: '127.0.0.1', port: service.port, path: '/health', agent }))).status, 200)
  }
  const signalled = Date.now()
  service.child.kill('SIGINT')
  const exit = await service.exited
  t.equal(exit.code, 0)
  t.ok(exit.at - signalled < 3000, `exited ${exit.at - signalled} ms after SIGINT, not after the keep-alive timeout`)
})
