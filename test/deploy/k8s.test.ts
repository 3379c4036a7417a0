// The Kubernetes manifests in deploy/k8s, checked without a cluster: each object against the
// Kubernetes OpenAPI schema of its kind (kubernetes-models), then the fields that make the set
// work together and with the service (probes, shutdown timing, selectors, env, ports, memory).
// One file past ~200 lines: the checks and the manifests they break are read side by side.
import { test } from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import path from 'node:path'
import { parse, parseAllDocuments } from 'yaml'
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { Service } from 'kubernetes-models/v1/Service'
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap'
import { Secret } from 'kubernetes-models/v1/Secret'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor'
import { ConfigSchema, loadConfig, type Config } from '../../src/config.js'
import { SHUTDOWN_LIMIT_MS } from '../../src/server.js'
import { readDockerfile, type DockerStage } from './dockerfile.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const K8S_DIR = path.join(ROOT, 'deploy/k8s')

/** Read by src/telemetry.ts and the OpenTelemetry SDK, not by src/config.ts (docs/operations.md). */
const OTHER_ENV = /^OTEL_/
/** Values that must come from the Secret, never the ConfigMap. */
const SECRET_KEYS = ['WEBHOOK_SECRET', 'OAUTH_CLIENT_ID', 'OAUTH_CLIENT_SECRET', 'MYSQL_URL', 'MYSQL_READ_URL']
/** Room for what lives outside V8's heap (code, stacks, buffers) above the heap cap. */
const OFF_HEAP_MIB = 96
/** MySQL's default max_connections (151) less one for an administrator. */
const MYSQL_MAX_CONNECTIONS = 150

type Obj = Record<string, any>
interface Manifest { file: string, text: string, object: Obj }
interface Inputs {
  manifests: Manifest[]
  kustomization: Obj
  /** The runtime stage of the Dockerfile. */
  docker: DockerStage
  startScript: string
  /** The job the Prometheus rules and dashboard select (deploy/prometheus/prometheus.yml). */
  prometheusJob: string
}

