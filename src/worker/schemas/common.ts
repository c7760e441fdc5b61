import { z } from '@hono/zod-openapi'

/** `{success:false,error:{…}}` — every modern error response. */
export const ErrorBody = z
  .object({
    success: z.literal(false),
    error: z.object({
      code: z.string().openapi({ example: 'validation_failed' }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error')

/** Wraps a data schema in the modern envelope `{success:true,data}`. */
export const envelope = <T extends z.ZodTypeAny>(data: T) => z.object({ success: z.literal(true), data })

/** Wraps a data schema in seed 000's envelope `{status:"SUCCESS",message?,data}`. */
export const gatewayEnvelope = <T extends z.ZodTypeAny>(data: T) =>
  z.object({ status: z.literal('SUCCESS'), message: z.string().optional(), data })

export const GatewayErrorBody = z
  .object({ status: z.literal('FAIL'), message: z.string(), data: z.unknown().optional() })
  .openapi('GatewayError')

const json = (schema: z.ZodTypeAny, description: string) => ({
  content: { 'application/json': { schema } },
  description,
})

/** Response entries for `createRoute`: the success body plus the usual modern errors. */
export function modernResponses(
  status: 200 | 201,
  data: z.ZodTypeAny,
  description: string,
  errors: number[] = [],
) {
  const out: Record<number, ReturnType<typeof json>> = { [status]: json(envelope(data), description) }
  for (const code of [400, ...errors]) out[code] = json(ErrorBody, errorText[code] ?? 'Error')
  return out
}

/** Response entries for gateway routes (seed 000 envelope). */
export function gatewayResponses(data: z.ZodTypeAny, description: string, errors: number[] = []) {
  const out: Record<number, ReturnType<typeof json>> = { 200: json(gatewayEnvelope(data), description) }
  for (const code of [400, ...errors]) out[code] = json(GatewayErrorBody, errorText[code] ?? 'Error')
  return out
}

const errorText: Record<number, string> = {
  400: 'Invalid request: `error.details.fields` names each failing field',
  401: 'Missing, invalid or expired token',
  403: 'Authenticated but not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body too large',
  429: 'Rate limited; `Retry-After` says when to retry',
  502: 'Upstream (LiveKit) failed',
  503: 'Upstream (LiveKit) unreachable',
}

export const bearerSecurity = [{ bearerAuth: [] }]

/**
 * A search term (`?q=`): trimmed, 1..`max` characters, no control characters (SQLite's LIKE
 * stops at a NUL, which would turn the pattern into "match everything"). Matched with `likeContains`.
 */
export const SearchTerm = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'is required')
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')

/** A JSON request body for `createRoute`. */
export const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({
  content: { 'application/json': { schema } },
  required: true,
})

/**
 * A request body that may come as JSON or as a form (urlencoded or multipart), for seed 000 routes
 * whose frontends post forms. Not `required`: the handler reads it with `jsonOrForm` and checks
 * what is missing itself, so a request with no body still reaches the auth checks.
 */
export const jsonOrFormBody = <T extends z.ZodTypeAny>(schema: T) => ({
  content: {
    'application/json': { schema },
    'application/x-www-form-urlencoded': { schema },
    'multipart/form-data': { schema },
  },
})

export const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' } }),
})
