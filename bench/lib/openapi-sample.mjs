// Minimal valid requests built from an OpenAPI 3.1 document (the one /openapi.json serves): the
// fuzz (bench/suites/fuzz.mjs) and the route walk (test/worker/principals.test.ts) send them so
// that every route's handler is reached, not only its validator.

/** Every documented HTTP operation: `{ method, path, op }` (path with `{param}` placeholders). */
export function operations(doc) {
  const out = []
  for (const [path, ops] of Object.entries(doc.paths ?? {}))
    for (const [method, op] of Object.entries(ops))
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method))
        out.push({ method: method.toUpperCase(), path, op })
  return out
}

/** A value the schema accepts: required properties only, the first enum value or variant. */
export function sample(doc, schema, depth = 0) {
  if (!schema || depth > 8) return undefined
  if (schema.$ref) return sample(doc, doc.components.schemas[schema.$ref.split('/').pop()], depth + 1)
  if ('const' in schema) return schema.const
  if (schema.enum) return schema.enum[0]
  if ('default' in schema) return schema.default
  const variants = schema.anyOf ?? schema.oneOf
  if (variants) return sample(doc, variants.find((v) => v.type !== 'null') ?? variants[0], depth + 1)
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s) => sample(doc, s, depth + 1)))
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type
  switch (type ?? (schema.properties ? 'object' : undefined)) {
    case 'object': {
      const out = {}
      for (const key of schema.required ?? []) out[key] = sample(doc, schema.properties?.[key], depth + 1)
      return out
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => sample(doc, schema.items, depth + 1))
    case 'integer':
    case 'number':
      return schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1)
    case 'boolean':
      return true
    case 'string':
      return sampleString(schema)
    default:
      return undefined
  }
}

function sampleString(schema) {
  if (schema.format === 'email') return 'sample@example.com'
  if (schema.format === 'uri' || schema.format === 'url') return 'https://example.com/x'
  if (schema.format === 'date-time') return new Date().toISOString()
  if (schema.format === 'uuid') return '00000000-0000-4000-8000-000000000000'
  const length = Math.max(schema.minLength ?? 1, 1)
  const candidates = ['x', 'ABCDEF', 'abcdef', '123456', 'sample'].map((c) =>
    c.length >= length
      ? c.slice(0, Math.max(length, Math.min(c.length, schema.maxLength ?? c.length)))
      : c.padEnd(length, 'x'),
  )
  if (!schema.pattern) return candidates[0]
  const re = new RegExp(schema.pattern)
  return candidates.find((c) => re.test(c)) ?? candidates[0]
}

/**
 * A request for one operation: path parameters set to `param`, required query parameters and the
 * body sampled from their schemas. `body` is a JSON value, or `form` a list of
 * `[name, value | {file: true}]` for multipart bodies.
 */
export function sampleRequest(doc, { path, op }, param = 'x') {
  const query = new URLSearchParams()
  for (const p of op.parameters ?? [])
    if (p.in === 'query' && p.required) query.set(p.name, String(sample(doc, p.schema)))
  const url = path.replace(/\{[^}]+\}/g, encodeURIComponent(param)) + (query.size ? `?${query}` : '')
  const content = op.requestBody?.content ?? {}
  if (content['application/json']) return { url, body: sample(doc, content['application/json'].schema) ?? {} }
  const form = content['multipart/form-data']?.schema
  if (form) {
    const resolved = form.$ref ? doc.components.schemas[form.$ref.split('/').pop()] : form
    const fields = (resolved.required ?? []).map((key) => {
      const s = resolved.properties?.[key] ?? {}
      return [key, s.format === 'binary' || s.type === undefined ? { file: true } : String(sample(doc, s))]
    })
    return { url, form: fields }
  }
  return { url }
}
