import { Writable } from 'node:stream'
import { test } from 'tap'
import pino from 'pino'
import Fastify from 'fastify'
import type { FastifyBaseLogger } from 'fastify'
import { deferredChildLogger } from '../../src/lib/request-logger.js'

/** A pino logger writing JSON lines into `lines`, and the number of children made of it. */
function recording (level: string): { logger: FastifyBaseLogger, lines: Array<Record<string, unknown>>, children: () => number } {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
      done()
    }
  })
  const logger = pino({ level }, stream)
  let made = 0
  // Children of children inherit this method (pino's children are prototype copies): all counted.
  const original = logger.child
  logger.child = function (this: typeof logger, bindings, options) { made++; return original.call(this, bindings, options) } as typeof logger.child
  return { logger, lines, children: () => made }
}

test('no child is made while nothing is logged at an enabled level', async (t) => {
  const { logger, lines, children } = recording('warn')
  const log = deferredChildLogger(logger, { reqId: 'r-1' }, {})
  log.info('not at warn')
  log.debug({ a: 1 }, 'nor this')
  log.trace('nor this')
  t.equal(children(), 0, 'disabled levels make no child')
  t.equal(lines.length, 0)
  t.equal(log.level, 'warn', 'the level is the parent\'s')
})

test('the first enabled call makes the child once; lines carry the bindings and redaction', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk: Buffer, _e, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done() } })
  const logger = pino({ level: 'info', redact: { paths: ['*.token'], censor: '[redacted]' } }, stream)
  const log = deferredChildLogger(logger, { reqId: 'r-2' }, {})
  log.info({ auth: { token: 'secret-value' } }, 'first')
  log.error('second')
  t.equal(lines.length, 2)
  t.match(lines[0], { reqId: 'r-2', msg: 'first', auth: { token: '[redacted]' }, level: 30 })
  t.match(lines[1], { reqId: 'r-2', msg: 'second', level: 50 })
  t.notMatch(JSON.stringify(lines), /secret-value/)
})

test('a route\'s own level decides, and a level set later is the child\'s', async (t) => {
  const { logger, lines, children } = recording('info')
  const quiet = deferredChildLogger(logger, { reqId: 'r-3' }, { level: 'warn' })
  quiet.info('below the route level')
  t.equal(children(), 0)
  t.equal(quiet.level, 'warn')
  quiet.level = 'debug'
  t.equal(children(), 1, 'setting the level makes the child')
  quiet.debug('now enabled')
  t.match(lines, [{ reqId: 'r-3', msg: 'now enabled', level: 20 }])
})

test('child() of a request logger keeps the request bindings', async (t) => {
  const { logger, lines } = recording('info')
  const log = deferredChildLogger(logger, { reqId: 'r-4' }, {})
  log.child({ part: 'supplier' }).info('nested')
  t.match(lines, [{ reqId: 'r-4', part: 'supplier', msg: 'nested' }])
})

test('Fastify accepts it as the request logger: request logs carry reqId, quiet requests make no child', async (t) => {
  const { logger, lines, children } = recording('info')
  const app = Fastify({ loggerInstance: logger, childLoggerFactory: deferredChildLogger, disableRequestLogging: true })
  t.teardown(async () => { await app.close() })
  app.get('/quiet', async () => ({ ok: true }))
  app.get('/loud', async (request) => { request.log.warn('handled'); return { ok: true } })
  await app.ready()
  const before = children()
  t.equal((await app.inject('/quiet')).statusCode, 200)
  t.equal(children(), before, 'a request that logs nothing makes no child')
  t.equal((await app.inject('/loud')).statusCode, 200)
  t.equal(children(), before + 1, 'one that logs makes one')
  const line = lines.find((l) => l.msg === 'handled')
  t.match(line, { level: 40, reqId: /^req-/ })
})
