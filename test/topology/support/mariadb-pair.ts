// A private MariaDB primary and replica for the topology tests: two `mariadbd` processes on spare
// ports with temporary data directories, replicating by GTID. The shared server on 3306 is never
// touched. Everything started here is killed, and every directory removed, when the test ends.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import mysql from 'mysql2/promise'
import { type Teardown, freePort, within } from '../../reliability/support/wait.js'

/** Server settings that keep start-up and crash recovery quick on a small, busy machine. */
const SMALL = [
  '--innodb-buffer-pool-size=32M',
  '--innodb-log-file-size=8M',
  '--innodb-flush-log-at-trx-commit=2',
  '--sync-binlog=0',
  '--performance-schema=OFF',
  '--skip-name-resolve',
  '--max-connections=200'
]

/** How long one server may take to say it is ready (install, crash recovery on a loaded machine). */
const START_TIMEOUT_MS = 60_000

export interface MariadbServer {
  port: number
  /** `mysql://root@127.0.0.1:<port>/<database>` (root, empty password, over TCP). */
  url: (database: string) => string
  /** One statement on a fresh connection (closed afterwards). */
  query: <T = mysql.RowDataPacket[]>(sql: string, params?: unknown[]) => Promise<T>
  /** SIGKILL, then waits (bounded) for the exit. */
  kill: () => Promise<void>
  /** SIGSTOP: the process holds its connections and answers nothing (a hung host); `resume` undoes it. */
  pause: () => void
  resume: () => void
  /** Starts the server again on the same port and data directory; resolves once it accepts connections. */
  start: () => Promise<void>
  running: () => boolean
}

export interface MariadbPair {
  primary: MariadbServer
  replica: MariadbServer
  /** `STOP SLAVE SQL_THREAD`: the replica keeps receiving the binary log but applies nothing. */
  stopReplicaSql: () => Promise<void>
  /** `START SLAVE SQL_THREAD`. */
  startReplicaSql: () => Promise<void>
  /** Waits (MASTER_GTID_WAIT, bounded) until the replica has applied everything the primary has logged so far. */
  waitCaughtUp: (timeoutMs?: number) => Promise<void>
  /** Milliseconds the server start-ups took, for the test's report. */
  startupMs: number
}

/** A mariadbd process of ours on `port` over `datadir`, restartable. */
function server (name: string, port: number, datadir: string, args: string[]): MariadbServer {
  let child: ChildProcess | undefined
  let exited: Promise<unknown> = Promise.resolve()
  const running = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null

  async function start (): Promise<void> {
    if (running()) return
    const proc = spawn('mariadbd', [
      '--no-defaults', `--datadir=${datadir}`, `--port=${port}`, `--socket=${path.join(datadir, 'mysqld.sock')}`,
      `--pid-file=${path.join(datadir, 'mysqld.pid')}`, '--bind-address=127.0.0.1', '--user=root', ...SMALL, ...args
    ], { stdio: ['ignore', 'pipe', 'pipe'] })
    child = proc
    exited = once(proc, 'exit')
    let output = ''
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output = (output + chunk.toString('utf8')).slice(-8192)
        if (output.includes('ready for connections')) resolve()
      }
      proc.stdout?.on('data', onData)
      proc.stderr?.on('data', onData)
      proc.once('exit', (code, signal) => { reject(new Error(`${name} exited (${String(code ?? signal)}) before it was ready: ${output.slice(-2000)}`)) })
      proc.once('error', reject)
    })
    await within(START_TIMEOUT_MS, `${name} start-up`, ready)
  }

  async function kill (): Promise<void> {
    if (!running()) return
    child?.kill('SIGKILL')
    await within(10_000, `${name} exit`, exited)
  }

  return {
    port,
    url: (database) => `mysql://root@127.0.0.1:${port}/${database}`,
    async query<T> (sql: string, params: unknown[] = []): Promise<T> {
      const conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 10_000 })
      try {
        const [rows] = await conn.query(sql, params)
        return rows as T
      } finally {
        await conn.end().catch(() => {})
      }
    },
    kill,
    pause: () => { if (running()) child?.kill('SIGSTOP') },
    resume: () => { if (running()) child?.kill('SIGCONT') },
    start,
    running
  }
}

