// compose.yaml and deploy/compose/haproxy.cfg, checked without a Docker engine: the default
// services stay as they are, the `scale` profile (three API instances behind HAProxy on a Redis
// Cluster) hangs together, and every variable given to the service is one it reads. No JSON
// schema of the Compose specification is kept up to date on npm, so the structure is checked here.
// One file past ~200 lines: the checks and the files they break are read side by side.
import { test } from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseDocument } from 'yaml'
import { ConfigSchema, loadConfig } from '../../src/config.js'
import { readDockerfile, type DockerStage } from './dockerfile.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const HAPROXY_CFG = 'deploy/compose/haproxy.cfg'

const DEFAULT_SERVICES = ['api', 'mysql', 'redis']
const REDIS_NODES = [1, 2, 3, 4, 5, 6].map((n) => `redis-node-${n}`)
const API_INSTANCES = ['api-1', 'api-2', 'api-3']
const SCALE_SERVICES = [...REDIS_NODES, 'redis-cluster-init', ...API_INSTANCES, 'lb']
/** Read by src/telemetry.ts and the OpenTelemetry SDK, not by src/config.ts (docs/operations.md). */
const OTHER_ENV = /^OTEL_/

type Obj = Record<string, any>
interface Inputs {
  compose: Obj
  haproxy: string
  /** ENV, EXPOSE and whether there is a HEALTHCHECK, by Dockerfile stage name ('' for the last). */
  docker: Record<string, DockerStage>
}

function readInputs (): Inputs {
  const doc = parseDocument(readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8'), { merge: true })
  if (doc.errors.length > 0) throw new Error(`compose.yaml: ${doc.errors[0].message}`)
  return {
    compose: doc.toJS(),
    haproxy: readFileSync(path.join(ROOT, HAPROXY_CFG), 'utf8'),
    docker: readDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))
  }
}

/** `${VAR:-default}` and the like as compose resolves them with nothing set in the shell. */
const interpolate = (value: string): string =>
  value.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::?-([^}]*))?\}/g, (_, _name, fallback) => fallback ?? '').replaceAll('$$', '$')
const environmentOf = (service: Obj): Record<string, string> => {
  const env = service.environment ?? {}
  const entries: Array<[string, string]> = Array.isArray(env)
    ? env.map((e: string) => [e.split('=')[0], e.split('=').slice(1).join('=')])
    : Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)])
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v)]))
}
const dependsOn = (service: Obj): Record<string, string> => {
  const deps = service.depends_on ?? {}
  return Array.isArray(deps)
    ? Object.fromEntries(deps.map((d: string) => [d, 'service_started']))
    : Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, (v as Obj)?.condition ?? 'service_started']))
}
/** The repository's image (and its Dockerfile stage) when the service is built from it. */
const repoStage = (service: Obj): string | undefined => {
  const build = service.build
  if (build === '.' || build === './') return ''
  if (typeof build === 'object' && build !== null && ['.', './'].includes(build.context)) return build.target ?? ''
  return undefined
}
/** Published ports as [host address, host port, container port]. */
const published = (service: Obj): Array<[string, number, number]> => (service.ports ?? []).map((p: string | Obj) => {
  if (typeof p === 'object') return [p.host_ip ?? '0.0.0.0', Number(p.published), Number(p.target)]
  const parts = String(p).split(':')
  const [address, host, container] = parts.length === 3 ? parts : ['0.0.0.0', ...parts]
  return [address, Number(host), Number(container)]
})
/** Every string in a value, for the interpolation check. */
const strings = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : typeof value === 'object' && value !== null ? Object.values(value).flatMap(strings) : []

