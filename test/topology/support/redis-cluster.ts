// A Redis Cluster of the test's own: 3 masters and 3 replicas of `redis-server` on spare ports in a
// temporary directory, never the shared Redis on 6379. Everything is killed and removed when the
// test that started it ends.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { type Teardown, freePort, waitFor, within } from '../../reliability/support.js'

export interface ClusterNodeProcess {
  port: number
  /** The node's cluster id (40 hex digits). */
  id: string
  running: () => boolean
  /** SIGKILL: no goodbye to clients or to the other nodes. */
  kill: () => Promise<void>
}

/** One line of CLUSTER NODES. */
export interface NodeView {
  id: string
  port: number
  flags: string[]
  /** The master's id for a replica, else '-'. */
  masterId: string
  /** Slot ranges served (masters), e.g. [[0, 5460]]. */
  slots: Array<[number, number]>
}

export interface RedisCluster {
  nodes: ClusterNodeProcess[]
  /** REDIS_CLUSTER_NODES for the service: every node as a seed. */
  seedNodes: string
  /** CLUSTER NODES as node `port` sees it. */
  view: (port: number) => Promise<NodeView[]>
  /** The hash slot of a (full, prefixed) key. */
  slotOf: (key: string) => Promise<number>
  /** The node currently serving `slot` as master, as node `port` sees it. */
  masterOf: (slot: number, port: number) => Promise<NodeView | undefined>
}

/** Node timeout: how long a silent master takes to be judged failed (then its replica is promoted). */
export const NODE_TIMEOUT_MS = 1000

async function command (port: number, ...args: Array<string | number>): Promise<unknown> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000, commandTimeout: 2000 })
  client.on('error', () => {})
  try {
    await client.connect()
    return await client.call(String(args[0]), ...args.slice(1).map(String))
  } finally {
    client.disconnect()
  }
}

function parseNodes (text: string): NodeView[] {
  return text.trim().split('\n').filter((line) => line !== '').map((line) => {
    const parts = line.split(' ')
    const slots: Array<[number, number]> = []
    for (const range of parts.slice(8)) {
      if (range.startsWith('[')) continue // a slot being migrated
      const [from, to] = range.split('-').map(Number)
      slots.push([from, to ?? from])
    }
    return { id: parts[0], port: Number(parts[1].split(':')[1].split('@')[0]), flags: parts[2].split(','), masterId: parts[3], slots }
  })
}

async function startNode (dir: string, port: number, busPort: number): Promise<{ child: ChildProcess, exited: Promise<unknown> }> {
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-port', String(busPort),
    '--cluster-config-file', path.join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', String(NODE_TIMEOUT_MS),
    '--dir', dir, '--save', '', '--appendonly', 'no'
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = once(child, 'exit')
  let output = ''
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8')
      if (output.includes('Ready to accept connections')) resolve()
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => reject(new Error(`redis-server ${port} exited (${String(code)}) before it was ready: ${output.slice(-500)}`)))
    child.once('error', reject)
  })
  await within(15_000, `redis-server ${port} start-up`, ready)
  return { child, exited }
}

/**
 * Starts six cluster-enabled nodes (each with its cluster bus on a spare port of its own), joins
 * them with `redis-cli --cluster create --cluster-replicas 1`, and resolves once every node
 * reports `cluster_state:ok`, knows all six, and every replica's link to its master is up (so a
 * replica can be promoted).
 */
export async function startRedisCluster (t: Teardown): Promise<RedisCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fl-redis-cluster-'))
  const started: Array<{ port: number, child: ChildProcess, exited: Promise<unknown> }> = []
  t.teardown(async () => {
    for (const node of started) {
      if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL')
    }
    await within(10_000, 'redis cluster exit', Promise.all(started.map(async (node) => await node.exited)))
    rmSync(dir, { recursive: true, force: true })
  })

  const ports = new Set<number>()
  while (ports.size < 12) ports.add(await freePort())
  const [dataPorts, busPorts] = [[...ports].slice(0, 6), [...ports].slice(6)]
  for (const [i, port] of dataPorts.entries()) {
    started.push({ port, ...await startNode(dir, port, busPorts[i]) })
  }

  const create = spawn('redis-cli', ['--cluster', 'create', ...dataPorts.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let createOutput = ''
  create.stdout.on('data', (chunk: Buffer) => { createOutput += chunk.toString('utf8') })
  create.stderr.on('data', (chunk: Buffer) => { createOutput += chunk.toString('utf8') })
  const [code] = await within(60_000, 'redis-cli --cluster create', once(create, 'exit') as Promise<[number | null]>)
  if (code !== 0) throw new Error(`redis-cli --cluster create failed (${String(code)}): ${createOutput.slice(-1000)}`)

  await waitFor(async () => {
    for (const port of dataPorts) {
      const info = String(await command(port, 'CLUSTER', 'INFO'))
      if (!/^cluster_state:ok\r?$/m.test(info) || !/^cluster_known_nodes:6\r?$/m.test(info)) return false
      const replication = String(await command(port, 'INFO', 'replication'))
      if (/^role:slave\r?$/m.test(replication) && !/^master_link_status:up\r?$/m.test(replication)) return false
    }
    return true
  }, { timeoutMs: 60_000, intervalMs: 200, what: 'every cluster node to report cluster_state:ok with its replicas in sync' })

  const view = async (port: number): Promise<NodeView[]> => parseNodes(String(await command(port, 'CLUSTER', 'NODES')))
  const ids = new Map((await view(dataPorts[0])).map((n) => [n.port, n.id]))
  const nodes = started.map((node): ClusterNodeProcess => ({
    port: node.port,
    id: ids.get(node.port) ?? '',
    running: () => node.child.exitCode === null && node.child.signalCode === null,
    kill: async () => {
      if (node.child.exitCode !== null || node.child.signalCode !== null) return
      node.child.kill('SIGKILL')
      await within(5_000, `redis-server ${node.port} exit`, node.exited)
    }
  }))

  return {
    nodes,
    seedNodes: dataPorts.map((p) => `127.0.0.1:${p}`).join(','),
    view,
    slotOf: async (key) => Number(await command(nodes.find((n) => n.running())?.port ?? dataPorts[0], 'CLUSTER', 'KEYSLOT', key)),
    masterOf: async (slot, port) => (await view(port)).find((n) =>
      n.flags.includes('master') && !n.flags.includes('fail') && n.slots.some(([from, to]) => slot >= from && slot <= to))
  }
}

/** Whether redis-server can run a cluster here (the binary exists). */
export function redisServerAvailable (): boolean {
  return spawnSync('redis-server', ['--version']).status === 0
}
