import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { test } from 'tap'
import { CachedPage, etagMatches } from '../../src/lib/cached-page.js'
import { negotiate } from '../../src/lib/content-encoding.js'
import { VersionWatch } from '../../src/lib/version-watch.js'

const BODY = JSON.stringify({ data: Array.from({ length: 20 }, (_, id) => ({ id, name: `Organic Tomatoes ${id} – 1kg`, price: 42.5 })), nextCursor: null })

test('negotiate prefers br, then gzip, honouring q=0 and *', async (t) => {
  t.equal(negotiate(undefined), undefined)
  t.equal(negotiate(''), undefined)
  t.equal(negotiate('gzip, deflate, br, zstd'), 'br')
  t.equal(negotiate('gzip'), 'gzip')
  t.equal(negotiate('GZIP;q=0.5'), 'gzip', 'case-insensitive, any positive weight')
  t.equal(negotiate('br;q=0, gzip'), 'gzip')
  t.equal(negotiate('br;q=0, gzip;q=0'), undefined)
  t.equal(negotiate('identity'), undefined)
  t.equal(negotiate('*'), 'br')
  t.equal(negotiate('*;q=0, gzip'), 'gzip')
  t.equal(negotiate('x-gzip'), 'gzip')
  t.equal(negotiate('deflate'), undefined)
  t.equal(negotiate('br;q=garbage'), undefined, 'an unreadable weight refuses the coding')
})

test('a page compresses once per encoding, each variant with an ETag of its own', async (t) => {
  let persisted = 0
  const page = new CachedPage(BODY).persistWith(() => { persisted++ })
  t.match(page.etag, /^"[A-Za-z0-9_-]{22}"$/)
  const identity = page.variant(undefined)
  t.equal(identity.body, undefined, 'identity is the text itself, sent as page.body')
  t.equal(identity.etag, page.etag)
  t.equal(persisted, 0, 'identity is not a new variant to keep')
  const br = page.variant('br')
  t.equal(persisted, 1, 'the store is told of the br variant')
  t.equal(br.encoding, 'br')
  t.equal(br.etag, `${page.etag.slice(0, -1)}-br"`)
  t.equal(brotliDecompressSync(br.body!).toString(), BODY)
  t.ok(br.body!.length < BODY.length / 2, `br ${br.body!.length} bytes of ${BODY.length}`)
  t.equal(page.variant('br'), br, 'the same bytes next time: not compressed again')
  t.equal(persisted, 1, 'nothing new to keep')
  const gzip = page.variant('gzip')
  t.equal(persisted, 2)
  t.equal(gunzipSync(gzip.body!).toString(), BODY)
  t.equal(gzip.etag, `${page.etag.slice(0, -1)}-gz"`)
  t.equal(new Set([identity.etag, br.etag, gzip.etag]).size, 3)
  t.notOk(etagMatches(page.etag, br.etag), 'a validator of one encoding never matches another')
})

test('small pages are never compressed', async (t) => {
  let persisted = 0
  const page = new CachedPage('{"data":[],"nextCursor":null}').persistWith(() => { persisted++ })
  t.equal(page.variant('br').encoding, undefined)
  t.equal(page.variant('br').etag, page.etag)
  t.equal(persisted, 0)
})

test('the stored form keeps text, ETag and every variant made; anything else is refused', async (t) => {
  const page = new CachedPage(BODY)
  page.variant('gzip')
  const back = CachedPage.fromStored(page.toStored())
  t.ok(back)
  const made: string[] = []
  back?.persistWith(() => { made.push('variant') })
  t.equal(back?.body, BODY)
  t.equal(back?.etag, page.etag)
  t.equal(gunzipSync(back!.variant('gzip').body!).toString(), BODY)
  t.same(made, [], 'gzip came along: not made again')
  back?.variant('br')
  t.same(made, ['variant'], 'br was never made: made now')
  t.equal(CachedPage.fromStored(Buffer.from('"abc"\n{}')), undefined)
  t.equal(CachedPage.fromStored(Buffer.from('')), undefined)
  const truncated = page.toStored().subarray(0, -1)
  t.equal(CachedPage.fromStored(truncated), undefined, 'lengths must add up')
  const unicode = new CachedPage('{"name":"Crème fraîche ✓"}')
  t.equal(CachedPage.fromStored(unicode.toStored())?.body, '{"name":"Crème fraîche ✓"}')
})

test('VersionWatch trusts a version only while a read sent within freshMs confirmed it', async (t) => {
  let now = 0
  let stored = '1'
  let reads = 0
  const watch = new VersionWatch({ read: async () => { reads++; return stored }, intervalMs: 100, freshMs: 500, now: () => now })
  t.equal(watch.current(), undefined, 'nothing read yet')
  t.equal(await watch.resolve(), '1')
  now = 500
  t.equal(watch.current(), '1', 'fresh up to freshMs')
  stored = '2'
  t.equal(await watch.resolve(), '1', 'still fresh: no read')
  now = 501
  t.equal(watch.current(), undefined, 'stale past freshMs')
  t.equal(await watch.resolve(), '2', 'read again in the foreground')
  t.equal(reads, 2)
  const [a, b] = await Promise.all([watch.refresh(), watch.refresh()])
  t.same([a, b, reads], ['2', '2', 3], 'concurrent refreshes share one read')
})

test('VersionWatch: a failed read leaves the version untrusted once stale, and rejects', async (t) => {
  let now = 0
  let fail = false
  const watch = new VersionWatch({ read: async () => { if (fail) throw new Error('down'); return '7' }, intervalMs: 100, freshMs: 200, now: () => now })
  await watch.refresh()
  fail = true
  now = 150
  await t.rejects(watch.refresh(), /down/)
  t.equal(watch.current(), '7', 'the last confirmation still counts within the bound')
  now = 201
  t.equal(watch.current(), undefined)
  await t.rejects(watch.resolve(), /down/)
})
