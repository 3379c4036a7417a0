import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

type Teardown = { teardown: (fn: () => unknown) => void }

export const DEPLOY_DIR = path.resolve(import.meta.dirname, '../../deploy')

/** The path of `name` on PATH, or undefined. */
export function which (name: string): string | undefined {
  const res = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' })
  const found = res.stdout.trim()
  return res.status === 0 && found !== '' ? found : undefined
}

/** A port nobody listens on right now (closed again before it is returned). */
export async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

export interface PrometheusServer {
  url: string
  /** GET /api/v1/<path>: the `data` of a successful answer; throws with Prometheus's error otherwise. */
  api: (apiPath: string, params?: Record<string, string>) => Promise<any>
  /** Everything Prometheus logged, for failure messages. */
  output: () => string
}

/**
 * A private Prometheus: its own temp dir, config and free port, scraping `target` every second
 * as job "farmlokal" and evaluating `ruleFiles` every second. Stopped when the test ends.
 */
export async function startPrometheus (t: Teardown, target: string, ruleFiles: string[]): Promise<PrometheusServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fl-prom-'))
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    ...ruleFiles.map((f) => `  - ${JSON.stringify(f)}`),
    'scrape_configs:',
    '  - job_name: farmlokal',
    '    static_configs:',
    `      - targets: [${JSON.stringify(target)}]`,
    ''
  ].join('\n')
  await writeFile(path.join(dir, 'prometheus.yml'), config)

  let child: ChildProcess | undefined
  let log = ''
  let url = ''
  // The port is free when chosen but could be taken before Prometheus binds it: try a few.
  for (let attempt = 0; attempt < 3 && url === ''; attempt++) {
    const port = await freePort()
    const proc = spawn(which('prometheus') ?? 'prometheus', [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, `data-${attempt}`)}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn'
    ], { stdio: ['ignore', 'pipe', 'pipe'] })
    proc.stdout?.on('data', (d: Buffer) => { log += d.toString() })
    proc.stderr?.on('data', (d: Buffer) => { log += d.toString() })
    const exited = once(proc, 'exit').then(() => 'exited' as const)
    const candidate = `http://127.0.0.1:${port}`
    // Ready within 30 s (it takes well under one here), or it exited (port taken, bad config).
    const deadline = Date.now() + 30_000
    let state: 'ready' | 'exited' | 'timeout' = 'timeout'
    while (Date.now() < deadline) {
      const ready = await fetch(`${candidate}/-/ready`).then((r) => r.ok, () => false)
      if (ready) { state = 'ready'; break }
      const done = await Promise.race([exited, sleep(100).then(() => 'waiting' as const)])
      if (done === 'exited') { state = 'exited'; break }
    }
    if (state === 'ready') { child = proc; url = candidate; break }
    proc.kill('SIGKILL')
    if (state === 'timeout') throw new Error(`Prometheus did not become ready in 30 s:\n${log}`)
  }
  if (child === undefined) throw new Error(`Prometheus did not start:\n${log}`)

  const proc = child
  t.teardown(async () => {
    if (proc.exitCode === null) {
      const exited = once(proc, 'exit')
      proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
    await rm(dir, { recursive: true, force: true })
  })

  const api = async (apiPath: string, params: Record<string, string> = {}): Promise<any> => {
    const res = await fetch(`${url}/api/v1/${apiPath}?${new URLSearchParams(params).toString()}`)
    const body = await res.json() as { status: string, data?: unknown, errorType?: string, error?: string }
    if (body.status !== 'success') throw new Error(`${apiPath} ${JSON.stringify(params)}: ${body.errorType ?? ''} ${body.error ?? ''}`)
    return body.data
  }
  return { url, api, output: () => log }
}

/** Grafana's variables as a test Prometheus sees them: one job, every instance, a short window. */
export function expandDashboardVariables (expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '15s')
    .replaceAll('$job', 'farmlokal')
    .replaceAll('$instance', '.*')
}

interface Panel { title: string, type: string, targets?: Array<{ expr: string }>, panels?: Panel[] }

/** Every PromQL expression of a Grafana dashboard, with the title of its panel. */
export function dashboardExpressions (dashboard: { panels: Panel[] }): Array<{ title: string, expr: string }> {
  const out: Array<{ title: string, expr: string }> = []
  const walk = (panels: Panel[]): void => {
    for (const p of panels) {
      for (const target of p.targets ?? []) out.push({ title: p.title, expr: target.expr })
      walk(p.panels ?? [])
    }
  }
  walk(dashboard.panels)
  return out
}

/**
 * The part of a dashboard expression that reads the service's series, when the expression ends
 * in a fallback that always returns data (`... or vector(0)`, `... or <up of each instance> * 0`,
 * which draw 0 rather than "No data"); undefined when it has no such fallback. A fallback makes
 * "returns data" true whatever the rest says, so the rest is what a test must check.
 */
export function withoutFallback (expr: string): string | undefined {
  const m = /^(.+?) or (?:vector\(0\)|.+ \* 0)$/.exec(expr.trim())
  return m?.[1]
}

/** Names Prometheus generates itself for every target, never exposed by the service. */
const SCRAPE_SERIES = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_series_added', 'scrape_samples_post_metric_relabeling'])

/** Every metric an expression selects (`name{...}`), in order of appearance, without repeats. */
export function metricNames (expr: string): string[] {
  return [...new Set([...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)].map((m) => m[1]))]
}

/** The metric family a series name belongs to (`x_bucket`, `x_sum`, `x_count` → `x`) as listed in `families`. */
export function familyOf (name: string, families: ReadonlySet<string>): string | undefined {
  if (families.has(name)) return name
  const base = name.replace(/_(bucket|sum|count)$/, '')
  return families.has(base) ? base : undefined
}

/** The metric families a Prometheus text exposition declares (`# TYPE <name> <type>`), with or without samples. */
export function exposedFamilies (scrape: string): Set<string> {
  return new Set([...scrape.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]))
}

/** Whether `name` is a series Prometheus adds to every scrape (`up`, `scrape_*`). */
export function isScrapeSeries (name: string): boolean {
  return SCRAPE_SERIES.has(name)
}
