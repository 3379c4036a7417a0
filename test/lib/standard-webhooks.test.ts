import { test } from 'tap'
import { randomBytes } from 'node:crypto'
import { sign, verify, secretKey, DEFAULT_TOLERANCE_SECONDS } from '../../src/lib/standard-webhooks.js'

// Test vectors computed outside this code base, from the spec's definition alone.
// 1. The example secret, id, timestamp and body of the Standard Webhooks documentation:
//    KEYHEX=$(printf '%s' 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' | base64 -d | xxd -p -c 256)
//    printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' \
//      | openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEYHEX -binary | base64
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
}
// 2. A body with a non-ASCII character (the bytes are UTF-8), same secret:
//    python3 -c "import hmac,hashlib,base64; k=base64.b64decode('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
//      b='{\"event_id\":\"evt_vector_1\",\"order_id\":\"ord_vector\",\"status\":\"shipped\",\"note\":\"caf\u00e9\"}'.encode();
//      print(base64.b64encode(hmac.new(k, b'wh_vector_1.1735689600.' + b, hashlib.sha256).digest()).decode())"
const UTF8 = {
  id: 'wh_vector_1',
  timestamp: 1735689600,
  body: Buffer.from('{"event_id":"evt_vector_1","order_id":"ord_vector","status":"shipped","note":"café"}', 'utf8'),
  signature: 'v1,ipigIgXdRxfRZgkkywor5XTjFGYVfNiUoQ6jkmzsrMQ='
}

const key = secretKey(SPEC.secret)
const at = (seconds: number) => seconds * 1000

function headers (id: string, timestamp: number | string, signature: string) {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature }
}

test('sign reproduces the independently computed vectors', async (t) => {
  t.equal(sign(key, SPEC.id, SPEC.timestamp, SPEC.body), SPEC.signature)
  t.equal(sign(key, UTF8.id, UTF8.timestamp, UTF8.body), UTF8.signature)
})

test('verify accepts the spec vector at its own time', async (t) => {
  const result = verify({ keys: [key], headers: headers(SPEC.id, SPEC.timestamp, SPEC.signature), body: Buffer.from(SPEC.body), nowMs: at(SPEC.timestamp) })
  t.same(result, { ok: true, id: SPEC.id, timestamp: SPEC.timestamp })
})

test('verify rejects a body changed by one byte', async (t) => {
  const tampered = Buffer.from(UTF8.body)
  tampered[tampered.length - 3] ^= 1
  const result = verify({ keys: [key], headers: headers(UTF8.id, UTF8.timestamp, UTF8.signature), body: tampered, nowMs: at(UTF8.timestamp) })
  t.same(result, { ok: false, reason: 'no-matching-signature' })
})

test('verify rejects a signature made for another id or timestamp', async (t) => {
  const body = Buffer.from(SPEC.body)
  t.same(verify({ keys: [key], headers: headers('msg_other', SPEC.timestamp, SPEC.signature), body, nowMs: at(SPEC.timestamp) }),
    { ok: false, reason: 'no-matching-signature' })
  t.same(verify({ keys: [key], headers: headers(SPEC.id, SPEC.timestamp + 1, SPEC.signature), body, nowMs: at(SPEC.timestamp) }),
    { ok: false, reason: 'no-matching-signature' })
})

test('verify holds the 5-minute tolerance in both directions, inclusive', async (t) => {
  const body = Buffer.from(SPEC.body)
  const h = headers(SPEC.id, SPEC.timestamp, SPEC.signature)
  t.equal(DEFAULT_TOLERANCE_SECONDS, 300)
  t.ok(verify({ keys: [key], headers: h, body, nowMs: at(SPEC.timestamp + 300) }).ok, 'exactly 5 minutes old is accepted')
  t.same(verify({ keys: [key], headers: h, body, nowMs: at(SPEC.timestamp + 301) }), { ok: false, reason: 'timestamp-too-old' })
  t.ok(verify({ keys: [key], headers: h, body, nowMs: at(SPEC.timestamp - 300) }).ok, 'exactly 5 minutes ahead is accepted')
  t.same(verify({ keys: [key], headers: h, body, nowMs: at(SPEC.timestamp - 301) }), { ok: false, reason: 'timestamp-too-new' })
})

test('verify reports missing headers and malformed timestamps', async (t) => {
  const body = Buffer.from(SPEC.body)
  const full = headers(SPEC.id, SPEC.timestamp, SPEC.signature)
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
    const partial: Record<string, string> = { ...full }
    delete partial[name]
    t.same(verify({ keys: [key], headers: partial, body, nowMs: at(SPEC.timestamp) }), { ok: false, reason: 'missing-headers' }, `without ${name}`)
    t.same(verify({ keys: [key], headers: { ...full, [name]: '  ' }, body, nowMs: at(SPEC.timestamp) }), { ok: false, reason: 'missing-headers' }, `with an empty ${name}`)
  }
  for (const bad of ['1614265330.5', '-1614265330', '1e9', 'soon', '0x6037d8f2']) {
    t.same(verify({ keys: [key], headers: { ...full, 'webhook-timestamp': bad }, body, nowMs: at(SPEC.timestamp) }),
      { ok: false, reason: 'invalid-timestamp' }, `timestamp ${bad}`)
  }
})

test('verify accepts any matching signature among several (key rotation) and skips other versions', async (t) => {
  const body = Buffer.from(SPEC.body)
  const oldKey = randomBytes(32)
  const rotated = [sign(oldKey, SPEC.id, SPEC.timestamp, body), 'v1a,c29tZXRoaW5nIGVsc2U=', 'v2,xyz', 'garbage', SPEC.signature].join(' ')
  t.ok(verify({ keys: [key], headers: headers(SPEC.id, SPEC.timestamp, rotated), body, nowMs: at(SPEC.timestamp) }).ok,
    'the current signature is found among others')
  t.ok(verify({ keys: [randomBytes(24), key], headers: headers(SPEC.id, SPEC.timestamp, SPEC.signature), body, nowMs: at(SPEC.timestamp) }).ok,
    'any of our keys may match')
  const onlyOthers = [sign(oldKey, SPEC.id, SPEC.timestamp, body), `v1a,${SPEC.signature.slice(3)}`].join(' ')
  t.same(verify({ keys: [key], headers: headers(SPEC.id, SPEC.timestamp, onlyOthers), body, nowMs: at(SPEC.timestamp) }),
    { ok: false, reason: 'no-matching-signature' }, 'a correct MAC under another version label does not count')
})

test('verify rejects truncated and empty signatures', async (t) => {
  const body = Buffer.from(SPEC.body)
  for (const sig of ['v1,', 'v1,' + SPEC.signature.slice(3, 20), 'v1', SPEC.signature.slice(3)]) {
    t.same(verify({ keys: [key], headers: headers(SPEC.id, SPEC.timestamp, sig), body, nowMs: at(SPEC.timestamp) }),
      { ok: false, reason: 'no-matching-signature' }, JSON.stringify(sig))
  }
})

test('secretKey decodes the part after whsec_ and refuses what is not base64', async (t) => {
  t.equal(secretKey(SPEC.secret).toString('hex'), '31f290f6bf06298aab4f08d43c3f082cf648a362da2da4b0')
  t.same(secretKey('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), secretKey(SPEC.secret), 'the prefix is optional')
  t.throws(() => secretKey('whsec_'), TypeError)
  t.throws(() => secretKey('whsec_not base64!'), TypeError)
})
