// Seeding progress: a bar on a terminal, paced plain lines on a file, a pipe or a container log,
// and a start line and heartbeat lines for each long phase after the load, wherever the output goes.
import cliProgress from 'cli-progress'

/** How often a progress line is written when the output is a file or a pipe. */
export const PROGRESS_LINE_INTERVAL_MS = 5000

/**
 * Progress of the row load for output that is not a terminal (a file, a pipe, a container log):
 * a plain line when at least `intervalMs` has passed since the previous one, where a terminal
 * gets the bar, and a line when the load is over. The first paced line comes after one
 * interval. `now` is injectable so the pacing can be tested without waiting.
 */
export function progressLines (total: number, write: (line: string) => void, intervalMs = PROGRESS_LINE_INTERVAL_MS,
  now: () => number = () => performance.now()): { update: (rows: number) => void, loaded: () => void } {
  const started = now()
  let last = started
  return {
    update (rows) {
      const t = now()
      if (t - last < intervalMs) return
      last = t
      write(progressLine(rows, total, (t - started) / 1000))
    },
    loaded () {
      write(`seeding: ${total.toLocaleString('en-US')} rows loaded in ${((now() - started) / 1000).toFixed(1)} s`)
    }
  }
}

/** The time source and repeating timer of phaseLines; replaced by a fake one in tests. */
export interface ProgressClock {
  now: () => number
  /** Calls `tick` every `ms` until the returned function is called. */
  every: (ms: number, tick: () => void) => () => void
}

export const SYSTEM_CLOCK: ProgressClock = {
  now: () => performance.now(),
  every (ms, tick) {
    // unref: a heartbeat never keeps the process alive on its own.
    const timer = setInterval(tick, Math.max(ms, 1)).unref()
    return () => clearInterval(timer)
  }
}

export interface PhaseLines {
  /**
   * A step with no progress of its own (an index build, a RENAME) or with a count of units
   * (`total` given, then `update`): its line at once (`seeding: building indexes...`), then one
   * every interval while it runs, with the time it has taken and the count when there is one.
   */
  start: (label: string, count?: { total: number, unit: string }) => void
  /** Units of the current step done so far; shown in its next line. */
  update: (done: number) => void
  /** The work is over (or failed): no more lines. */
  stop: () => void
}

/**
 * Progress of the phases after the row load, which run as a few long statements: a start
 * line for each step, then a heartbeat line every `intervalMs` while it runs, so that a log
 * never goes quiet for longer than that during a seed, on a terminal or off it.
 */
export function phaseLines (write: (line: string) => void, intervalMs = PROGRESS_LINE_INTERVAL_MS,
  clock: ProgressClock = SYSTEM_CLOCK): PhaseLines {
  let cancel: (() => void) | undefined
  let done = 0
  const stop = (): void => { cancel?.(); cancel = undefined }
  return {
    start (label, count) {
      stop()
      const started = clock.now()
      done = 0
      write(`seeding: ${label}...`)
      cancel = clock.every(intervalMs, () => {
        const seconds = ((clock.now() - started) / 1000).toFixed(1)
        if (count === undefined) { write(`seeding: ${label}, ${seconds} s elapsed`); return }
        const percent = count.total > 0 ? Math.min(100, Math.floor(done * 100 / count.total)) : 100
        write(`seeding: ${label}, ${done.toLocaleString('en-US')}/${count.total.toLocaleString('en-US')} ${count.unit} (${percent}%), ${seconds} s elapsed`)
      })
    },
    update (n) { done = n },
    stop
  }
}

/** `seeding: 250,000/1,000,000 rows (25%), 61,204 rows/s, ETA 12 s, 4.1 s elapsed` */
export function progressLine (rows: number, total: number, seconds: number): string {
  const percent = total > 0 ? Math.floor(rows * 100 / total) : 100
  const rate = seconds > 0 ? rows / seconds : 0
  const eta = rate > 0 ? `ETA ${Math.ceil((total - rows) / rate)} s` : 'ETA unknown'
  return `seeding: ${rows.toLocaleString('en-US')}/${total.toLocaleString('en-US')} rows (${percent}%), ` +
    `${Math.round(rate).toLocaleString('en-US')} rows/s, ${eta}, ${seconds.toFixed(1)} s elapsed`
}

/** The bar for a terminal: rows, speed and ETA, drawn on `stream` (stderr). */
export function progressBar (total: number, stream: NodeJS.WritableStream): cliProgress.SingleBar {
  const bar = new cliProgress.SingleBar({
    stream,
    format: 'seeding [{bar}] {percentage}% | {value}/{total} rows | {speed} rows/s | ETA {eta_formatted}',
    formatValue: (v, _o, type) => type === 'value' || type === 'total' ? v.toLocaleString('en-US') : String(v),
    hideCursor: true,
    clearOnComplete: false,
    etaBuffer: 50
  }, cliProgress.Presets.shades_classic)
  const started = performance.now()
  bar.start(total, 0, { speed: '0' })
  const update = bar.update.bind(bar)
  bar.update = ((value: number) => {
    const seconds = (performance.now() - started) / 1000
    update(value, { speed: seconds > 0 ? Math.round(value / seconds).toLocaleString('en-US') : '0' })
  }) as typeof bar.update
  return bar
}
