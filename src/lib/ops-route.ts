import type { RouteOptions } from 'fastify'
import { paced } from './scrape-queue.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * An operations route (probes, scrapes, the API document and its UI): see `asOpsRoute`.
     * Declared on the route; plugins/ops-routes.ts applies the rules.
     */
    ops?: boolean
    /** `false`: never shed while the event loop is saturated (liveness, scrapes). */
    shed?: boolean
  }
}

/**
 * The rules every operations route follows, written once: never rate limited (machines and
 * operators poll them), answered at a bounded pace so a flood of them cannot crowd the API
 * out (src/lib/scrape-queue.ts), and logged only from `warn` up.
 */
export function asOpsRoute (route: RouteOptions): void {
  route.config = { ...route.config, ops: true, rateLimit: false }
  // Fastify fills in the context's level ('' when none was set) before onRoute hooks run.
  if (route.logLevel === undefined || (route.logLevel as string) === '') route.logLevel = 'warn'
  route.preHandler = [...[route.preHandler ?? []].flat(), paced]
}
