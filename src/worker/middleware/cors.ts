import type { Context, MiddlewareHandler } from 'hono'
import type { Config } from '../config'
import type { AppEnv } from '../env'

const ALLOW_HEADERS = 'Authorization,Content-Type,X-Request-Id,X-Api-Key'
const EXPOSE_HEADERS = 'X-Request-Id,Retry-After'
const ALLOW_METHODS = 'GET,POST,PUT,PATCH,DELETE,OPTIONS'
const MAX_AGE = '600'

/**
 * CORS by env, with seed 004's semantics: ALLOWED_ORIGINS is a comma list or `*`;
 * ALLOW_CREDENTIALS=true never pairs with a wildcard — the request's origin is echoed only when
 * it is listed. An empty list allows any origin in development and none in production.
 *
 * The headers Hono's `cors()` sends, set once on the final response: Hono's touches the response
 * before the route runs, so each answer was rebuilt twice more (its `c.res` setter, then its
 * `Vary`), ~10% of a REST call's JavaScript. A response whose headers cannot change (one a Durable
 * Object gave) is still copied: by us, then once more by Hono's `c.res` setter.
 */
export function cors(): MiddlewareHandler<AppEnv> {
  return async function cors(c, next) {
    const origin = allowedOrigin(c.var.config, c.req.header('origin') ?? '')
    if (c.req.method === 'OPTIONS') return preflight(c, origin)
    await next()
    try {
      corsHeaders(c.res.headers, c.var.config, origin)
    } catch {
      // Immutable headers (a fetched response): copy it, then set them.
      c.res = new Response(c.res.body, c.res)
      corsHeaders(c.res.headers, c.var.config, origin)
    }
  }
}

/** The origin to echo in `Access-Control-Allow-Origin` (`*` for a credential-less wildcard), or null. */
function allowedOrigin(config: Config, origin: string): string | null {
  if (config.ALLOWED_ORIGINS.includes(origin)) return origin
  if (!anyOrigin(config)) return null
  return config.ALLOW_CREDENTIALS ? null : '*'
}

function corsHeaders(headers: Headers, config: Config, origin: string | null): void {
  if (origin) headers.set('Access-Control-Allow-Origin', origin)
  if (config.ALLOW_CREDENTIALS) headers.set('Access-Control-Allow-Credentials', 'true')
  headers.set('Access-Control-Expose-Headers', EXPOSE_HEADERS)
  headers.append('Vary', 'Origin')
}

/** Any OPTIONS request: 204 with what the browser's preflight asks about. */
function preflight(c: Context<AppEnv>, origin: string | null): Response {
  const headers = new Headers()
  corsHeaders(headers, c.var.config, origin)
  headers.set('Access-Control-Max-Age', MAX_AGE)
  headers.set('Access-Control-Allow-Methods', ALLOW_METHODS)
  headers.set('Access-Control-Allow-Headers', ALLOW_HEADERS)
  headers.append('Vary', 'Access-Control-Request-Headers')
  return new Response(null, { status: 204, statusText: 'No Content', headers })
}

/** Whether any origin is allowed: `*` listed, or an empty list outside production. */
export const anyOrigin = (config: { ALLOWED_ORIGINS: string[]; ENVIRONMENT: string }) =>
  config.ALLOWED_ORIGINS.includes('*') ||
  (config.ALLOWED_ORIGINS.length === 0 && config.ENVIRONMENT !== 'production')
