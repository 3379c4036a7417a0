/**
 * The pace at which scrapes (`/metrics`, `/docs` and `/docs/json`) are answered when they flood in.
 *
 * A scrape is answered from bytes prepared in advance, but each answer is still a socket write
 * of tens of kilobytes. Scrapers that ask again as soon as they are answered would otherwise
 * take every turn of the event loop and all the CPU left: measured with 200 of them from one
 * client, the API's p50 went from 2 ms to 40–60 ms, an API request needing several turns
 * (parse, Redis, MySQL, write) each made long by up to 200 scrape writes.
 *
 * So scrapes are answered `perBatch` at a time, one batch every `intervalMs`. A scrape that
 * finds the batch spent waits in a FIFO for the next one; none is refused, and a scrape arriving
 * when none waits is answered at once. A turn of the event loop then carries at most `perBatch`
 * scrape writes, and scrapes use a bounded share of the CPU (`perBatch / intervalMs` answers per
 * ms) however many scrapers there are: with the defaults, up to 2,000 scrapes a second, each
 * of 200 concurrent scrapers answered within about 100 ms.
 */
export const SCRAPES_PER_BATCH = 4
export const SCRAPE_INTERVAL_MS = 2

export interface ScrapeQueue {
  /**
   * `undefined` when this scrape may be answered now (the batch is not spent and no scrape
   * waits before it); otherwise a promise that resolves with a later batch, in arrival order.
   */
  admit: () => Promise<void> | undefined
  /** Scrapes waiting for a later batch. */
  readonly waiting: number
}

export interface ScrapeQueueOptions {
  /** Scrapes answered per batch. */
  perBatch?: number
  /** How often the batch is renewed (ms). */
  intervalMs?: number
  /** Runs `fn` after `ms` (tests drive it by hand). */
  schedule?: (fn: () => void, ms: number) => void
}

function unrefTimer (fn: () => void, ms: number): void {
  setTimeout(fn, ms).unref()
}

/**
 * A FIFO of scrapes with a batch renewed by a timer. The timer runs only while scrapes come:
 * after a quiet interval the queue holds nothing and schedules nothing.
 */
export function scrapeQueue ({ perBatch = SCRAPES_PER_BATCH, intervalMs = SCRAPE_INTERVAL_MS, schedule = unrefTimer }: ScrapeQueueOptions = {}): ScrapeQueue {
  let used = 0
  let armed = false
  // An array with a moving head: shift() would copy the whole queue on every release.
  let queue: Array<() => void> = []
  let head = 0

  function renew (): void {
    armed = false
    used = 0
    while (used < perBatch && head < queue.length) {
      used++
      const release = queue[head]
      queue[head++] = noop
      release()
    }
    if (head === queue.length) {
      queue = []
      head = 0
    }
    // Renewed again while scrapes were answered (more are likely) or still wait.
    if (used > 0) arm()
  }

  function arm (): void {
    if (armed) return
    armed = true
    schedule(renew, intervalMs)
  }

  return {
    admit () {
      arm()
      if (head === queue.length && used < perBatch) {
        used++
        return undefined
      }
      return new Promise<void>((resolve) => { queue.push(resolve) })
    },
    get waiting () { return queue.length - head }
  }
}

function noop (): void {}

/**
 * The process's queue: the CPU and the event loop are the process's, so is the pace (several
 * app instances in one process, as in tests, share it).
 */
export const scrapes = scrapeQueue()

/**
 * A route's `preHandler` (callback style) that lets the request on once the process's queue
 * admits it: what makes an unlimited route a paced one.
 */
export function paced (_request: unknown, _reply: unknown, done: (err?: Error) => void): void {
  const wait = scrapes.admit()
  if (wait === undefined) done()
  else void wait.then(() => { done() })
}
