// HAProxy in front of service processes, for the topology tests: the shipped configuration
// (deploy/haproxy/haproxy.cfg) rendered for loopback ports, started as a child process of the
// test (never as a system service), its runtime API read through the stats socket, and HTTP
// calls made through it from chosen client addresses.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ROOT, freePort, readResponse, waitFor, within, type Outcome, type Teardown } from '../../reliability/support.js'

export const HAPROXY_CONFIG = path.join(ROOT, 'deploy/haproxy/haproxy.cfg')

/** The backend and frontends of the shipped file, by the names it gives them. */
const BACKEND = 'farmlokal'
const FRONTEND = 'farmlokal'
const STATS_FRONTEND = 'stats'
/** Global settings that need root (a chroot, switching user): left out of a test's copy. */
const PRIVILEGED = /^\s*(chroot|user|group)\s/
/** How much of HAProxy's output is kept (bytes). */
const OUTPUT_LIMIT = 4 * 1024 * 1024

export interface Backend {
  /** The server's name in HAProxy (its logs and stats). */
  name: string
  /** Its port on 127.0.0.1. */
  port: number
}

export interface RenderOptions {
  servers: Backend[]
  /** Port of the service frontend on 127.0.0.1. */
  port: number
  /** Port of the stats and metrics frontend on 127.0.0.1. */
  statsPort: number
  /** Path of the runtime API socket. */
  socket: string
}

/**
 * The shipped configuration with only what is site-specific replaced: the frontends' bind
 * addresses, the stats socket's path, the backend's server lines (one per `servers` entry; their
 * settings come from the file's own `default-server` line) and the privileged global settings.
 * Throws when the file no longer has the shape this relies on, so the test never quietly runs
 * a configuration of its own.
 */
export function renderConfig (source: string, opts: RenderOptions): string {
  const out: string[] = []
  let section = ''
  const replaced = { frontendBind: 0, statsBind: 0, socket: 0, servers: 0 }
  for (const line of source.split('\n')) {
    const header = /^(global|defaults|frontend|backend|listen|resolvers)\b\s*(\S*)/.exec(line)
    if (header !== null) section = `${header[1]} ${header[2]}`.trim()
    const directive = line.trimStart()
    if (section === 'global' && PRIVILEGED.test(line)) continue
    if (section === 'global' && directive.startsWith('stats socket ')) {
      out.push(line.replace(/stats socket \S+/, `stats socket ${opts.socket}`))
      replaced.socket++
    } else if (section === `frontend ${FRONTEND}` && directive.startsWith('bind ')) {
      out.push(`    bind 127.0.0.1:${opts.port}`)
      replaced.frontendBind++
    } else if (section === `frontend ${STATS_FRONTEND}` && directive.startsWith('bind ')) {
      out.push(`    bind 127.0.0.1:${opts.statsPort}`)
      replaced.statsBind++
    } else if (section === `backend ${BACKEND}` && directive.startsWith('server ')) {
      if (replaced.servers === 0) for (const s of opts.servers) out.push(`    server ${s.name} 127.0.0.1:${s.port}`)
      replaced.servers++
    } else {
      out.push(line)
    }
  }
  const { frontendBind, statsBind, socket, servers } = replaced
  if (frontendBind !== 1 || statsBind !== 1 || socket !== 1 || servers === 0) {
    throw new Error(`${HAPROXY_CONFIG} changed shape: expected one bind in each frontend, one stats socket and server lines (${JSON.stringify(replaced)})`)
  }
  return out.join('\n')
}

/** `haproxy -c` on a configuration file: whether it is valid, and what HAProxy said. */
export function checkConfig (file: string): { valid: boolean, output: string } {
  const result = spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8', timeout: 30_000 })
  return { valid: result.status === 0, output: `${result.stdout}${result.stderr}` }
}

/** Whether the haproxy binary is installed (.ci/run installs it). */
export function haproxyInstalled (): boolean {
  return spawnSync('haproxy', ['-v'], { encoding: 'utf8' }).status === 0
}

/** One server's line of `show stat`. */
export interface ServerStat {
  /** `UP`, `DOWN`, `UP 1/2` (going down), `DOWN 1/2` (coming up), `MAINT`, `no check`. */
  status: string
  /** Requests (HTTP mode: sessions) sent to it since HAProxy started. */
  sessions: number
  /** Requests retried after a failure on it. */
  retries: number
  /** Requests moved from it to another server. */
  redispatches: number
}

export interface CallOptions {
  /** The client's address (any 127.x.y.z): HAProxy passes it on in X-Forwarded-For. */
  from: string
  method?: string
  headers?: Record<string, string>
  body?: string
  timeoutMs?: number
  label?: string
}

export interface Haproxy {
  url: string
  statsUrl: string
  pid: number
  /** The rendered configuration it runs. */
  config: string
  /** Its output (start-up messages and the request log), the last 4 MiB or so. */
  output: () => string
  /** A command of the runtime API, its answer. */
  runtime: (command: string) => Promise<string>
  /** The backend's servers by name, from `show stat`. */
  servers: () => Promise<Map<string, ServerStat>>
  /** Resolves once `name` shows `status`; rejects after `timeoutMs`. */
  waitForStatus: (name: string, status: string, timeoutMs: number) => Promise<void>
  /** An HTTP call through the frontend from `opts.from`, over kept-alive connections; never throws or hangs. */
  call: (pathAndQuery: string, opts: CallOptions) => Promise<Outcome>
}

