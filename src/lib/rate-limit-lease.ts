// One file on purpose: the lease arithmetic, the per-client windows and their bounded memory are
// one accuracy argument (the over-admission bound), easier to check when read in one place.
/**
 * Leased quota for a fixed-window rate limit shared through one counter per client and window
 * (kept in Redis by the caller's `lease` function).
 *
 * Instead of one round trip per request, an instance takes quota from the shared counter in
 * chunks (`INCRBY chunk`) and spends it locally. A lease that brings the counter to `total`
 * covers the counter slots `total - n + 1 … total`; the instance may use only those at or below
 * `max`, i.e. `min(n, max - (total - n))` of them. Slots are never handed out twice, so the
 * requests admitted by all instances together never exceed `max` in a window: no over-admission,
 * however many instances share the counter. While its lease lasts an instance answers from
 * memory; it tops the lease up in the background when it runs low, so the common request waits
 * for nothing. A request waits for Redis only when its instance holds no quota for that client:
 * the client's first request in a window on that instance, or a lease that could not be
 * topped up in time.
 *
 * The price is under-admission: quota an instance leased but did not spend is lost to the
 * others. An instance holds at most `chunk + lowWater` unspent units per client, so a client
 * whose traffic leaves an instance for good can be refused at most that many requests early per
 * instance it left. The chunk is sized from the 5% accuracy budget (half of it, so one instance
 * never strands more than about 3.75% of `max`); limits under 40 get a chunk of 1, which is
 * exact per-request counting.
 *
 * Windows start at a client's first request (the counter's expiry, in Redis's clock). Each
 * lease reply carries the milliseconds the window has left; the instance dates the end from the
 * moment it *sent* the lease, which is never later than the real end, so leased quota is never
 * spent after its window closed.
 */

/** What the shared counter answers to a lease of `units`: its new value and the window's remaining ms. */
export interface LeaseReply {
  total: number
  ttlMs: number
}

export type LeaseFn = (key: string, units: number, windowMs: number) => Promise<LeaseReply>

/** The decision in the form @fastify/rate-limit's store API expects: refused when `current > max`. */
export interface Decision {
  current: number
  ttl: number
}

export type DecisionCallback = (err: Error | null, decision?: Decision) => void

/** Units taken from the shared counter per lease: half the 5% budget, at least 1 (exact counting). */
export function leaseChunk (max: number): number {
  return Math.max(1, Math.floor(Math.floor(max * 5 / 100) / 2))
}

/** The lease is topped up (in the background) once no more than this many units are left. */
export function lowWater (chunk: number): number {
  return Math.floor(chunk / 2)
}

/** One client's quota on this instance for one window. */
interface ClientWindow {
  /** Local time (ms) at or before which the window surely ends; 0 until the first lease answers. */
  end: number
  /** Leased and not yet spent. */
  unused: number
  /** Highest counter value seen: every instance's leases together. */
  total: number
  leasing: boolean
  waiters: DecisionCallback[]
}

export interface LeasedCounterOptions {
  lease: LeaseFn
  now?: () => number
  /**
   * Clients tracked per generation before an early rotation. Dropping a client's state only
   * ever refuses earlier (its unspent lease is stranded) or costs one more lease, never admits
   * more, so the bound on memory costs no accuracy.
   */
  maxClients?: number
}

/**
 * Local state per client in two generations, rotated every window (or when one holds
 * `maxClients`): a client not seen for a whole generation is dropped, so memory follows the
 * clients of the last one or two windows, never more than twice `maxClients`.
 */
export class LeasedWindowCounter {
  private current = new Map<string, ClientWindow>()
  private previous = new Map<string, ClientWindow>()
  private rotatedAt: number
  private readonly lease: LeaseFn
  private readonly now: () => number
  private readonly maxClients: number

  constructor (opts: LeasedCounterOptions) {
    this.lease = opts.lease
    this.now = opts.now ?? Date.now
    this.maxClients = opts.maxClients ?? 50_000
    this.rotatedAt = this.now()
  }

  /** Clients with local state (both generations). */
  get size (): number {
    return this.current.size + this.previous.size
  }

