// The options and the report of a seed run (seed/seeder.ts), shared by the loaders and the CLI.

/**
 * How rows reach MySQL:
 * - `load-data`: one LOAD DATA LOCAL INFILE whose "file" is a stream generated on the fly;
 * - `insert`: multi-row INSERTs over several connections (works wherever INSERT does);
 * - `auto`: `load-data` when the server allows LOCAL INFILE, else `insert`.
 */
export type SeedMethod = 'auto' | 'load-data' | 'insert'

/** The method a load settled on. */
export type LoadMethod = Exclude<SeedMethod, 'auto'>

export interface SeedOptions {
  count: number
  /** Empty the catalog first; ids restart at 1. */
  reset?: boolean
  /** Makes every generated value reproducible; without it each run differs. */
  seed?: string
  method?: SeedMethod
  /** Connections for the `insert` method. */
  connections?: number
  /** Rows per INSERT statement. */
  batchRows?: number
  /**
   * Whether this client offers LOCAL INFILE to the server (default true). False makes `auto`
   * meet the refusal a locked-down server gives, and fall back to INSERTs.
   */
  allowLocalInfile?: boolean
  /**
   * When loading into an empty copy, drop its secondary indexes and rebuild them in one ALTER
   * afterwards (default true); false loads with the indexes in place.
   */
  rebuildIndexes?: boolean
  /** Seed only when the catalog is empty (checked under the seed lock). */
  onlyIfEmpty?: boolean
  /** Called as rows are sent, with the running total. */
  onProgress?: (rows: number) => void
  /** Called when a phase starts. */
  onPhase?: (phase: SeedPhase) => void
  signal?: AbortSignal
}

export type SeedPhase = 'load' | 'index' | 'counts' | 'swap'

export interface SeedReport {
  /** Rows inserted (0 when `onlyIfEmpty` found products). */
  inserted: number
  firstId: number
  lastId: number
  method: LoadMethod
  /** Why `auto` settled for `insert`, when it did. */
  fallbackReason?: string
  /** True when the rows replaced the catalog (reset, or it was empty); false when appended. */
  replaced: boolean
  /** Secondary indexes built after the load (0 when rows went into the indexed table). */
  indexesRebuilt: number
  loadMs: number
  indexMs: number
  /** Time spent writing the category counts (the `counts` phase; the field keeps its name in recorded bench results). */
  searchMs: number
  totalMs: number
  skipped: boolean
}
