import { test } from 'tap'
import { fromMillis, parseInstant, sqlToIso, toSqlDateTime } from '../../src/lib/event-time.js'

const micros = (text: string): bigint => {
  const r = parseInstant(text)
  if (!r.ok) throw new Error(`${text}: ${r.reason}`)
  return r.micros
}

test('instants keep their microseconds, so sub-millisecond order is kept', async (t) => {
  t.ok(micros('2025-03-01T10:00:00.0009Z') > micros('2025-03-01T10:00:00.0001Z'), '.0009 is after .0001')
  t.equal(micros('2025-03-01T10:00:00.000001Z') - micros('2025-03-01T10:00:00Z'), 1n)
  t.equal(toSqlDateTime(micros('2025-03-01T10:00:00.0009Z')), '2025-03-01 10:00:00.000900')
  t.equal(micros('2025-03-01T10:00:00.1234569Z'), micros('2025-03-01T10:00:00.123456Z'), 'digits past the microsecond are truncated')
})

test('offsets are applied, and the zone letter and separator may be lower case', async (t) => {
  t.equal(micros('2025-03-01T10:00:00.123+01:00'), micros('2025-03-01T09:00:00.123Z'))
  t.equal(micros('2025-03-01T10:00:00-05:30'), micros('2025-03-01T15:30:00Z'))
  t.equal(micros('2025-03-01t10:00:00z'), micros('2025-03-01T10:00:00Z'))
  t.equal(micros('2025-03-01T10:00:00.5Z'), fromMillis(Date.parse('2025-03-01T10:00:00.500Z')))
})

test('impossible or unstorable instants are refused with a reason', async (t) => {
  for (const text of ['2025-03-01T10:00:00', '2025-03-01', 'yesterday', '2016-12-31T23:59:60Z', '2025-02-29T00:00:00Z',
    '2025-13-01T00:00:00Z', '2025-03-01T24:00:00Z', '2025-03-01T10:00:00+24:00', '0999-12-31T23:59:59Z',
    '9999-12-31T23:00:00-05:00', '+02025-03-01T10:00:00Z', '2025-03-01T10:00:00.Z']) {
    const r = parseInstant(text)
    t.equal(r.ok, false, text)
  }
  t.ok(parseInstant('1000-01-01T00:00:00Z').ok, 'the first storable instant')
  t.ok(parseInstant('9999-12-31T23:59:59.999999Z').ok, 'the last storable instant')
})

test('SQL literals round-trip, before and after 1970', async (t) => {
  for (const text of ['1500-06-15T12:34:56.000001Z', '1969-12-31T23:59:59.999999Z', '2025-03-01T10:00:00.123456Z']) {
    t.equal(sqlToIso(toSqlDateTime(micros(text))), text)
  }
  t.equal(sqlToIso('2025-03-01 10:00:00.123000'), '2025-03-01T10:00:00.123Z', 'whole milliseconds print as milliseconds')
  t.equal(sqlToIso('2025-03-01 10:00:00'), '2025-03-01T10:00:00.000Z')
})
