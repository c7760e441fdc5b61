import type { MiddlewareHandler } from 'hono'
import { loadConfig } from '../config'
import type { AppEnv } from '../env'
import { renderError } from '../lib/error-response'
import { inRequestScope, log, type LogLevel } from '../lib/log'

/**
 * Gives every request an id (the caller's `x-request-id` when it is sane, else a new one),
 * echoes it back, loads the validated config, and writes the request's one JSON log line when
 * the response is ready: method, path, status, duration, user, and for a failure its error code
 * and message (an unexpected error's cause and stack too). Every `log` call made while the
 * request is handled carries its `request_id`. Bodies and credentials are never logged.
 */
export function requestContext(): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const started = Date.now()
    const given = c.req.header('x-request-id')
    const requestId = given && /^[\w.-]{1,64}$/.test(given) ? given : crypto.randomUUID()
    c.set('requestId', requestId)
    let minLevel: LogLevel = 'info'
    let configured = false
    try {
      c.set('config', loadConfig(c.env))
      minLevel = c.var.config.LOG_LEVEL
      configured = true
    } catch (err) {
      // An unusable configuration answers every request with a 500 naming the settings.
      c.res = renderError(err, c)
    }
    if (configured) await inRequestScope(requestId, minLevel, next)
    c.res.headers.set('x-request-id', requestId)
    const status = c.res.status
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info'
    inRequestScope(requestId, minLevel, () =>
      log(level, {
        method: c.req.method,
        path: c.req.path,
        status,
        ms: Date.now() - started,
        user: c.var.identity?.id,
        ...(c.var.failure ? { error: c.var.failure } : {}),
      }),
    )
  }
}
