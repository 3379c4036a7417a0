/**
 * The catalog version as this process knows it, re-read from Redis in the background.
 *
 * A version is trusted only while it is fresh: confirmed by a read *sent* within the last
 * `freshMs`. A read that answers tells the version at some moment after it was sent, so a bump
 * made at time T is known by every instance no later than the first read sent after T
 * returns (background reads are sent every `intervalMs`), and a version not confirmed for
 * `freshMs` is never used (callers read it again in the foreground, or go without the cache).
 * No page of an old version is therefore served later than `freshMs` after a bump, whatever
 * happens to the messages or the timers in between.
 */
export interface VersionWatchOptions {
  /** Reads the current version (one Redis GET). */
  read: () => Promise<string>
  intervalMs: number
  freshMs: number
  now?: () => number
}

export class VersionWatch {
  private version: string | undefined
  private confirmedAt = Number.NEGATIVE_INFINITY
  private reading: Promise<string> | undefined
  private timer: NodeJS.Timeout | undefined
  private readonly now: () => number

  constructor (private readonly opts: VersionWatchOptions) {
    this.now = opts.now ?? Date.now
  }

  /** The version when it is fresh, else undefined. */
  current (): string | undefined {
    return this.now() - this.confirmedAt <= this.opts.freshMs ? this.version : undefined
  }

  /** One read (shared by concurrent callers); rejects when Redis does not answer. */
  async refresh (): Promise<string> {
    this.reading ??= (async () => {
      const sentAt = this.now()
      try {
        const version = await this.opts.read()
        if (sentAt >= this.confirmedAt) {
          this.version = version
          this.confirmedAt = sentAt
        }
        return version
      } finally {
        this.reading = undefined
      }
    })()
    return await this.reading
  }

  /** The fresh version, read in the foreground when the last confirmation is too old. */
  async resolve (): Promise<string> {
    return this.current() ?? await this.refresh()
  }

  start (): void {
    this.timer ??= setInterval(() => { this.refresh().catch(() => {}) }, this.opts.intervalMs)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
  }
}