  /**
   * Counts one request of `key` against `max` per `windowMs`. Calls back synchronously when
   * the local lease decides; otherwise once the shared counter answered. An error means the
   * counter could not be reached (the caller fails open).
   */
  take (key: string, max: number, windowMs: number, cb: DecisionCallback): void {
    const now = this.now()
    if (now - this.rotatedAt >= windowMs || this.current.size >= this.maxClients) this.rotate(now, windowMs)
    let state = this.current.get(key)
    if (state === undefined) {
      state = this.previous.get(key)
      if (state !== undefined) {
        this.previous.delete(key)
        this.current.set(key, state)
      }
    }
    if (state === undefined || (state.end !== 0 && now >= state.end)) {
      // A new window (or a client not seen before). A lease still in flight for the old state
      // answers its own waiters.
      state = { end: 0, unused: 0, total: 0, leasing: false, waiters: [] }
      this.current.set(key, state)
    }

    const chunk = leaseChunk(max)
    if (state.unused > 0) {
      state.unused--
      if (chunk > 1 && !state.leasing && state.total < max && state.unused <= lowWater(chunk)) {
        this.requestLease(key, state, chunk, max, windowMs)
      }
      cb(null, admitted(state, max, now))
      return
    }
    if (state.end !== 0 && state.total >= max) {
      cb(null, refused(state, max, now))
      return
    }
    state.waiters.push(cb)
    if (!state.leasing) this.requestLease(key, state, Math.max(chunk, state.waiters.length), max, windowMs)
  }

  private rotate (now: number, windowMs: number): void {
    // After two windows without a request both generations are over.
    this.previous = now - this.rotatedAt >= 2 * windowMs ? new Map() : this.current
    this.current = new Map()
    this.rotatedAt = now
  }

  private requestLease (key: string, state: ClientWindow, units: number, max: number, windowMs: number): void {
    state.leasing = true
    const sentAt = this.now()
    this.lease(key, units, windowMs).then(
      (reply) => {
        state.leasing = false
        this.granted(key, state, units, reply, sentAt, max, windowMs)
      },
      (err: Error) => {
        state.leasing = false
        const waiters = state.waiters
        state.waiters = []
        for (const waiter of waiters) waiter(err)
      }
    )
  }

  private granted (key: string, state: ClientWindow, units: number, reply: LeaseReply, sentAt: number, max: number, windowMs: number): void {
    const end = sentAt + Math.max(0, reply.ttlMs)
    if (state.end !== 0 && end > state.end + windowMs / 2) {
      // The counter expired and a new window began since the last lease: what is left of the
      // old one is dropped (its window is over).
      state.unused = 0
      state.total = 0
      state.end = end
    } else {
      // Every estimate is at or before the real end, so the latest is the closest.
      state.end = Math.max(state.end, end)
    }
    state.total = Math.max(state.total, reply.total)
    state.unused += Math.max(0, Math.min(units, max - (reply.total - units)))

    const now = this.now()
    let served = 0
    while (served < state.waiters.length && state.unused > 0) {
      state.unused--
      state.waiters[served++](null, admitted(state, max, now))
    }
    const rest = served === 0 ? state.waiters : state.waiters.slice(served)
    state.waiters = []
    if (rest.length > 0) {
      if (state.total >= max) {
        for (const waiter of rest) waiter(null, refused(state, max, now))
      } else {
        state.waiters = rest
        this.requestLease(key, state, Math.max(leaseChunk(max), rest.length), max, windowMs)
      }
      return
    }
    const chunk = leaseChunk(max)
    if (chunk > 1 && state.total < max && state.unused <= lowWater(chunk)) this.requestLease(key, state, chunk, max, windowMs)
  }
}

/**
 * Remaining as far as this instance knows: the counter's unleased quota plus its own unspent
 * lease (other instances' unspent leases are not visible here).
 */
function remaining (state: ClientWindow, max: number): number {
  return max - Math.min(state.total, max) + state.unused
}

function admitted (state: ClientWindow, max: number, now: number): Decision {
  return { current: max - remaining(state, max), ttl: Math.max(0, state.end - now) }
}

function refused (state: ClientWindow, max: number, now: number): Decision {
  return { current: max + 1, ttl: Math.max(0, state.end - now) }
}