function readInputs (): Inputs {
  const kustomization = parse(readFileSync(path.join(K8S_DIR, 'kustomization.yaml'), 'utf8'))
  const manifests: Manifest[] = []
  for (const file of readdirSync(K8S_DIR).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort()) {
    const text = readFileSync(path.join(K8S_DIR, file), 'utf8')
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`)
      const object = doc.toJS()
      if (object !== null) manifests.push({ file, text, object })
    }
  }
  const prometheus = parse(readFileSync(path.join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8'))
  return {
    manifests,
    kustomization,
    docker: readDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))[''],
    startScript: JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start,
    prometheusJob: prometheus.scrape_configs[0].job_name
  }
}

const MODELS: Record<string, new (data: any) => { validate: () => void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor
}

/** Schema errors of every object, by file and kind; an apiVersion/kind with no model is one too. */
function schemaProblems (manifests: Manifest[]): string[] {
  const problems: string[] = []
  for (const { file, object } of manifests) {
    const Model = MODELS[`${object.apiVersion}/${object.kind}`]
    if (Model === undefined) { problems.push(`${file}: no schema for ${object.apiVersion} ${object.kind}`); continue }
    try {
      new Model(object).validate()
    } catch (err) {
      problems.push(`${file}: ${object.kind} ${(err as Error).message}`)
    }
  }
  return problems
}

/** Every manifest file is a kustomization resource and every resource exists. */
function listingProblems (inputs: Inputs, files: string[]): string[] {
  const listed: string[] = inputs.kustomization.resources ?? []
  return [
    ...files.filter((f) => !listed.includes(f)).map((f) => `kustomization.yaml does not list ${f}`),
    ...listed.filter((f) => !files.includes(f)).map((f) => `kustomization.yaml lists ${f}, which does not exist`)
  ]
}

const mebibytes = (q: string): number => {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(String(q))
  if (m === null) return Number.NaN
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, K: 1e3, M: 1e6, G: 1e9, '': 1 }[m[2] ?? '']!
  return Number(m[1]) * unit / 2 ** 20
}
const millicores = (q: string | number): number => /m$/.test(String(q)) ? Number.parseInt(String(q), 10) : Number(q) * 1000
const flag = (args: string, name: string): number | undefined => {
  const m = new RegExp(`--${name}=(\\d+)`).exec(args)
  return m === null ? undefined : Number(m[1])
}
/** Every label the selector asks for is on the object (and it asks for at least one). */
const selects = (selector: Obj | undefined, labels: Obj | undefined): boolean =>
  selector !== undefined && Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels?.[k] === v)
/** `KEY: value` lines commented out in a manifest: documented alternatives (REDIS_CLUSTER_NODES). */
const commentedEnv = (text: string): Record<string, string> =>
  Object.fromEntries([...text.matchAll(/^\s*#\s*([A-Z][A-Z0-9_]*):\s*(\S+)\s*$/gm)].map((m) => [m[1], m[2]]))

/** The consistency checks; an empty list when the set works together. */
function fieldProblems (inputs: Inputs): string[] {
  const problems: string[] = []
  const fail = (message: string): void => { problems.push(message) }
  const of = (kind: string): Manifest[] => inputs.manifests.filter((m) => m.object.kind === kind)
  const [deploymentManifest] = of('Deployment')
  if (deploymentManifest === undefined || of('Deployment').length > 1) return ['expected exactly one Deployment']
  const deployment = deploymentManifest.object
  const pod = deployment.spec?.template ?? {}
  const podLabels: Obj = pod.metadata?.labels ?? {}
  const containers: Obj[] = pod.spec?.containers ?? []
  if (containers.length !== 1) return ['expected exactly one container in the Deployment']
  const container = containers[0]
  const replicas: number = deployment.spec?.replicas ?? 1

  // Ports: the container port is the image's EXPOSE and the service's PORT.
  const httpPort = (container.ports ?? []).find((p: Obj) => p.name === 'http')
  if (httpPort === undefined) fail('the container has no port named http')
  const portNumber: number | undefined = httpPort?.containerPort
  if (!inputs.docker.expose.includes(portNumber as number)) fail(`container port ${portNumber} is not the Dockerfile's EXPOSE ${inputs.docker.expose.join(' ')}`)
  const resolvesToHttp = (port: unknown): boolean => port === 'http' || port === portNumber

  // Probes.
  for (const [probe, want] of [['livenessProbe', '/health'], ['readinessProbe', '/ready'], ['startupProbe', '/health']] as const) {
    const get = container[probe]?.httpGet
    if (probe === 'startupProbe' && container[probe] === undefined) continue
    if (get?.path !== want) fail(`${probe} does not GET ${want} (it has ${get?.path})`)
    if (!resolvesToHttp(get?.port)) fail(`${probe} does not probe the container port (${get?.port})`)
  }

  // Shutdown: preStop sleep, then the service's own bound, within the grace period.
  const preStop = container.lifecycle?.preStop
  const execSleep = /(?:^|\s)sleep\s+(\d+)/.exec((preStop?.exec?.command ?? []).join(' '))
  const sleepSeconds: number = preStop?.sleep?.seconds ?? (execSleep === null ? 0 : Number(execSleep[1]))
  if (!(sleepSeconds > 0)) fail('no preStop sleep: SIGTERM would race the endpoint removal')
  const grace: number = pod.spec?.terminationGracePeriodSeconds ?? 30
  if (sleepSeconds + SHUTDOWN_LIMIT_MS / 1000 >= grace) {
    fail(`terminationGracePeriodSeconds ${grace} is not longer than the preStop sleep (${sleepSeconds} s) + the shutdown bound (${SHUTDOWN_LIMIT_MS / 1000} s)`)
  }

  // Memory against the heap flags of the image (and npm start, which must agree).
  const cmd = inputs.docker.cmd.join(' ')
  const oldSpace = flag(cmd, 'max-old-space-size')
  const semiSpace = flag(cmd, 'max-semi-space-size') ?? 16
  if (oldSpace === undefined) fail('the Dockerfile CMD sets no --max-old-space-size')
  if (oldSpace !== flag(inputs.startScript, 'max-old-space-size') || semiSpace !== (flag(inputs.startScript, 'max-semi-space-size') ?? 16)) {
    fail('the Dockerfile CMD and `npm start` disagree on the heap flags')
  }
  if (container.command !== undefined || container.args !== undefined) fail('the container overrides the image CMD (and its heap flags)')
  const heap = (oldSpace ?? 0) + 3 * semiSpace // the young generation is three semi-spaces
  const limit = mebibytes(container.resources?.limits?.memory)
  const request = mebibytes(container.resources?.requests?.memory)
  if (!(limit >= heap + OFF_HEAP_MIB)) fail(`memory limit ${container.resources?.limits?.memory} leaves under ${OFF_HEAP_MIB} MiB above the ${heap} MiB heap cap`)
  if (!(limit <= 4 * heap)) fail(`memory limit ${container.resources?.limits?.memory} is far above what the ${heap} MiB heap cap can use`)
  if (!(request >= heap && request <= limit)) fail(`memory request ${container.resources?.requests?.memory} is not between the heap cap (${heap} MiB) and the limit`)
  if (!(millicores(container.resources?.requests?.cpu) > 0)) fail('no CPU request: the HPA has nothing to measure utilisation against')

  // Security.
  const podSecurity = pod.spec?.securityContext ?? {}
  const security = container.securityContext ?? {}
  if ((security.runAsNonRoot ?? podSecurity.runAsNonRoot) !== true) fail('runAsNonRoot is not set')
  if (!((security.runAsUser ?? podSecurity.runAsUser) > 0)) fail('runAsUser is not a numeric non-root uid')
  if (security.readOnlyRootFilesystem !== true) fail('the root filesystem is writable')
  if (security.allowPrivilegeEscalation !== false) fail('privilege escalation is allowed')
  if (!(security.capabilities?.drop ?? []).includes('ALL')) fail('capabilities are not dropped')

  // Spread over nodes.
  const spread = (pod.spec?.topologySpreadConstraints ?? [])
    .some((c: Obj) => c.topologyKey === 'kubernetes.io/hostname' && selects(c.labelSelector?.matchLabels, podLabels))
  const antiAffinity = [
    ...(pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(pod.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p: Obj) => p.podAffinityTerm)
  ].some((term: Obj) => term?.topologyKey === 'kubernetes.io/hostname' && selects(term.labelSelector?.matchLabels, podLabels))
  if (!spread && !antiAffinity) fail('the pods are not spread over nodes (topologySpreadConstraints or pod anti-affinity on the pod labels)')

  // Image: the kustomization pins it.
  const image = inputs.kustomization.images?.find((i: Obj) => i.name === container.image)
  if (image === undefined) fail(`kustomization.yaml does not set the image ${container.image}`)
  else if (image.newTag === undefined || image.newTag === 'latest') fail('kustomization.yaml does not pin the image tag')

  // Selectors.
  if (!selects(deployment.spec?.selector?.matchLabels, podLabels)) fail('the Deployment selector does not match its pod labels')
  const [service] = of('Service').map((m) => m.object)
  if (service === undefined) fail('no Service')
  else {
    if (!selects(service.spec?.selector, podLabels)) fail('the Service selector does not match the pod labels')
    for (const p of service.spec?.ports ?? []) if (!resolvesToHttp(p.targetPort)) fail(`Service port ${p.name} targets ${p.targetPort}, not the container port`)
  }
  const [pdb] = of('PodDisruptionBudget').map((m) => m.object)
  if (pdb === undefined) fail('no PodDisruptionBudget')
  else {
    if (!selects(pdb.spec?.selector?.matchLabels, podLabels)) fail('the PodDisruptionBudget selector does not match the pod labels')
    const { maxUnavailable, minAvailable } = pdb.spec ?? {}
    const allows = typeof maxUnavailable === 'number' ? maxUnavailable >= 1 && maxUnavailable < replicas : typeof minAvailable === 'number' && minAvailable < replicas
    if (!allows) fail('the PodDisruptionBudget blocks every drain or allows every pod down')
  }
  const [hpa] = of('HorizontalPodAutoscaler').map((m) => m.object)
  if (hpa === undefined) fail('no HorizontalPodAutoscaler')
  else {
    const ref = hpa.spec?.scaleTargetRef ?? {}
    if (ref.kind !== 'Deployment' || ref.name !== deployment.metadata?.name || ref.apiVersion !== 'apps/v1') fail('the HPA does not target the Deployment')
    const cpu = (hpa.spec?.metrics ?? []).find((m: Obj) => m.type === 'Resource' && m.resource?.name === 'cpu')
    const utilisation = cpu?.resource?.target?.averageUtilization
    if (!(utilisation > 0 && utilisation <= 90)) fail('the HPA has no CPU utilisation target (1-90%)')
    if (hpa.spec?.minReplicas !== replicas) fail(`the HPA minimum (${hpa.spec?.minReplicas}) is not the Deployment's replicas (${replicas})`)
    if (!(hpa.spec?.minReplicas >= 2 && hpa.spec?.maxReplicas > hpa.spec?.minReplicas)) fail('the HPA range is not 2+ .. more than the minimum')
  }
  const [monitor] = of('ServiceMonitor').map((m) => m.object)
  if (monitor === undefined) fail('no ServiceMonitor')
  else if (service !== undefined) {
    if (!selects(monitor.spec?.selector?.matchLabels, service.metadata?.labels)) fail('the ServiceMonitor does not select the Service')
    const job = monitor.spec?.jobLabel === undefined ? service.metadata?.name : service.metadata?.labels?.[monitor.spec.jobLabel]
    if (job !== inputs.prometheusJob) fail(`the scrape job would be ${job}, not ${inputs.prometheusJob} (the rules and dashboard select it)`)
    const servicePorts = (service.spec?.ports ?? []).map((p: Obj) => p.name)
    for (const e of monitor.spec?.endpoints ?? [{}]) {
      if (!servicePorts.includes(e.port)) fail(`the ServiceMonitor scrapes port ${e.port}, which the Service does not name`)
      if (e.path !== '/metrics') fail(`the ServiceMonitor scrapes ${e.path}, not /metrics`)
    }
  }

  // Environment: every name is the service's, and the whole is one it starts with.
  const sources = (container.envFrom ?? []) as Obj[]
  const env: Record<string, string> = { ...inputs.docker.env }
  const alternatives: Record<string, string> = {}
  const named: string[] = []
  for (const source of sources) {
    const kind = source.configMapRef !== undefined ? 'ConfigMap' : 'Secret'
    const name = (source.configMapRef ?? source.secretRef)?.name
    const manifest = of(kind).find((m) => m.object.metadata?.name === name)
    if (manifest === undefined) { fail(`envFrom names ${kind} ${name}, which is not in the set`); continue }
    const { data = {}, stringData = {} } = manifest.object
    const values: Record<string, string> = kind === 'Secret'
      ? { ...Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString()])), ...stringData }
      : data
    Object.assign(env, values)
    Object.assign(alternatives, commentedEnv(manifest.text))
    named.push(...Object.keys(values), ...Object.keys(commentedEnv(manifest.text)))
    if (kind === 'ConfigMap') for (const k of SECRET_KEYS.filter((k) => k in values)) fail(`${k} is in the ConfigMap; it belongs in the Secret`)
    if (kind === 'Secret') {
      for (const [k, v] of Object.entries(values)) {
        const text = k === 'WEBHOOK_SECRET' ? v.split(/\s+/).map((s) => Buffer.from(s.replace(/^whsec_/, ''), 'base64').toString()).join(' ') : v
        if (!text.includes('REPLACE-ME')) fail(`the example Secret's ${k} is not marked as a placeholder (REPLACE-ME)`)
      }
    }
  }
  for (const e of container.env ?? []) { named.push(e.name); if (typeof e.value === 'string') env[e.name] = e.value }
  const known = Object.keys(ConfigSchema.properties)
  for (const name of new Set(named)) if (!known.includes(name) && !OTHER_ENV.test(name)) fail(`${name} is not a variable of src/config.ts`)
  if (env.MYSQL_URL === undefined) fail('MYSQL_URL is not set (the default is 127.0.0.1, which has no MySQL in a pod)')
  if (env.REDIS_URL === undefined && env.REDIS_CLUSTER_NODES === undefined) fail('neither REDIS_URL nor REDIS_CLUSTER_NODES is set')
  for (const k of ['MYSQL_URL', 'MYSQL_READ_URL', 'REDIS_URL', 'REDIS_CLUSTER_NODES']) {
    if (/127\.0\.0\.1|localhost/.test(env[k] ?? '')) fail(`${k} points at the pod itself`)
  }
  if (env.PORT !== undefined && Number(env.PORT) !== portNumber) fail(`PORT ${env.PORT} is not the container port ${portNumber}`)
  let config: Config | undefined
  for (const [label, candidate] of [['the pods', env], ...Object.entries(alternatives).map(([k, v]) => [`with ${k} uncommented`, { ...env, [k]: v }])] as Array<[string, Record<string, string>]>) {
    try {
      const loaded = loadConfig(candidate)
      if (candidate === env) config = loaded
    } catch (err) {
      fail(`src/config.ts refuses the environment of ${label}: ${(err as Error).message}`)
    }
  }
  // Each pod's primary pool at the autoscaler's ceiling must fit in MySQL's connections.
  const pool = config?.MYSQL_POOL_SIZE ?? 0
  if (hpa !== undefined && hpa.spec?.maxReplicas * pool > MYSQL_MAX_CONNECTIONS) {
    fail(`${hpa.spec.maxReplicas} pods x MYSQL_POOL_SIZE ${pool} = ${hpa.spec.maxReplicas * pool} connections to the MySQL primary, over ${MYSQL_MAX_CONNECTIONS}`)
  }
  return problems
}

