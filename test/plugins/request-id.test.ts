import { test } from 'tap'
import { build } from '../helper.js'

type Logs = Array<Record<string, unknown>>

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The request ids the log lines of one request were written with. */
function loggedIds (logs: Logs, url: string): unknown[] {
  const first = logs.find((l) => (l.req as { url?: string } | undefined)?.url === url)
  return first === undefined ? [] : logs.filter((l) => l.reqId === first.reqId).map((l) => l.reqId)
}

test('a short, plain x-request-id is the request id: echoed, in the problem body and in the logs', async (t) => {
  const logs: Logs = []
  const app = await build(t, {}, { logs })
  for (const id of ['trace-abc-123', 'a', '00f067aa0ba902b7:01.2_x', 'x'.repeat(64)]) {
    const url = `/api/not-a-route?id=${id.length}`
    const res = await app.inject({ url, headers: { 'x-request-id': id } })
    t.equal(res.headers['x-request-id'], id, `${id.slice(0, 20)} echoed`)
    t.equal(res.json().requestId, id, 'named in the problem body')
    const ids = loggedIds(logs, url)
    t.ok(ids.length > 0, 'the request is logged')
    t.ok(ids.every((logged) => logged === id), 'under the caller\'s id')
  }
})

test('a long or unsafe x-request-id is replaced by a generated UUID', async (t) => {
  const logs: Logs = []
  const app = await build(t, {}, { logs })
  const refused = [
    'x'.repeat(65), // too long
    '', // empty
    'abc def', // space
    'abc\tdef', // control character
    'id"><script>', // markup
    'a/b', // path
    'ünïcode', // beyond ASCII
    'one, two' // two headers joined by Node
  ]
  for (const [i, id] of refused.entries()) {
    const url = `/api/not-a-route?case=${i}`
    const res = await app.inject({ url, headers: { 'x-request-id': id } })
    const echoed = res.headers['x-request-id']
    t.match(echoed, UUID, `case ${i}: a UUID instead`)
    t.not(echoed, id)
    t.equal(res.json().requestId, echoed, 'the body names the same id')
    const ids = loggedIds(logs, url)
    t.ok(ids.length > 0 && ids.every((logged) => logged === echoed), 'and the logs carry it, never the given value')
  }
})

test('two x-request-id headers are replaced, and each request without one gets its own UUID', async (t) => {
  const app = await build(t)
  const repeated = await app.inject({ url: '/health', headers: { 'x-request-id': ['one', 'two'] } })
  t.match(repeated.headers['x-request-id'], UUID)
  const a = await app.inject('/health')
  const b = await app.inject('/health')
  t.match(a.headers['x-request-id'], UUID)
  t.match(b.headers['x-request-id'], UUID)
  t.not(a.headers['x-request-id'], b.headers['x-request-id'])
})
