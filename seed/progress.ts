// Seeding progress: a bar on a terminal, paced plain lines on a file, a pipe or a container log.
import cliProgress from 'cli-progress'
import type { SeedPhase } from './seed-options.js'

/** How often a progress line is written when the output is a file or a pipe. */
export const PROGRESS_LINE_INTERVAL_MS = 5000

/**
 * Progress for output that is not a terminal (a file, a pipe, a container log): a plain line
 * when at least `intervalMs` has passed since the previous one, where a terminal gets the bar.
 * The first line comes after one interval, so a short run prints only its summary.
 * `now` is injectable so the pacing can be tested without waiting.
 */
export function progressLines (total: number, write: (line: string) => void, intervalMs = PROGRESS_LINE_INTERVAL_MS,
  now: () => number = () => performance.now()): { update: (rows: number) => void, phase: (phase: SeedPhase) => void } {
  const started = now()
  let last = started
  return {
    update (rows) {
      const t = now()
      if (t - last < intervalMs) return
      last = t
      write(progressLine(rows, total, (t - started) / 1000))
    },
    phase (phase) {
      // Only a load long enough to have been reported says so; index building can take a while.
      const t = now()
      if (phase !== 'index' || t - started < intervalMs) return
      last = t
      write(`seeding: ${total.toLocaleString('en-US')} rows loaded in ${((t - started) / 1000).toFixed(1)} s; building indexes...`)
    }
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