const inputs = readInputs()
const manifestFiles = [...new Set(inputs.manifests.map((m) => m.file))]

test('every manifest in deploy/k8s parses and kustomization.yaml lists exactly them', async (t) => {
  t.same(listingProblems(inputs, manifestFiles), [])
  t.same(inputs.manifests.map((m) => m.object.kind).sort(),
    ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Secret', 'Service', 'ServiceMonitor'])
  t.match(listingProblems(inputs, [...manifestFiles, 'ingress.yaml']), ['kustomization.yaml does not list ingress.yaml'])
  t.match(listingProblems(inputs, manifestFiles.filter((f) => f !== 'pdb.yaml')), ['kustomization.yaml lists pdb.yaml, which does not exist'])
})

test('every object passes the Kubernetes OpenAPI schema of its kind', async (t) => {
  t.same(schemaProblems(inputs.manifests), [])
  // The schema check catches wrong types and unknown kinds.
  const broken = structuredClone(inputs.manifests)
  broken.find((m) => m.object.kind === 'Deployment')!.object.spec.replicas = 'three'
  broken.find((m) => m.object.kind === 'ServiceMonitor')!.object.spec.endpoints[0].interval = 15
  broken.push({ file: 'x.yaml', text: '', object: { apiVersion: 'extensions/v1beta1', kind: 'Ingress' } })
  const problems = schemaProblems(broken)
  t.match(problems, [/deployment\.yaml: Deployment .*replicas must be integer/, /servicemonitor\.yaml: ServiceMonitor .*interval must be string/, /no schema for extensions\/v1beta1 Ingress/])
})

test('the manifests work together and with the service', async (t) => {
  t.same(fieldProblems(inputs), [])
})

/** A copy of the inputs with one object changed. */
function mutate (kind: string, change: (object: Obj, manifest: Manifest) => void, more?: (inputs: Inputs) => void): Inputs {
  const copy = structuredClone(inputs)
  const manifest = copy.manifests.find((m) => m.object.kind === kind)!
  change(manifest.object, manifest)
  more?.(copy)
  return copy
}
const containerOf = (d: Obj): Obj => d.spec.template.spec.containers[0]

const BREAKAGES: Array<[string, Inputs, RegExp]> = [
  ['liveness probe on /ready', mutate('Deployment', (d) => { containerOf(d).livenessProbe.httpGet.path = '/ready' }), /livenessProbe does not GET \/health/],
  ['readiness probe on /health', mutate('Deployment', (d) => { containerOf(d).readinessProbe.httpGet.path = '/health' }), /readinessProbe does not GET \/ready/],
  ['readiness probe on another port', mutate('Deployment', (d) => { containerOf(d).readinessProbe.httpGet.port = 8080 }), /readinessProbe does not probe the container port/],
  ['startup probe on /metrics', mutate('Deployment', (d) => { containerOf(d).startupProbe.httpGet.path = '/metrics' }), /startupProbe does not GET \/health/],
  ['container port not the EXPOSE', mutate('Deployment', (d) => { containerOf(d).ports[0].containerPort = 8080 }), /container port 8080 is not the Dockerfile's EXPOSE 3000/],
  ['image EXPOSE moved', mutate('Deployment', () => {}, (i) => { i.docker.expose = [8080] }), /container port 3000 is not the Dockerfile's EXPOSE 8080/],
  ['no preStop', mutate('Deployment', (d) => { delete containerOf(d).lifecycle }), /no preStop sleep/],
  ['grace period too short', mutate('Deployment', (d) => { d.spec.template.spec.terminationGracePeriodSeconds = 15 }), /terminationGracePeriodSeconds 15 is not longer than .*5 s.*10 s/],
  ['exec sleep too long', mutate('Deployment', (d) => { containerOf(d).lifecycle.preStop = { exec: { command: ['sleep', '12'] } } }), /preStop sleep \(12 s\)/],
  ['memory limit under the heap', mutate('Deployment', (d) => { containerOf(d).resources.limits.memory = '200Mi' }), /memory limit 200Mi leaves under 96 MiB/],
  ['memory limit far above the heap', mutate('Deployment', (d) => { containerOf(d).resources.limits.memory = '2Gi' }), /memory limit 2Gi is far above/],
  ['memory request under the heap cap', mutate('Deployment', (d) => { containerOf(d).resources.requests.memory = '128Mi' }), /memory request 128Mi/],
  ['heap flags dropped from npm start', mutate('Deployment', () => {}, (i) => { i.startScript = 'node dist/src/server.js' }), /disagree on the heap flags/],
  ['CMD overridden', mutate('Deployment', (d) => { containerOf(d).args = ['dist/src/server.js'] }), /overrides the image CMD/],
  ['no CPU request', mutate('Deployment', (d) => { delete containerOf(d).resources.requests.cpu }), /no CPU request/],
  ['runs as root', mutate('Deployment', (d) => { d.spec.template.spec.securityContext.runAsUser = 0 }), /runAsUser is not a numeric non-root uid/],
  ['writable root filesystem', mutate('Deployment', (d) => { containerOf(d).securityContext.readOnlyRootFilesystem = false }), /root filesystem is writable/],
  ['no spread', mutate('Deployment', (d) => { delete d.spec.template.spec.topologySpreadConstraints }), /not spread over nodes/],
  ['image not pinned', mutate('Deployment', () => {}, (i) => { i.kustomization.images[0].newTag = 'latest' }), /does not pin the image tag/],
  ['pod labels renamed', mutate('Deployment', (d) => { d.spec.template.metadata.labels['app.kubernetes.io/component'] = 'web' }),
    /Deployment selector does not match[\s\S]*Service selector does not match[\s\S]*PodDisruptionBudget selector does not match/],
  ['Service targets a wrong port', mutate('Service', (s) => { s.spec.ports[0].targetPort = 8080 }), /targets 8080, not the container port/],
  ['PDB allows nothing', mutate('PodDisruptionBudget', (p) => { p.spec.maxUnavailable = 0 }), /blocks every drain/],
  ['HPA targets another Deployment', mutate('HorizontalPodAutoscaler', (h) => { h.spec.scaleTargetRef.name = 'farmlokal-web' }), /HPA does not target the Deployment/],
  ['HPA not on CPU', mutate('HorizontalPodAutoscaler', (h) => { h.spec.metrics[0].resource.name = 'memory' }), /no CPU utilisation target/],
  ['HPA minimum not the replicas', mutate('HorizontalPodAutoscaler', (h) => { h.spec.minReplicas = 2 }), /HPA minimum \(2\) is not the Deployment's replicas \(3\)/],
  ['HPA beyond MySQL connections', mutate('HorizontalPodAutoscaler', (h) => { h.spec.maxReplicas = 30 }), /30 pods x MYSQL_POOL_SIZE 10 = 300/],
  ['ServiceMonitor on another path', mutate('ServiceMonitor', (s) => { s.spec.endpoints[0].path = '/prometheus' }), /scrapes \/prometheus, not \/metrics/],
  ['ServiceMonitor on an unnamed port', mutate('ServiceMonitor', (s) => { s.spec.endpoints[0].port = 'metrics' }), /scrapes port metrics, which the Service does not name/],
  ['ServiceMonitor selects nothing', mutate('ServiceMonitor', (s) => { s.spec.selector.matchLabels = { app: 'farmlokal' } }), /does not select the Service/],
  ['scrape job renamed', mutate('ServiceMonitor', (s) => { s.spec.jobLabel = 'app.kubernetes.io/component' }), /scrape job would be api, not farmlokal/],
  ['unknown variable', mutate('ConfigMap', (c) => { c.data.REDIS_HOST = 'redis' }), /REDIS_HOST is not a variable of src\/config\.ts/],
  ['unknown commented alternative', mutate('ConfigMap', (c, m) => { m.text += '\n  # MYSQL_REPLICA_URL: mysql://r/farmlokal\n' }), /MYSQL_REPLICA_URL is not a variable/],
  ['invalid commented alternative', mutate('Secret', (s, m) => { m.text = m.text.replace('# MYSQL_READ_URL: mysql://', '# MYSQL_READ_URL: postgres://') }), /with MYSQL_READ_URL uncommented: .*MYSQL_READ_URL/],
  ['no MySQL URL', mutate('Secret', (s) => { delete s.stringData.MYSQL_URL }), /MYSQL_URL is not set/],
  ['Redis on localhost', mutate('ConfigMap', (c) => { c.data.REDIS_URL = 'redis://127.0.0.1:6379' }), /REDIS_URL points at the pod itself/],
  ['no webhook secret', mutate('Secret', (s) => { delete s.stringData.WEBHOOK_SECRET }), /refuses the environment of the pods: WEBHOOK_SECRET is required/],
  ['invalid value', mutate('ConfigMap', (c) => { c.data.MYSQL_POOL_SIZE = 'ten' }), /refuses the environment of the pods: invalid configuration: MYSQL_POOL_SIZE/],
  ['secret in the ConfigMap', mutate('ConfigMap', (c) => { c.data.OAUTH_CLIENT_SECRET = 'REPLACE-ME' }), /OAUTH_CLIENT_SECRET is in the ConfigMap/],
  ['a real-looking secret', mutate('Secret', (s) => { s.stringData.OAUTH_CLIENT_SECRET = 's3cr3t' }), /OAUTH_CLIENT_SECRET is not marked as a placeholder/],
  ['missing Secret', mutate('Deployment', (d) => { containerOf(d).envFrom[1].secretRef.name = 'other' }), /envFrom names Secret other/],
  ['PORT not the container port', mutate('ConfigMap', (c) => { c.data.PORT = '8080' }), /PORT 8080 is not the container port 3000/]
]

test('each consistency check fails on manifests that break it', async (t) => {
  for (const [what, broken, expected] of BREAKAGES) {
    t.match(fieldProblems(broken).join('\n'), expected, what)
  }
})

// kubectl's built-in kustomize (any recent kubectl) renders the set offline.
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0
test('kubectl kustomize renders the set with the pinned image', { skip: kubectl ? false : 'kubectl not installed (the renders-offline check needs only its client)' }, async (t) => {
  const out = spawnSync('kubectl', ['kustomize', K8S_DIR], { encoding: 'utf8' })
  t.equal(out.status, 0, out.stderr)
  const rendered = parseAllDocuments(out.stdout).map((d) => d.toJS())
  t.equal(rendered.length, inputs.manifests.length, 'every object rendered')
  const image = inputs.kustomization.images[0]
  const deployment = rendered.find((o) => o.kind === 'Deployment')
  t.equal(containerOf(deployment).image, `${image.newName}:${image.newTag}`)
})

test('the checks read the real Dockerfile and npm start', async (t) => {
  t.ok(existsSync(path.join(ROOT, 'Dockerfile')))
  t.same(inputs.docker.expose, [3000])
  t.equal(inputs.docker.env.NODE_ENV, 'production')
  t.match(inputs.docker.cmd.join(' '), /--max-old-space-size=\d+/)
})