/**
 * Renders the shipped configuration for `servers`, starts `haproxy -db` on free ports and waits
 * (at most `upTimeoutMs`) until every server is UP. Stopped, and its files removed, when the
 * test ends.
 */
export async function startHaproxy (t: Teardown, servers: Backend[], { upTimeoutMs = 30_000 } = {}): Promise<Haproxy> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fl-haproxy-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const [port, statsPort] = [await freePort(), await freePort()]
  const socket = path.join(dir, 'admin.sock')
  const config = renderConfig(readFileSync(HAPROXY_CONFIG, 'utf8'), { servers, port, statsPort, socket })
  const file = path.join(dir, 'haproxy.cfg')
  writeFileSync(file, config)

  const child = spawn('haproxy', ['-f', file, '-db'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  // Kept as chunks (the request log makes thousands): the oldest dropped past OUTPUT_LIMIT.
  const chunks: string[] = []
  let kept = 0
  const collect = (chunk: Buffer) => {
    chunks.push(chunk.toString('utf8'))
    kept += chunk.length
    while (kept > OUTPUT_LIMIT && chunks.length > 1) kept -= Buffer.byteLength(chunks.shift() ?? '')
  }
  const output = () => chunks.join('')
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const exited = new Promise<void>((resolve) => { child.once('exit', () => resolve()) })
  const agent = new Agent({ keepAlive: true, maxSockets: 256 })
  t.teardown(async () => {
    agent.destroy()
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await within(5000, 'haproxy to exit', exited).catch(async () => {
      child.kill('SIGKILL')
      await within(5000, 'haproxy to exit after SIGKILL', exited)
    })
  })

  const runtime = async (command: string): Promise<string> => await within(5000, `haproxy runtime API: ${command}`, new Promise<string>((resolve, reject) => {
    const conn = net.connect(socket)
    let answer = ''
    conn.setEncoding('utf8')
    conn.on('connect', () => conn.end(`${command}\n`))
    conn.on('data', (d: string) => { answer += d })
    conn.on('end', () => resolve(answer))
    conn.on('error', reject)
  }))

  const stats = async (): Promise<Map<string, ServerStat>> => {
    const [head, ...rows] = (await runtime('show stat')).trim().split('\n')
    const columns = head.replace(/^# /, '').split(',')
    const col = (row: string[], name: string) => row[columns.indexOf(name)] ?? ''
    const found = new Map<string, ServerStat>()
    for (const row of rows.map((r) => r.split(','))) {
      if (col(row, 'pxname') !== BACKEND || ['BACKEND', 'FRONTEND'].includes(col(row, 'svname'))) continue
      found.set(col(row, 'svname'), {
        status: col(row, 'status'),
        sessions: Number(col(row, 'stot')),
        retries: Number(col(row, 'wretr')),
        redispatches: Number(col(row, 'wredis'))
      })
    }
    return found
  }

  const call = async (pathAndQuery: string, opts: CallOptions): Promise<Outcome> => {
    const startedAt = Date.now()
    const label = opts.label ?? pathAndQuery
    try {
      const reply = await new Promise<Pick<Outcome, 'status' | 'headers' | 'body'>>((resolve, reject) => {
        const req = httpRequest(`http://127.0.0.1:${port}${pathAndQuery}`, {
          method: opts.method ?? 'GET',
          headers: opts.headers,
          localAddress: opts.from,
          agent,
          signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000)
        }, (res) => { readResponse(res).then(resolve, reject) })
        req.on('error', reject)
        req.end(opts.body)
      })
      return { ...reply, ms: Date.now() - startedAt, startedAt, label }
    } catch (err) {
      const e = err as { name?: string, code?: string }
      const error = e.name === 'AbortError' || e.name === 'TimeoutError' ? 'timeout' : (e.code ?? e.name ?? 'error')
      return { status: 0, ms: Date.now() - startedAt, startedAt, headers: new Headers(), body: '', error, label }
    }
  }

  const haproxy: Haproxy = {
    url: `http://127.0.0.1:${port}`,
    statsUrl: `http://127.0.0.1:${statsPort}`,
    pid: child.pid ?? -1,
    config,
    output,
    runtime,
    servers: stats,
    waitForStatus: async (name, status, timeoutMs) => {
      await waitFor(async () => (await stats()).get(name)?.status === status,
        { timeoutMs, intervalMs: 50, what: `haproxy to show ${name} ${status}` })
    },
    call
  }

  try {
    await Promise.race([
      waitFor(async () => {
        const states = await stats()
        return servers.every((s) => states.get(s.name)?.status === 'UP')
      }, { timeoutMs: upTimeoutMs, intervalMs: 100, what: 'haproxy to show every server UP' }),
      exited.then(() => { throw new Error('haproxy exited during start-up') })
    ])
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- haproxy output ---\n${output().slice(-4000)}`)
  }
  return haproxy
}
