import type { MiddlewareHandler } from 'hono'
import { cors as honoCors } from 'hono/cors'
import type { AppEnv } from '../env'

/**
 * CORS by env, with seed 004's semantics: ALLOWED_ORIGINS is a comma list or `*`;
 * ALLOW_CREDENTIALS=true never pairs with a wildcard — the request's origin is echoed only when
 * it is listed. An empty list allows any origin in development and none in production.
 */
export function cors(): MiddlewareHandler<AppEnv> {
  return async function cors(c, next) {
    const { ALLOWED_ORIGINS: list, ALLOW_CREDENTIALS: credentials, ENVIRONMENT } = c.var.config
    const wildcard = anyOrigin({ ALLOWED_ORIGINS: list, ENVIRONMENT })
    const handler = honoCors({
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
    return handler(c, next)
  }
}

/** Whether any origin is allowed: `*` listed, or an empty list outside production. */
export const anyOrigin = (config: { ALLOWED_ORIGINS: string[]; ENVIRONMENT: string }) =>
  config.ALLOWED_ORIGINS.includes('*') ||
  (config.ALLOWED_ORIGINS.length === 0 && config.ENVIRONMENT !== 'production')
