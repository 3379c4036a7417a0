// HTTP load from a separate process (wrk), with the target's own CPU time per request.
//
// The load generator must not share the service's process (autocannon inside the benchmark's
// own process competes with nothing there, but on two cores its CPU is the service's missing
// headroom), and req/s alone hides what a request costs: the service process's user + system
// CPU time (from /proc) divided by the requests it answered is the figure to drive down.
import { spawnSync, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { CannonSummary } from './support.js'

export interface LoadOptions {
  title: string
  /** Base URL plus path (the path is ignored when `lua` builds the requests). */
  url: string
  durationSeconds: number
  connections?: number
  headers?: Record<string, string>
  /** A wrk Lua script (its `request` function builds each request). */
  lua?: string
  /** The process whose CPU time is charged to these requests. */
  pid?: number
}

export interface LoadResult extends CannonSummary {
  /** Service CPU (user + system) per answered request, in microseconds. */
  cpuUsPerRequest?: number
}

export function haveWrk (): boolean {
  return spawnSync('wrk', ['--version']).error === undefined
}

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100

/** User + system CPU time of a process so far, in microseconds (Linux /proc). */
export function cpuMicros (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6
}

/** `12.5ms` / `830.00us` / `1.2s` → milliseconds. */
function ms (text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim())
  if (m === null) return Number.NaN
  const v = Number(m[1])
  return Math.round((m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : m[2] === 'm' ? v * 60_000 : v) * 100) / 100
}

let scripts: string | undefined

/** Runs wrk (one thread, `connections` connections) and parses its report. */
export function runLoad (opts: LoadOptions): LoadResult {
  const args = ['-t1', `-c${opts.connections ?? 50}`, `-d${opts.durationSeconds}s`, '--latency', '--timeout', '10s']
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('-H', `${k}: ${v}`)
  if (opts.lua !== undefined) {
    scripts ??= mkdtempSync(path.join(tmpdir(), 'fl-wrk-'))
    const file = path.join(scripts, `${opts.title.replace(/[^a-z0-9]+/gi, '-')}.lua`)
    writeFileSync(file, opts.lua)
    args.push('-s', file)
  }
  args.push(opts.url)
  const before = opts.pid !== undefined ? cpuMicros(opts.pid) : 0
  const res = spawnSync('wrk', args, { encoding: 'utf8', timeout: (opts.durationSeconds + 30) * 1000 })
  const after = opts.pid !== undefined ? cpuMicros(opts.pid) : 0
  if (res.status !== 0) throw new Error(`wrk failed: ${res.stderr || res.stdout}`)
  const out = res.stdout
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const result: LoadResult = {
    title: opts.title,
    reqPerSec: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0)),
    p50: ms(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    p99: ms(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    requests,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    errors: socket === null ? 0 : Number(socket[1]) + Number(socket[2]) + Number(socket[3]),
    timeouts: socket === null ? 0 : Number(socket[4])
  }
  if (opts.pid !== undefined && requests > 0) result.cpuUsPerRequest = Math.round((after - before) / requests)
  return result
}

/**
 * A wrk script asking for a first page with random filters and sort on every request: never
 * the same URL twice in practice, so every request is a cache miss (the cache-defeating load).
 */
export const RANDOM_PAGE_LUA = `
local categories = {"vegetables","fruits","dairy","bakery","spices","grains","pulses","oils","beverages","snacks"}
local sorts = {"id","-id","price","-price","createdAt","-createdAt"}
math.randomseed(os.time())
request = function()
  local path = "/api/products?limit=20&sort=" .. sorts[math.random(#sorts)]
  local r = math.random()
  local min = 5 + math.random() * 4000
  if r < 0.4 then path = path .. "&category=" .. categories[math.random(#categories)] end
  if r > 0.3 then path = path .. string.format("&minPrice=%.2f", min) end
  if r > 0.6 then path = path .. string.format("&maxPrice=%.2f", min + 50 + math.random() * 900) end
  return wrk.format("GET", path)
end
`

/** Random product ids from 1 to `max`. */
export function randomIdLua (max: number): string {
  return `
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/products/" .. math.random(${max}))
end
`
}
