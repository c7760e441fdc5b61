import type { MiddlewareHandler } from 'hono'
import { cors as honoCors } from 'hono/cors'
import type { Config } from '../config'
import type { AppEnv } from '../env'

/**
 * CORS by env, with seed 004's semantics: ALLOWED_ORIGINS is a comma list or `*`;
 * ALLOW_CREDENTIALS=true never pairs with a wildcard — the request's origin is echoed only when
 * it is listed. An empty list allows any origin in development and none in production.
 */
export function cors(): MiddlewareHandler<AppEnv> {
  return async function cors(c, next) {
    return handlerFor(c.var.config)(c, next)
  }
}

/** Hono's CORS handler for a config, built once per config (one per isolate) instead of per request. */
const handlers = new WeakMap<Config, MiddlewareHandler>()
function handlerFor(config: Config): MiddlewareHandler {
  let handler = handlers.get(config)
  if (handler) return handler
  const { ALLOWED_ORIGINS: list, ALLOW_CREDENTIALS: credentials } = config
  const wildcard = anyOrigin(config)
  handler = honoCors({
    credentials,
    origin: (origin) => {
      if (list.includes(origin)) return origin
      if (!wildcard) return null
      return credentials ? null : '*'
    },
    allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'X-Api-Key'],
    exposeHeaders: ['X-Request-Id', 'Retry-After'],
    allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    maxAge: 600,
  })
  handlers.set(config, handler)
  return handler
}

/** Whether any origin is allowed: `*` listed, or an empty list outside production. */
export const anyOrigin = (config: { ALLOWED_ORIGINS: string[]; ENVIRONMENT: string }) =>
  config.ALLOWED_ORIGINS.includes('*') ||
  (config.ALLOWED_ORIGINS.length === 0 && config.ENVIRONMENT !== 'production')
