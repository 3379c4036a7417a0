import type { FastifyBaseLogger } from 'fastify'

type Bindings = Parameters<FastifyBaseLogger['child']>[0]
type ChildOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>
type LogMethod = (...args: unknown[]) => void

/** pino's numeric levels: a call logs when its level is at least the logger's. */
const LEVEL_VALUES: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Number.POSITIVE_INFINITY }

/**
 * A request's logger (`request.log`) that makes the pino child, with the request's bindings,
 * only when something is logged at an enabled level. Fastify builds a child per request; pino
 * serialises (and redacts) the bindings at that moment, which costs a cached page a measurable
 * share of its CPU although a service logging at `warn` writes nothing for it. Here a request
 * that logs nothing costs one small object; the first enabled call makes the child, and every
 * later call (and `child`, and setting `level`) goes to it, so lines are what pino would write.
 */
class DeferredChild {
  private made: FastifyBaseLogger | undefined

  constructor (
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
    private readonly threshold: number
  ) {}

  private real (): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options)
    return this.made
  }

  private log (level: keyof typeof LEVEL_VALUES & keyof FastifyBaseLogger, args: unknown[]): void {
    if (this.made === undefined && LEVEL_VALUES[level] < this.threshold) return
    ;(this.real()[level] as LogMethod)(...args)
  }

  get level (): string {
    return this.made?.level ?? this.options.level ?? this.parent.level
  }

  set level (value: string) {
    this.real().level = value
  }

  fatal (...args: unknown[]): void { this.log('fatal', args) }
  error (...args: unknown[]): void { this.log('error', args) }
  warn (...args: unknown[]): void { this.log('warn', args) }
  info (...args: unknown[]): void { this.log('info', args) }
  debug (...args: unknown[]): void { this.log('debug', args) }
  trace (...args: unknown[]): void { this.log('trace', args) }
  silent (): void {}

  child (bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.real().child(bindings, options)
  }
}

/** Fastify's `childLoggerFactory`: request loggers that cost nothing until they log. */
export function deferredChildLogger (logger: FastifyBaseLogger, bindings: Bindings, options: ChildOptions): FastifyBaseLogger {
  const level = options.level ?? logger.level
  // An unknown (custom) level: make the child at the first call whatever its level.
  const threshold = LEVEL_VALUES[level] ?? 0
  return new DeferredChild(logger, bindings, options, threshold) as unknown as FastifyBaseLogger
}