/**
 * Installs one data directory (`mariadb-install-db`, root@127.0.0.1 with an empty password),
 * copies it for the replica, starts the primary (binary log, row format, server-id 1) and the
 * replica (server-id 2, read-only), and points the replica at the primary by GTID
 * (`MASTER_USE_GTID=slave_pos`). Resolves once the replica's I/O and SQL threads both run.
 */
export async function startMariadbPair (t: Teardown): Promise<MariadbPair> {
  const started = performance.now()
  const root = await mkdtemp(path.join(tmpdir(), 'fl-mariadb-pair-'))
  const servers: MariadbServer[] = []
  t.teardown(async () => {
    await Promise.allSettled(servers.map(async (s) => { await s.kill() }))
    await rm(root, { recursive: true, force: true })
  })
  const primaryDir = path.join(root, 'primary')
  const replicaDir = path.join(root, 'replica')

  const install = spawn('mariadb-install-db', [
    '--no-defaults', `--datadir=${primaryDir}`, '--user=root', '--auth-root-authentication-method=normal',
    '--skip-test-db', '--innodb-log-file-size=8M', '--innodb-buffer-pool-size=32M'
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  let installOutput = ''
  install.stdout.on('data', (c: Buffer) => { installOutput += c.toString('utf8') })
  install.stderr.on('data', (c: Buffer) => { installOutput += c.toString('utf8') })
  const [code] = await within(START_TIMEOUT_MS, 'mariadb-install-db', once(install, 'exit')) as [number | null]
  if (code !== 0) throw new Error(`mariadb-install-db failed (${String(code)}): ${installOutput.slice(-2000)}`)
  await cp(primaryDir, replicaDir, { recursive: true })

  const [primaryPort, replicaPort] = [await freePort(), await freePort()]
  const primary = server('primary', primaryPort, primaryDir, [
    '--server-id=1', `--log-bin=${path.join(primaryDir, 'binlog')}`, '--binlog-format=ROW'
  ])
  const replica = server('replica', replicaPort, replicaDir, [
    '--server-id=2', `--relay-log=${path.join(replicaDir, 'relay')}`, '--read-only'
  ])
  servers.push(primary, replica)
  await Promise.all([primary.start(), replica.start()])

  await replica.query(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primaryPort}, ` +
    "MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1")
  await replica.query('START SLAVE')

  async function waitCaughtUp (timeoutMs = 30_000): Promise<void> {
    const [{ pos }] = await primary.query<Array<{ pos: string }>>('SELECT @@GLOBAL.gtid_binlog_pos AS pos')
    // MASTER_GTID_WAIT blocks on the server until the position is applied, or answers -1 at the timeout.
    const [{ ok }] = await replica.query<Array<{ ok: number }>>('SELECT MASTER_GTID_WAIT(?, ?) AS ok', [pos, timeoutMs / 1000])
    if (Number(ok) !== 0) {
      const [status] = await replica.query<mysql.RowDataPacket[]>('SHOW SLAVE STATUS')
      throw new Error(`the replica did not apply ${pos} within ${timeoutMs} ms: ` +
        `io=${String(status?.Slave_IO_Running)} sql=${String(status?.Slave_SQL_Running)} error=${String(status?.Last_Error)}`)
    }
  }
  await waitCaughtUp()

  return {
    primary,
    replica,
    stopReplicaSql: async () => { await replica.query('STOP SLAVE SQL_THREAD') },
    startReplicaSql: async () => { await replica.query('START SLAVE SQL_THREAD') },
    waitCaughtUp,
    startupMs: Math.round(performance.now() - started)
  }
}
