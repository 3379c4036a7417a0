// A seed run as `npm run seed` (seed/seed-cli.ts) and `npm run dev` (src/dev.ts) do it: the
// seeder with progress, then the catalog version bump, then a one-line summary.
import type { Config } from '../src/config.js'
import { redisOptions } from '../plugins/redis.js'
import { bumpCatalogVersion } from './catalog-version.js'
import { phaseLines, progressBar, progressLines } from './progress.js'
import { recordCatalogVersion, recordedCatalogVersion, seedCatalog, type CategoryCountStep } from './seeder.js'
import type { SeedOptions, SeedReport } from './seed-options.js'

export interface RunSeedOutput {
  /** Progress bar (on a terminal) and warnings. */
  err: NodeJS.WritableStream & { isTTY?: boolean }
  /** Progress lines (when not a terminal) and the summary line. */
  out: NodeJS.WritableStream & { isTTY?: boolean }
  /** Least time between two progress lines on `out`; default PROGRESS_LINE_INTERVAL_MS. */
  progressIntervalMs?: number
}

/** What the output says as each step of the counts phase starts. */
const CATEGORY_COUNT_STEPS: Record<CategoryCountStep, string> = {
  counts: 'counting products per category'
}

/**
 * A seed run as the CLI and `npm run dev` do it: a progress bar on stderr when it is a
 * terminal, progress lines every few seconds on stdout when that is not one (`npm run dev >
 * file`, a pipe, a container), then the version bump (a Redis outage is a warning, not a
 * failure), then a one-line summary. The phases after the load (index build with the FULLTEXT
 * index, category counts, swap) are long statements with no row count: each says when it starts, then writes a line
 * every few seconds while it runs, under the bar on a terminal and on stdout off one.
 */
export async function runSeed (config: Config, options: SeedOptions, io: RunSeedOutput = { err: process.stderr, out: process.stdout }): Promise<SeedReport> {
  const bar = io.err.isTTY === true ? progressBar(options.count, io.err) : undefined
  const lines = io.out.isTTY === true
    ? undefined
    : progressLines(options.count, (line) => io.out.write(line + '\n'), io.progressIntervalMs)
  // Phase lines go under the bar on a terminal stderr, and to stdout unless only stdout is a terminal.
  const phaseTargets = [...(io.err.isTTY === true ? [io.err] : []), ...(io.out.isTTY !== true || io.err.isTTY !== true ? [io.out] : [])]
  const phases = phaseLines((line) => { for (const target of phaseTargets) target.write(line + '\n') }, io.progressIntervalMs)
  let report: SeedReport
  try {
    report = await seedCatalog({ url: config.MYSQL_URL, ca: config.DB_CA }, {
      ...options,
      onProgress: (rows) => { bar?.update(rows); lines?.update(rows); options.onProgress?.(rows) },
      onPhase: (phase) => {
        switch (phase) {
          case 'load':
            // On a terminal the bar shows the load; elsewhere a line says it has begun.
            if (lines !== undefined) io.out.write(`seeding: loading ${options.count.toLocaleString('en-US')} products...\n`)
            break
          case 'index':
            bar?.stop()
            lines?.loaded()
            phases.start('building indexes')
            break
          case 'counts':
            phases.stop() // each step of the counts phase announces itself
            break
          case 'swap':
            phases.start('swapping in the new catalog')
            break
        }
        options.onPhase?.(phase)
      },
      categoryCountProgress: {
        step: (step) => { phases.start(CATEGORY_COUNT_STEPS[step]) }
      }
    })
  } finally {
    phases.stop()
    bar?.stop()
  }
  if (report.skipped) return report
  let version: number | undefined
  const db = { url: config.MYSQL_URL, ca: config.DB_CA }
  try {
    // The service's own Redis settings: one server, or the cluster of REDIS_CLUSTER_NODES; the
    // new version lands above the one recorded in MySQL even when Redis has lost its count.
    const recorded = await recordedCatalogVersion(db).catch(() => 0)
    version = await bumpCatalogVersion(redisOptions(config), '', recorded)
  } catch (err) {
    io.err.write(`warning: could not bump the catalog version in Redis (${(err as Error).message}); cached pages expire within CACHE_TTL_SECONDS\n`)
  }
  if (version !== undefined) {
    // The version in MySQL too, for read replicas (a running service records it within a
    // second otherwise, so a failure here is only a warning).
    await recordCatalogVersion(db, version).catch((err: Error) => {
      io.err.write(`warning: could not record catalog version ${version} in MySQL (${err.message})\n`)
    })
  }
  io.out.write(summary(report) + '\n')
  return report
}

export function summary (r: SeedReport): string {
  const s = (ms: number): string => (ms / 1000).toFixed(1)
  if (r.inserted === 0) return `seeded 0 products in ${s(r.totalMs)} s${r.replaced ? ': the catalog is now empty' : ''}`
  const rate = Math.round(r.inserted / Math.max((r.loadMs + r.indexMs) / 1000, 0.001))
  return `seeded ${r.inserted.toLocaleString('en-US')} products (ids ${r.firstId}-${r.lastId}) in ${s(r.totalMs)} s: ` +
    `load ${s(r.loadMs)} s via ${r.method}${r.fallbackReason !== undefined ? ` (${r.fallbackReason})` : ''}, ` +
    `${r.indexesRebuilt} indexes ${s(r.indexMs)} s, category counts ${s(r.searchMs)} s, ${rate.toLocaleString('en-US')} rows/s`
}

/**
 * `npm run dev`: seeds `count` products when the catalog is empty, with the CLI's progress bar.
 * Migrations have already run; seedCatalog runs them again, idempotently.
 */
export async function seedIfEmpty (config: Config, count: number, io?: RunSeedOutput): Promise<void> {
  await runSeed(config, { count, onlyIfEmpty: true }, io)
}
