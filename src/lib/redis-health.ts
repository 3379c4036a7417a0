/**
 * One health state per Redis client, shared by every caller in the process (page cache, rate
 * limiter, token store and lock, webhook fast path). After a failed command every caller skips
 * Redis for `pauseMs`; then exactly one call goes through as a probe while the others keep
 * skipping, so a Redis that hangs costs at most one command timeout per pause per process,
 * not one per request. A reconnection (`ready`) or any successful command ends the pause.
 */
export class RedisSkippedError extends Error {
  override name = 'RedisSkippedError'
  constructor () {
    super('Redis skipped after a recent failure')
  }
}

export class RedisHealth {
  private downUntil = 0
  private probing = false

  constructor (private readonly pauseMs = 1000, private readonly now: () => number = Date.now) {}

  /** False while callers should leave Redis alone. */
  get healthy (): boolean {
    return this.downUntil === 0
  }

  /**
   * Whether a call may go to Redis now. While healthy: always. While paused: no. When the
   * pause has run out: yes for one caller (the probe), no for the others until it settles.
   */
  admit (): boolean {
    if (this.downUntil === 0) return true
    if (this.probing || this.now() < this.downUntil) return false
    this.probing = true
    return true
  }

  /** A command answered: Redis is usable again. */
  succeeded (): void {
    if (this.downUntil !== 0) {
      this.downUntil = 0
      this.probing = false
    }
  }

  /** A command failed or timed out: pause every caller. */
  failed (): void {
    this.downUntil = this.now() + this.pauseMs
    this.probing = false
  }

  /**
   * Runs `command` when admitted, recording its outcome; otherwise rejects at once with
   * RedisSkippedError (callers fall back exactly as for a failed command).
   */
  async run<T> (command: () => Promise<T>): Promise<T> {
    if (!this.admit()) throw new RedisSkippedError()
    try {
      const result = await command()
      this.succeeded()
      return result
    } catch (err) {
      // A reply error (a script's own error, a wrong type) comes from a Redis that answers.
      if ((err as Error).name === 'ReplyError') this.succeeded()
      else this.failed()
      throw err
    }
  }
}
