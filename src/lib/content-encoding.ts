import { brotliCompressSync, gzipSync, constants } from 'node:zlib'

/** The encodings a cached page is kept in besides identity, in order of preference. */
export type Encoding = 'br' | 'gzip'

/**
 * The encoding to answer with for an `Accept-Encoding` header (RFC 9110 12.5.3): `br` when
 * accepted, else `gzip`, else none. `q=0` refuses a coding; `*` stands for every coding not
 * named. Results are remembered per header text (clients send a handful of distinct values),
 * in a bounded map.
 */
export function negotiate (header: string | undefined): Encoding | undefined {
  if (header === undefined || header === '') return undefined
  const known = remembered.get(header)
  if (known !== undefined) return known === 'identity' ? undefined : known
  const choice = parse(header)
  if (remembered.size >= 256) remembered.clear()
  remembered.set(header, choice ?? 'identity')
  return choice
}

const remembered = new Map<string, Encoding | 'identity'>()

function parse (header: string): Encoding | undefined {
  const q = new Map<string, number>()
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';')
    if (name === '') continue
    let weight = 1
    for (const p of params) {
      const [k, v] = p.trim().split('=')
      if (k === 'q') weight = Number(v)
    }
    q.set(name, Number.isFinite(weight) ? weight : 0)
  }
  const accepts = (coding: Encoding): boolean => {
    const w = q.get(coding) ?? (coding === 'gzip' ? q.get('x-gzip') : undefined) ?? q.get('*')
    return w !== undefined && w > 0
  }
  if (accepts('br')) return 'br'
  if (accepts('gzip')) return 'gzip'
  return undefined
}

/** Bodies smaller than this are sent as they are: the encoding would not pay for itself. */
export const MIN_COMPRESS_BYTES = 256

/**
 * Compresses once, with settings chosen for a page compressed once and sent many times:
 * brotli quality 5 (most of quality 11's gain at a small fraction of its CPU) with a text hint,
 * gzip level 6.
 */
export function encode (body: Buffer, encoding: Encoding): Buffer {
  if (encoding === 'br') {
    return brotliCompressSync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 5,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length
      }
    })
  }
  return gzipSync(body, { level: 6 })
}