function composeProblems ({ compose, haproxy, docker }: Inputs): string[] {
  const problems: string[] = []
  const fail = (message: string): void => { problems.push(message) }
  const services: Record<string, Obj> = compose.services ?? {}
  const profilesOf = (name: string): string[] => services[name]?.profiles ?? []

  // The default `docker compose up` is the same set of services, and pulls in no profile.
  const unprofiled = Object.keys(services).filter((name) => profilesOf(name).length === 0).sort()
  if (unprofiled.join() !== DEFAULT_SERVICES.join()) fail(`the default services are ${unprofiled.join(', ')}, not ${DEFAULT_SERVICES.join(', ')}`)
  // The scale profile: exactly its services, each only in it.
  const scale = Object.keys(services).filter((name) => profilesOf(name).includes('scale'))
  for (const name of SCALE_SERVICES) if (!scale.includes(name)) fail(`${name} is not in the scale profile`)
  for (const name of scale) {
    if (!SCALE_SERVICES.includes(name)) fail(`${name} is in the scale profile unexpectedly`)
    if (profilesOf(name).length !== 1) fail(`${name} is in other profiles than scale`)
  }

  // depends_on: existing services that run in the same profiles, conditions they can meet.
  for (const [name, service] of Object.entries(services)) {
    for (const [target, condition] of Object.entries(dependsOn(service))) {
      const dependency = services[target]
      if (dependency === undefined) { fail(`${name} depends on ${target}, which does not exist`); continue }
      const shared = profilesOf(target).length === 0 || profilesOf(target).some((p) => profilesOf(name).includes(p))
      if (!shared) fail(`${name} depends on ${target}, which does not run in ${name}'s profiles`)
      const stage = repoStage(dependency)
      const healthcheck = dependency.healthcheck !== undefined || (stage !== undefined && docker[stage]?.healthcheck === true)
      if (condition === 'service_healthy' && !healthcheck) fail(`${name} waits for ${target} to be healthy, but it has no healthcheck`)
      if (condition === 'service_completed_successfully' && !['no', undefined].includes(dependency.restart)) {
        fail(`${name} waits for ${target} to complete, but it restarts`)
      }
    }
  }
  const visiting = new Set<string>()
  const cycle = (name: string): boolean => {
    if (visiting.has(name)) return true
    visiting.add(name)
    const found = Object.keys(dependsOn(services[name] ?? {})).some(cycle)
    visiting.delete(name)
    return found
  }
  for (const name of Object.keys(services)) if (cycle(name)) { fail(`depends_on has a cycle through ${name}`); break }

  // `$` is compose's: a shell `$` in a command must be written `$$`.
  for (const [name, service] of Object.entries(services)) {
    for (const text of strings(service)) {
      const stray = text.replaceAll('$$', '').replace(/\$\{[A-Z_][A-Z0-9_]*(?::?[-?+][^}]*)?\}/g, '')
      if (stray.includes('$')) fail(`${name} has a $ that compose would interpolate: ${JSON.stringify(text.slice(0, 60))}`)
    }
  }

  // The service's environment: names it reads, and a whole it starts with.
  const known = Object.keys(ConfigSchema.properties)
  for (const [name, service] of Object.entries(services)) {
    const stage = repoStage(service)
    if (stage === undefined) continue
    const env = environmentOf(service)
    for (const key of Object.keys(env)) if (!known.includes(key) && !OTHER_ENV.test(key)) fail(`${name}: ${key} is not a variable of src/config.ts`)
    try {
      loadConfig({ ...docker[stage]?.env, ...env })
    } catch (err) {
      fail(`${name}: src/config.ts refuses its environment: ${(err as Error).message}`)
    }
  }

  // The Redis Cluster: six cluster-mode nodes, formed by the init service, used by the instances.
  for (const node of REDIS_NODES) {
    if (!/--cluster-enabled yes/.test([services[node]?.command ?? []].flat().join(' '))) fail(`${node} is not started with --cluster-enabled yes`)
  }
  const init = [services['redis-cluster-init']?.command ?? []].flat().join('\n')
  if (!/redis-cli --cluster create .*--cluster-replicas 1 --cluster-yes/.test(init)) fail('redis-cluster-init does not run redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes')
  const loop = /for n in ([\d ]+); do[\s\S]*redis-node-\$\$n/.exec(init)
  const initNodes = (loop?.[1] ?? '').trim().split(/\s+/).map((n) => `redis-node-${n}`)
  if (initNodes.join() !== REDIS_NODES.join()) fail(`redis-cluster-init joins ${initNodes.join(', ')}, not the six nodes`)
  for (const api of API_INSTANCES) {
    const env = environmentOf(services[api] ?? {})
    const seeds = (env.REDIS_CLUSTER_NODES ?? '').split(',').map((s) => s.trim()).sort()
    if (seeds.join() !== REDIS_NODES.map((n) => `${n}:6379`).join()) fail(`${api}: REDIS_CLUSTER_NODES is not the six redis-node services (${env.REDIS_CLUSTER_NODES})`)
    if (env.REDIS_URL !== undefined) fail(`${api} sets REDIS_URL beside REDIS_CLUSTER_NODES`)
    if ([undefined, 'true', 'false'].includes(env.TRUST_PROXY)) fail(`${api}: TRUST_PROXY must trust HAProxy only (a hop count or its address), not ${env.TRUST_PROXY}`)
    if (published(services[api] ?? {}).length > 0) fail(`${api} publishes a port: clients must come through HAProxy`)
    if (dependsOn(services[api] ?? {})['redis-cluster-init'] !== 'service_completed_successfully') fail(`${api} does not wait for the cluster to be formed`)
  }

  // Published ports: no two services on one host port (the scale profile runs beside the default).
  const taken = new Map<number, string>()
  for (const [name, service] of Object.entries(services)) {
    for (const [, port] of published(service)) {
      const owner = taken.get(port)
      if (owner !== undefined) fail(`${name} publishes host port ${port}, already published by ${owner}`)
      taken.set(port, name)
    }
  }

  // HAProxy: the instances on the image's port, checked on /ready, retried elsewhere.
  const apiPort = docker['']?.expose[0]
  const servers = [...haproxy.matchAll(/^\s*server\s+\S+\s+(\S+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`).sort()
  if (servers.join() !== API_INSTANCES.map((a) => `${a}:${apiPort}`).join()) fail(`HAProxy's servers are ${servers.join(', ')}, not the API instances on port ${apiPort}`)
  if (!/^\s*http-check send meth GET uri \/ready\b/m.test(haproxy) || !/^\s*option httpchk\b/m.test(haproxy)) fail('HAProxy does not health-check GET /ready')
  if (!/^\s*default-server .*\bcheck\b/m.test(haproxy)) fail('HAProxy servers are not checked')
  if (!/^\s*option redispatch\b/m.test(haproxy)) fail('HAProxy does not redispatch retries')
  const retryOn = /^\s*retry-on (.+)$/m.exec(haproxy)?.[1].split(/\s+/) ?? []
  for (const event of ['conn-failure', 'empty-response', '503']) if (!retryOn.includes(event)) fail(`HAProxy does not retry on ${event}`)
  if (!/^\s*option forwardfor\b/m.test(haproxy)) fail('HAProxy does not send X-Forwarded-For')
  const lb = services.lb ?? {}
  const bind = /^frontend farmlokal[\s\S]*?^\s*bind \S*:(\d+)/m.exec(haproxy)?.[1]
  if (!published(lb).some(([, , container]) => String(container) === bind)) fail(`lb does not publish HAProxy's bind port ${bind}`)
  if (!(lb.volumes ?? []).includes(`./${HAPROXY_CFG}:/usr/local/etc/haproxy/haproxy.cfg:ro`)) fail(`lb does not mount ${HAPROXY_CFG} where the haproxy image reads it`)
  return problems
}

const inputs = readInputs()

test('compose.yaml parses, keeps its default services and adds the scale profile', async (t) => {
  t.same(composeProblems(inputs), [])
  t.same(inputs.compose.services.api.ports, ['3000:3000'], 'the default api is published as before')
})

/** A copy of the inputs with one change. */
function mutate (change: (services: Obj, inputs: Inputs) => void): Inputs {
  const copy = structuredClone(inputs)
  change(copy.compose.services, copy)
  return copy
}

const BREAKAGES: Array<[string, Inputs, RegExp]> = [
  ['a default service moved into a profile', mutate((s) => { s.redis.profiles = ['scale'] }), /default services are api, mysql, not api, mysql, redis/],
  ['a scale service without its profile', mutate((s) => { delete s.lb.profiles }), /default services are api, lb, mysql, redis[\s\S]*lb is not in the scale profile/],
  ['a dependency that does not exist', mutate((s) => { s['api-2'].depends_on = { 'redis-cluster': { condition: 'service_healthy' } } }), /api-2 depends on redis-cluster, which does not exist/],
  ['a default service waiting for a scale one', mutate((s) => { s.api.depends_on['redis-node-1'] = { condition: 'service_healthy' } }), /api depends on redis-node-1, which does not run in api's profiles/],
  ['healthy without a healthcheck', mutate((s) => { delete s['redis-node-3'].healthcheck }), /redis-cluster-init waits for redis-node-3 to be healthy, but it has no healthcheck/],
  ['completion of a restarting service', mutate((s) => { s['redis-cluster-init'].restart = 'unless-stopped' }), /api-1 waits for redis-cluster-init to complete, but it restarts/],
  ['a cycle', mutate((s) => { s['redis-node-1'].depends_on = ['api-1'] }), /depends_on has a cycle/],
  ['a shell $ left to compose', mutate((s) => { s['redis-cluster-init'].command[0] = s['redis-cluster-init'].command[0].replace('$$nodes --cluster-replicas', '$nodes --cluster-replicas') }),
    /redis-cluster-init has a \$ that compose would interpolate/],
  ['an unknown variable', mutate((s) => { s['api-3'].environment.REDIS_NODES = 'redis-node-1:6379' }), /api-3: REDIS_NODES is not a variable of src\/config\.ts/],
  ['an invalid value', mutate((s) => { s['api-1'].environment.MYSQL_URL = 'postgres://db/farmlokal' }), /api-1: src\/config\.ts refuses its environment: .*MYSQL_URL/],
  ['no webhook secret in production', mutate((s) => { delete s['api-2'].environment.WEBHOOK_SECRET }), /api-2: src\/config\.ts refuses its environment: WEBHOOK_SECRET is required/],
  ['a node out of cluster mode', mutate((s) => { s['redis-node-4'] = { ...s['redis-node-4'], command: ['redis-server'] } }), /redis-node-4 is not started with --cluster-enabled yes/],
  ['a cluster without replicas', mutate((s) => { s['redis-cluster-init'].command[0] = s['redis-cluster-init'].command[0].replace('--cluster-replicas 1', '--cluster-replicas 0') }), /does not run redis-cli --cluster create/],
  ['the init joining five nodes', mutate((s) => { s['redis-cluster-init'].command[0] = s['redis-cluster-init'].command[0].replace('for n in 1 2 3 4 5 6', 'for n in 1 2 3 4 5') }), /joins redis-node-1, .*redis-node-5, not the six nodes/],
  ['instances on a single Redis', mutate((s) => { delete s['api-1'].environment.REDIS_CLUSTER_NODES; s['api-1'].environment.REDIS_URL = 'redis://redis:6379' }),
    /api-1: REDIS_CLUSTER_NODES is not the six[\s\S]*api-1 sets REDIS_URL/],
  ['trusting every proxy', mutate((s) => { s['api-2'].environment.TRUST_PROXY = 'true' }), /api-2: TRUST_PROXY must trust HAProxy only/],
  ['an instance published', mutate((s) => { s['api-3'].ports = ['3001:3000'] }), /api-3 publishes a port/],
  ['a port clash with the default api', mutate((s) => { s.lb.ports = ['3000:8080'] }), /lb publishes host port 3000, already published by api/],
  ['HAProxy on another port', mutate((_s, i) => { i.haproxy = i.haproxy.replaceAll(':3000', ':8080') }), /HAProxy's servers are api-1:8080/],
  ['HAProxy missing an instance', mutate((_s, i) => { i.haproxy = i.haproxy.replace(/^\s*server api-3 .*$/m, '') }), /HAProxy's servers are api-1:3000, api-2:3000, not/],
  ['HAProxy checking /health', mutate((_s, i) => { i.haproxy = i.haproxy.replace('uri /ready', 'uri /health') }), /does not health-check GET \/ready/],
  ['HAProxy without redispatch', mutate((_s, i) => { i.haproxy = i.haproxy.replace(/^\s*option redispatch.*$/m, '') }), /does not redispatch/],
  ['HAProxy not retrying a 503', mutate((_s, i) => { i.haproxy = i.haproxy.replace(/( 503)$/m, '') }), /does not retry on 503/],
  ['HAProxy without X-Forwarded-For', mutate((_s, i) => { i.haproxy = i.haproxy.replace(/^\s*option forwardfor.*$/m, '') }), /does not send X-Forwarded-For/],
  ['lb publishing the wrong port', mutate((s) => { s.lb.ports = ['8080:80'] }), /lb does not publish HAProxy's bind port 8080/],
  ['lb without the config', mutate((s) => { s.lb.volumes = [] }), /lb does not mount deploy\/compose\/haproxy\.cfg/]
]

test('each compose check fails on files that break it', async (t) => {
  for (const [what, broken, expected] of BREAKAGES) {
    t.match(composeProblems(broken).join('\n'), expected, what)
  }
})

test('the default profile is what it was: MySQL, Redis and the API on 3306, 6379 and 3000', async (t) => {
  const { services } = inputs.compose
  t.same(published(services.mysql), [['127.0.0.1', 3306, 3306]])
  t.same(published(services.redis), [['127.0.0.1', 6379, 6379]])
  t.same(published(services.api), [['0.0.0.0', 3000, 3000]])
  t.same(environmentOf(services.api).REDIS_URL, 'redis://redis:6379')
  t.same(services.seed.profiles, ['seed'])
})

// .ci/run installs HAProxy (for the topology tests); the check needs only the binary.
const haproxy = spawnSync('haproxy', ['-v'], { encoding: 'utf8' }).status === 0
test('haproxy -c accepts deploy/compose/haproxy.cfg', { skip: haproxy ? false : 'haproxy not installed (apt-get install haproxy; .ci/run does)' }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'farmlokal-haproxy-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  /** `haproxy -c` on a copy whose api-N names (resolvable only inside compose) are 127.0.0.1. */
  const check = (text: string): { status: number | null, output: string } => {
    const file = path.join(dir, 'haproxy.cfg')
    writeFileSync(file, text.replace(/^(\s*server\s+\S+\s+)api-\d+(:\d+)/gm, '$1127.0.0.1$2'))
    const run = spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8' })
    return { status: run.status, output: `${run.stdout}${run.stderr}` }
  }
  const good = check(inputs.haproxy)
  t.equal(good.status, 0, good.output)
  t.notMatch(good.output, /\[(WARNING|ALERT)\]/, 'no warnings')
  const bad = check(inputs.haproxy.replace('retry-on conn-failure', 'retry-on conn-trouble'))
  t.not(bad.status, 0, 'a broken configuration is refused')
})

// Compose's own validation when a Compose CLI is on the machine: the v2 plugin (`docker compose`)
// or Debian's docker-compose (.ci/run installs it). `config -q` parses the file against the
// Compose schema, interpolates it and resolves profiles and dependencies, without an engine.
function composeCli (): string[] | undefined {
  if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0) return ['docker', 'compose']
  if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0) return ['docker-compose']
  return undefined
}
const cli = composeCli()
test('the Compose CLI accepts compose.yaml with and without the scale profile', { skip: cli === undefined ? 'no Compose CLI (apt-get install docker-compose; .ci/run does)' : false }, async (t) => {
  const [command, ...base] = cli ?? []
  const run = (dir: string, args: string[]): { status: number | null, output: string } => {
    const r = spawnSync(command, [...base, ...args, 'config', '-q'], { cwd: dir, encoding: 'utf8' })
    return { status: r.status, output: `${r.stdout}${r.stderr}` }
  }
  for (const args of [[], ['--profile', 'scale'], ['--profile', 'seed']]) {
    const r = run(ROOT, args)
    t.equal(r.status, 0, `config ${args.join(' ') || '(default profile)'}: ${r.output}`)
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'farmlokal-compose-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(path.join(dir, 'compose.yaml'), readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8').replace(/^ {4}image: redis:7$/m, '    image: [redis:7'))
  t.not(run(dir, []).status, 0, 'a broken file is refused')
})
