/**
 * One health state per Redis client, shared by every caller in the process (page cache, rate
 * limiter, token store and lock, webhook fast path). After a failed command every caller skips
 * Redis for `pauseMs`; then exactly one call goes through as a probe while the others keep
 * skipping, so a Redis that hangs costs at most one command timeout per pause per process,
 * not one per request. A reconnection (`ready`) or any successful command ends the pause.
 *
 * The command deadline is kept here rather than by the client's own timer, because a plain
 * timer cannot tell a stalled Redis from a stalled event loop: after a 400 ms pause of this
 * process (GC, a busy machine) the timers run before the socket is read, and a reply that
 * arrived in time would count as a timeout. The deadline here fires, then looks once more after
 * the pending I/O has been read (setImmediate runs after the poll phase), and only then fails
 * the call.
 */
export class RedisSkippedError extends Error {
  override name = 'RedisSkippedError'
  constructor () {
    super('Redis skipped after a recent failure')
  }
}

export class RedisTimeoutError extends Error {
  override name = 'RedisTimeoutError'
  constructor (ms: number) {
    super(`Redis did not answer within ${ms} ms`)
  }
}

export interface RedisHealthOptions {
  /** After a failure, how long every caller leaves Redis alone (then one probe). */
  pauseMs?: number
  /** Deadline of one call (0: none). */
  timeoutMs?: number
  now?: () => number
}

export class RedisHealth {
  private downUntil = 0
  private probing = false
  private readonly pauseMs: number
  private readonly timeoutMs: number
  private readonly now: () => number

  constructor (opts: RedisHealthOptions = {}) {
    this.pauseMs = opts.pauseMs ?? 1000
    this.timeoutMs = opts.timeoutMs ?? 0
    this.now = opts.now ?? Date.now
  }

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
   * Runs `command` when admitted, within the deadline, recording its outcome; otherwise rejects
   * at once with RedisSkippedError (callers fall back exactly as for a failed command).
   */
  async run<T> (command: () => Promise<T>): Promise<T> {
    if (!this.admit()) throw new RedisSkippedError()
    try {
      const result = this.timeoutMs > 0 ? await within(command(), this.timeoutMs) : await command()
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

/** `pending`, or a RedisTimeoutError once `ms` have passed and the I/O read since is no answer. */
async function within<T> (pending: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  let immediate: NodeJS.Immediate | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      immediate = setImmediate(() => { reject(new RedisTimeoutError(ms)) })
    }, ms)
  })
  try {
    return await Promise.race([pending, expired])
  } finally {
    clearTimeout(timer)
    if (immediate !== undefined) clearImmediate(immediate)
  }
}

/** The commands the readiness probe needs, on a single server or a Redis Cluster. */
export interface PingableRedis {
  ping: () => Promise<string>
  /** Set (true) on an ioredis Cluster. */
  isCluster?: boolean
  cluster?: (subcommand: 'INFO') => Promise<unknown>
}

/**
 * Resolves when Redis serves commands: PING on a single server. On a Redis Cluster a PING goes to
 * one node, which says nothing about the others, so the probe asks one node for CLUSTER INFO
 * instead: `cluster_state:ok` means every slot is served by a reachable master (it turns to
 * `fail` while a master is lost and before its replica is promoted).
 */
export async function pingRedis (client: PingableRedis): Promise<void> {
  if (client.isCluster === true && client.cluster !== undefined) {
    const info = String(await client.cluster('INFO'))
    if (!/^cluster_state:ok\r?$/m.test(info)) throw new Error('Redis Cluster state is not ok')
    return
  }
  await client.ping()
}
