/**
 * Named (shared) JSON schemas and the references to them, for the OpenAPI document.
 *
 * Route schemas use the TypeBox objects themselves (typed handlers, one compiled serializer
 * per route). The document should instead name each shared shape once under
 * `components.schemas` and point at it. These helpers find, in any schema, the subtrees that
 * are exactly a shared schema and replace them by `{ $ref: '<Name>#' }`; the shared schemas
 * themselves are given an `$id` and reference each other the same way.
 */

type Json = Record<string, unknown>

/** Keys that document a response rather than shape its body: they may sit beside a `$ref`. */
const RESPONSE_ANNOTATIONS = ['description', 'headers'] as const

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** JSON text with object keys sorted: equal for structurally equal schemas. */
export function canonicalJson (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (isObject(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

function without (schema: Json, keys: readonly string[]): Json {
  const out: Json = {}
  for (const [k, v] of Object.entries(schema)) if (!keys.includes(k)) out[k] = v
  return out
}

/** Keywords whose value is one schema, a list of schemas, or a map of schemas. */
const ONE = ['items', 'additionalProperties', 'not', 'contains', 'if', 'then', 'else', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems']
const LIST = ['anyOf', 'oneOf', 'allOf', 'prefixItems']
const MAP = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']

export interface SharedSchemas {
  /** The shared schemas with their `$id`, for `fastify.addSchema`, in the given order. */
  registered: Json[]
  /**
   * A copy of `schema` in which every subtree equal to a shared schema is a `$ref` to it.
   * With `response: true` the top level is compared without its `description` and `headers`
   * (what a route adds to document a response), which stay beside the `$ref`.
   */
  refer: (schema: unknown, options?: { response?: boolean }) => unknown
}

export function sharedSchemas (named: Record<string, object>): SharedSchemas {
  const byShape = new Map<string, string>()
  const byBody = new Map<string, string>()
  for (const [name, schema] of Object.entries(named)) {
    byShape.set(canonicalJson(schema), name)
    byBody.set(canonicalJson(without(schema as Json, RESPONSE_ANNOTATIONS)), name)
  }

  const children = (schema: Json, skip?: string): Json => {
    const out: Json = { ...schema }
    for (const key of ONE) if (isObject(schema[key])) out[key] = walk(schema[key], skip)
    for (const key of LIST) if (Array.isArray(schema[key])) out[key] = (schema[key] as unknown[]).map((s) => walk(s, skip))
    for (const key of MAP) {
      if (!isObject(schema[key])) continue
      const map: Json = {}
      for (const [k, v] of Object.entries(schema[key])) map[k] = walk(v, skip)
      out[key] = map
    }
    return out
  }

  const walk = (schema: unknown, skip?: string): unknown => {
    if (!isObject(schema)) return schema
    const name = byShape.get(canonicalJson(schema))
    if (name !== undefined && name !== skip) return { $ref: `${name}#` }
    return children(schema, skip)
  }

  return {
    registered: Object.entries(named).map(([name, schema]) => ({ $id: name, ...children(schema as Json, name) })),
    refer (schema, options = {}) {
      if (options.response !== true || !isObject(schema)) return walk(schema)
      const name = byBody.get(canonicalJson(without(schema, RESPONSE_ANNOTATIONS)))
      if (name === undefined) return walk(schema)
      const annotations: Json = {}
      for (const key of RESPONSE_ANNOTATIONS) if (schema[key] !== undefined) annotations[key] = schema[key]
      return { $ref: `${name}#`, ...annotations }
    }
  }
}
