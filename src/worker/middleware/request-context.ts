import type { MiddlewareHandler } from 'hono'
import { loadConfig } from '../config'
import type { AppEnv } from '../env'

/**
 * Gives every request an id (the caller's `x-request-id` when it is sane, else a new one),
 * echoes it back, loads the validated config, and writes one JSON log line when the
 * response is ready. Bodies and credentials are never logged.
 */
export function requestContext(): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const started = Date.now()
    const given = c.req.header('x-request-id')
    const requestId = given && /^[\w.-]{1,64}$/.test(given) ? given : crypto.randomUUID()
    c.set('requestId', requestId)
    c.set('config', loadConfig(c.env))
    await next()
    c.res.headers.set('x-request-id', requestId)
    const status = c.res.status
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info'
    if (shouldLog(c.var.config.LOG_LEVEL, level)) {
      console.log(
        JSON.stringify({
          ts: new Date().toISOString(),
          level,
          request_id: requestId,
          method: c.req.method,
          path: c.req.path,
          status,
          ms: Date.now() - started,
          user: c.var.identity?.id,
        }),
      )
    }
  }
}

const order = { debug: 0, info: 1, warn: 2, error: 3 } as const
export const shouldLog = (min: keyof typeof order, level: keyof typeof order) => order[level] >= order[min]
