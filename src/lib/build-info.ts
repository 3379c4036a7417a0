import { readFileSync } from 'node:fs'

/** What `farmlokal_build_info` reports: which build runs on which runtime. */
export interface BuildInfo {
  version: string
  commit: string
  node: string
}

/**
 * The package version from package.json (one level above src/ in the sources, two above
 * dist/src/ in the build), the commit from GIT_COMMIT (set by the image build) or
 * `unknown`, and the Node version running the process.
 */
export function buildInfo (env: NodeJS.ProcessEnv = process.env): BuildInfo {
  let version = 'unknown'
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string, version?: string }
      if (pkg.name === 'farmlokal-service' && typeof pkg.version === 'string') { version = pkg.version; break }
    } catch {
      // not at this level: try the next one
    }
  }
  const commit = (env.GIT_COMMIT ?? '').trim()
  return { version, commit: commit === '' ? 'unknown' : commit.slice(0, 40), node: process.version }
}
