// Shared pieces of the benchmark and load-test scripts: running autocannon, starting the built
// service as a child process, sampling its memory, percentiles, tables and a small SVG chart.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results')

export interface CannonSummary {
  title: string
  reqPerSec: number
  p50: number
  p99: number
  requests: number
  non2xx: number
  errors: number
  timeouts: number
}

export type CannonOptions = autocannon.Options & { title: string }

/** One autocannon run; resolves with the figures the tables print. */
export async function runCannon (opts: CannonOptions): Promise<CannonSummary> {
  const result = await autocannon({ connections: 50, duration: 10, timeout: 10, ...opts })
  return {
    title: opts.title,
    reqPerSec: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts
  }
}

/** Nearest-rank percentile of a list of numbers (milliseconds here). */
export function percentile (values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median (values: number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export function round (value: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/** A Markdown table from rows of equal keys. */
export function markdownTable (rows: Array<Record<string, string | number | boolean | null>>): string {
  if (rows.length === 0) return '(no rows)\n'
  const keys = Object.keys(rows[0])
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`
  return [
    line(keys),
    line(keys.map(() => '---')),
    ...rows.map((r) => line(keys.map((k) => String(r[k] ?? ''))))
  ].join('\n') + '\n'
}

export function writeResult (name: string, data: unknown, markdown?: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = path.join(RESULTS_DIR, `${name}.json`)
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n')
  if (markdown !== undefined) writeFileSync(path.join(RESULTS_DIR, `${name}.md`), markdown)
  return file
}

/** Resident set size of a process in MB, from /proc (Linux). */
export function rssMb (pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN)
    return round(kb / 1024, 1)
  } catch {
    return Number.NaN
  }
}

/** Samples a process's RSS every `everyMs` until stopped; reports the peak. */
export function rssSampler (pid: number, everyMs = 250): { stop: () => number } {
  let peak = rssMb(pid)
  const timer = setInterval(() => { peak = Math.max(peak, rssMb(pid)) }, everyMs)
  return { stop: () => { clearInterval(timer); return Math.max(peak, rssMb(pid)) } }
}

export interface Service {
  url: string
  child: ChildProcess
  stop: () => Promise<number | null>
}

/**
 * Starts a Node entry point as a child process and waits (bounded) until `GET /health` answers.
 * stdout/stderr are kept for the error message when it does not come up.
 */
export async function startService (entry: string[], env: NodeJS.ProcessEnv, port: number, waitMs = 60_000): Promise<Service> {
  const child = spawn(process.execPath, entry, { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-4000) })
  child.stderr?.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-4000) })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + waitMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}:\n${output}`)
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false)
    if (ok) {
      return {
        url,
        child,
        stop: async () => await new Promise<number | null>((resolve) => {
          if (child.exitCode !== null) { resolve(child.exitCode); return }
          const kill = setTimeout(() => child.kill('SIGKILL'), 15_000)
          child.once('exit', (code) => { clearTimeout(kill); resolve(code) })
          child.kill('SIGTERM')
        })
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  child.kill('SIGKILL')
  throw new Error(`service did not answer /health within ${waitMs} ms:\n${output}`)
}

export interface Series { name: string, points: Array<[number, number]> }

/**
 * A small line chart as SVG text (no dependencies): x and y linear, one colour per series,
 * a legend, axis ticks. Good enough for latency-by-depth figures in the README.
 */
export function svgLineChart (series: Series[], opts: { title: string, xLabel: string, yLabel: string, width?: number, height?: number }): string {
  const width = opts.width ?? 760
  const height = opts.height ?? 420
  const m = { top: 40, right: 210, bottom: 50, left: 60 }
  const all = series.flatMap((s) => s.points)
  const xMax = Math.max(1, ...all.map((p) => p[0]))
  const yMax = niceMax(Math.max(0.001, ...all.map((p) => p[1])))
  const x = (v: number): number => m.left + (v / xMax) * (width - m.left - m.right)
  const y = (v: number): number => height - m.bottom - (v / yMax) * (height - m.top - m.bottom)
  const colours = ['#1b7837', '#2166ac', '#b2182b', '#762a83', '#e08214', '#35978f', '#8c510a', '#4d4d4d', '#c51b7d', '#01665e', '#d6604d', '#5aae61']
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${width / 2 - m.right / 2}" y="22" text-anchor="middle" font-size="15">${esc(opts.title)}</text>`
  ]
  for (let i = 0; i <= 5; i++) {
    const v = (yMax / 5) * i
    parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${m.left - 6}" y="${y(v) + 4}" text-anchor="end">${round(v, 2)}</text>`)
  }
  for (let i = 0; i <= 5; i++) {
    const v = (xMax / 5) * i
    parts.push(`<text x="${x(v)}" y="${height - m.bottom + 18}" text-anchor="middle">${formatCount(v)}</text>`)
  }
  parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`,
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${y(0)}" stroke="#333"/>`,
    `<text x="${(m.left + width - m.right) / 2}" y="${height - 10}" text-anchor="middle">${esc(opts.xLabel)}</text>`,
    `<text transform="translate(16 ${(m.top + height - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`)
  series.forEach((s, i) => {
    const c = colours[i % colours.length]
    const pts = s.points.map(([px, py]) => `${round(x(px), 1)},${round(y(Math.min(py, yMax)), 1)}`).join(' ')
    parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts}"/>`)
    for (const [px, py] of s.points) parts.push(`<circle cx="${round(x(px), 1)}" cy="${round(y(Math.min(py, yMax)), 1)}" r="2.5" fill="${c}"/>`)
    const ly = m.top + 8 + i * 17
    parts.push(`<line x1="${width - m.right + 12}" x2="${width - m.right + 32}" y1="${ly}" y2="${ly}" stroke="${c}" stroke-width="3"/>`,
      `<text x="${width - m.right + 38}" y="${ly + 4}">${esc(s.name)}</text>`)
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}

function niceMax (v: number): number {
  const p = 10 ** Math.floor(Math.log10(v))
  for (const f of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (f * p >= v) return f * p
  return 10 * p
}

export function formatCount (n: number): string {
  if (n >= 1_000_000) return `${round(n / 1_000_000, 1)}M`
  if (n >= 1000) return `${round(n / 1000, 0)}k`
  return String(round(n, 0))
}

/** `--name value` and `--flag` from argv. */
export function argValue (args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`)
  if (i === -1) return undefined
  const next = args[i + 1]
  return next === undefined || next.startsWith('--') ? 'true' : next
}
