// Real service processes (the reliability suite's shared pieces: see ../support.ts).
import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ROOT, type Teardown, freePort, waitFor, within } from './wait.js'
import { call } from './http.js'

export interface ServiceProcess {
  url: string
  port: number
  pid: number
  /** stdout and stderr so far (the last 64 KiB). */
  output: () => string
  /** Resolves with the exit code and signal once the process has exited. */
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null, at: number }>
  kill: (signal?: NodeJS.Signals) => void
}

/** The environment of the test runner minus what would load the runner's hooks into children. */
function cleanEnv (): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key === 'NODE_OPTIONS' || /^(TAP|_TAPJS)/.test(key)) continue
    env[key] = value
  }
  return env
}

/**
 * `node --import tsx src/server.ts` with `env` on a spare port, exactly as production starts it
 * (migrations included). Resolves once GET /health answers; killed when the test ends. Start-up
 * (tsx compiling the sources, migrations) is not what any test measures: on a machine loaded
 * to a load average of 25 it was seen to take over 40 s, hence the generous bound.
 * The working directory is a temporary one so that a developer's .env cannot leak in.
 */
export async function spawnService (t: Teardown, env: Record<string, string>, { readyTimeoutMs = 90_000 } = {}): Promise<ServiceProcess> {
  const port = Number(env.PORT ?? await freePort())
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'src/server.ts')], {
    cwd: tmpdir(),
    // Load shedding off unless a test asks for it: the machine running the suite is busy.
    env: { ...cleanEnv(), HOST: '127.0.0.1', LOG_LEVEL: 'warn', MAX_EVENT_LOOP_DELAY_MS: '0', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  const collect = (chunk: Buffer) => { output = (output + chunk.toString('utf8')).slice(-65536) }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null, at: number }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }))
  })
  const service: ServiceProcess = {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    output: () => output,
    exited,
    kill: (signal = 'SIGTERM') => { if (child.exitCode === null && child.signalCode === null) child.kill(signal) }
  }
  t.teardown(async () => {
    service.kill('SIGKILL')
    await within(5_000, 'service exit', exited)
  })
  try {
    await Promise.race([
      waitFor(async () => (await call(`${service.url}/health`, { timeoutMs: 1000 })).status === 200,
        { timeoutMs: readyTimeoutMs, intervalMs: 100, what: `service on port ${port} to answer /health` }),
      exited.then(({ code, signal }) => { throw new Error(`the service exited during start-up (${String(code ?? signal)})`) })
    ])
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- service output ---\n${output.slice(-4000)}`)
  }
  return service
}
