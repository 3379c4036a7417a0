import { createHash } from 'node:crypto'
import { encode, MIN_COMPRESS_BYTES, type Encoding } from './content-encoding.js'

/**
 * One representation of a page as sent: its strong ETag, content-encoding and, when encoded,
 * its bytes (identity is the page's text itself, sent as a string).
 */
export interface PageVariant {
  body: Buffer | undefined
  etag: string
  encoding: Encoding | undefined
}

/** HIT: from memory or Redis; MISS: loaded (and stored); BYPASS: Redis unavailable, loaded without it. */
export type CacheResult = 'HIT' | 'MISS' | 'BYPASS'
/** Where a HIT came from (sent as `x-cache-tier`). */
export type CacheTier = 'memory' | 'redis'

/** A page as the page cache answers it: the page, how it was found, and from which tier. */
export interface PageLookup {
  page: CachedPage
  cache: CacheResult
  tier?: CacheTier
}

const ENCODINGS: Encoding[] = ['br', 'gzip']
const SUFFIX: Record<Encoding, string> = { br: 'br', gzip: 'gz' }

/**
 * A finished page: the exact JSON text, its strong ETag (the first 128 bits of its SHA-256,
 * base64url) and the compressed variants made so far. Each variant has an ETag of its own
 * (`"<etag>-br"`, `"<etag>-gz"`): the bytes differ, so the validators must too (RFC 9110 8.8.3).
 * A page is compressed at most once per encoding, however often it is sent.
 */
export class CachedPage {
  readonly etag: string
  private readonly identity: PageVariant
  private readonly encoded: Partial<Record<Encoding, PageVariant>> = {}
  /** Called when a compressed variant is made, so the store holding the page can keep it too. */
  private persist: ((page: CachedPage) => void) | undefined

  constructor (readonly body: string, etag?: string, encoded: Partial<Record<Encoding, Buffer>> = {}) {
    this.etag = etag ?? `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
    this.identity = { body: undefined, etag: this.etag, encoding: undefined }
    for (const encoding of ENCODINGS) {
      const bytes = encoded[encoding]
      if (bytes !== undefined) this.encoded[encoding] = this.variantOf(bytes, encoding)
    }
  }

  private variantOf (body: Buffer, encoding: Encoding): PageVariant {
    return { body, etag: `${this.etag.slice(0, -1)}-${SUFFIX[encoding]}"`, encoding }
  }

  /** Keeps `persist` to be told of every compressed variant made from now on. */
  persistWith (persist: (page: CachedPage) => void): this {
    this.persist = persist
    return this
  }

  /** Whether `encoding` is worth making for this page. */
  compressible (): boolean {
    return this.body.length >= MIN_COMPRESS_BYTES
  }

  /** The representation to send for a negotiated encoding (made now if it is the first time). */
  variant (encoding: Encoding | undefined): PageVariant {
    if (encoding === undefined || !this.compressible()) return this.identity
    let variant = this.encoded[encoding]
    if (variant === undefined) {
      variant = this.encoded[encoding] = this.variantOf(encode(Buffer.from(this.body), encoding), encoding)
      this.persist?.(this)
    }
    return variant
  }

  /** Bytes held, for the memory tier's budget (text counted once per representation). */
  get size (): number {
    let size = this.body.length * 2 + 64
    for (const encoding of ENCODINGS) size += this.encoded[encoding]?.body?.length ?? 0
    return size
  }

  /** Stored form: `<etag> <text bytes> <br bytes> <gzip bytes>\n` then the three, back to back. */
  toStored (): Buffer {
    const textBytes = Buffer.byteLength(this.body)
    const br = this.encoded.br?.body ?? EMPTY
    const gzip = this.encoded.gzip?.body ?? EMPTY
    const head = `${this.etag} ${textBytes} ${br.length} ${gzip.length}\n`
    // One buffer written in place: the text is encoded once, straight into it.
    const stored = Buffer.allocUnsafe(head.length + textBytes + br.length + gzip.length)
    let at = stored.write(head, 0, 'latin1')
    at += stored.write(this.body, at, 'utf8')
    at += br.copy(stored, at)
    gzip.copy(stored, at)
    return stored
  }

  /** The page in its stored form, or undefined when the value is not one (never trusted blindly). */
  static fromStored (value: Buffer): CachedPage | undefined {
    const cut = value.indexOf(NEWLINE)
    if (cut < 0 || cut > 128) return undefined
    const match = /^("[A-Za-z0-9_-]{22}") (\d+) (\d+) (\d+)$/.exec(value.toString('latin1', 0, cut))
    if (match === null) return undefined
    const [text, br, gzip] = [Number(match[2]), Number(match[3]), Number(match[4])]
    if (cut + 1 + text + br + gzip !== value.length) return undefined
    let at = cut + 1
    const body = value.toString('utf8', at, at += text)
    const encoded: Partial<Record<Encoding, Buffer>> = {}
    if (br > 0) encoded.br = value.subarray(at, at + br)
    at += br
    if (gzip > 0) encoded.gzip = value.subarray(at, at + gzip)
    return new CachedPage(body, match[1], encoded)
  }
}

const EMPTY = Buffer.alloc(0)
const NEWLINE = 0x0a

/**
 * If-None-Match uses the weak comparison (RFC 9110 13.1.2): `W/` is ignored, `*` matches any
 * current representation, a list matches when any member does.
 */
export function etagMatches (header: string | undefined, etag: string): boolean {
  if (header === undefined || header === '') return false
  if (header === etag) return true
  if (header.trim() === '*') return true
  const opaque = etag.replace(/^W\//, '')
  for (const candidate of header.split(',')) {
    if (candidate.trim().replace(/^W\//, '') === opaque) return true
  }
  return false
}
