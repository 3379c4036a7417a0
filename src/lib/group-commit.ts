/**
 * Group commit: concurrent submissions are gathered into batches, each handled by one `flush`
 * call (one database transaction, one durable commit for the whole batch). Batching is natural:
 * a batch starts as soon as a slot is free, with whatever is waiting, so a lone submission is
 * not delayed and a burst is carried in a few large batches instead of one commit each.
 *
 * Waiting is bounded: a submission that has not been handed to `flush` within `maxWaitMs` of
 * its arrival is rejected with QueueTimeoutError, before anything was done for it. Pure code,
 * no I/O; the caller's `flush` does the work.
 */

export class QueueTimeoutError extends Error {
  override name = 'QueueTimeoutError'
  constructor (readonly waitedMs: number) {
    super(`no database connection free within ${waitedMs} ms`)
  }
}

export interface Batch<T> {
  items: T[]
  /** Arrival time (epoch ms) of the oldest item: its deadlines bound the whole batch. */
  oldestAt: number
}

/** One result per item, in order: a value, or an Error for that item alone. */
export type BatchResults<R> = Array<R | Error>

export interface GroupCommitOptions<T, R> {
  /** Batches in flight at once (each holds one database connection). */
  concurrency: number
  /** Most items in one batch. */
  maxItems: number
  /** Most bytes (as reported by `submit`) in one batch; one item alone may exceed it. */
  maxBytes: number
  /** Longest time an item may wait for its batch to start. */
  maxWaitMs: number
  /** Handles one batch; rejects to fail every item of it. */
  flush: (batch: Batch<T>) => Promise<BatchResults<R>>
  now?: () => number
}

interface Pending<T, R> {
  item: T
  bytes: number
  at: number
  resolve: (value: R) => void
  reject: (err: Error) => void
}

export class GroupCommit<T, R> {
  private readonly queue: Array<Pending<T, R>> = []
  private running = 0
  private timer: NodeJS.Timeout | undefined
  private readonly now: () => number

  constructor (private readonly opts: GroupCommitOptions<T, R>) {
    this.now = opts.now ?? Date.now
  }

  /** Items waiting for a slot. */
  get waiting (): number {
    return this.queue.length
  }

  /** Batches in flight. */
  get inFlight (): number {
    return this.running
  }

  async submit (item: T, bytes = 0): Promise<R> {
    return await new Promise<R>((resolve, reject) => {
      this.queue.push({ item, bytes, at: this.now(), resolve, reject })
      this.pump()
    })
  }

  /** Rejects every waiting item (shutdown). */
  close (err: Error): void {
    clearTimeout(this.timer)
    this.timer = undefined
    for (const p of this.queue.splice(0)) p.reject(err)
  }

  private expire (): void {
    const now = this.now()
    while (this.queue.length > 0 && now - this.queue[0].at >= this.opts.maxWaitMs) {
      const p = this.queue.shift() as Pending<T, R>
      p.reject(new QueueTimeoutError(this.opts.maxWaitMs))
    }
  }

  private pump (): void {
    this.expire()
    while (this.running < this.opts.concurrency && this.queue.length > 0) {
      const batch: Array<Pending<T, R>> = []
      let bytes = 0
      while (this.queue.length > 0 && batch.length < this.opts.maxItems &&
             (batch.length === 0 || bytes + this.queue[0].bytes <= this.opts.maxBytes)) {
        const p = this.queue.shift() as Pending<T, R>
        bytes += p.bytes
        batch.push(p)
      }
      this.running++
      void this.run(batch)
    }
    this.arm()
  }

  /** While items wait with every slot busy, a timer fails them when their wait runs out. */
  private arm (): void {
    if (this.queue.length === 0) {
      clearTimeout(this.timer)
      this.timer = undefined
      return
    }
    if (this.timer !== undefined) return
    const left = Math.max(0, this.queue[0].at + this.opts.maxWaitMs - this.now())
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.pump()
    }, left + 1)
  }

  private async run (batch: Array<Pending<T, R>>): Promise<void> {
    try {
      const results = await this.opts.flush({ items: batch.map((p) => p.item), oldestAt: batch[0].at })
      batch.forEach((p, i) => {
        const r = results[i]
        if (r instanceof Error) p.reject(r)
        else p.resolve(r)
      })
    } catch (err) {
      for (const p of batch) p.reject(err as Error)
    } finally {
      this.running--
      this.pump()
    }
  }
}
