import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { ConfigError } from '../config'
import type { AppEnv } from '../env'
import { AppError } from './errors'
import { gatewayError, isModernPath, modernError } from './envelope'

/**
 * Renders any error in the envelope of the API family the path belongs to, and notes it on the
 * context (`failure`: code, message, and for an unexpected error its cause and stack) for the
 * request's one log line (middleware/request-context.ts).
 */
export function renderError(err: unknown, c: Context<AppEnv>) {
  const e = toAppError(err, c)
  const body = isModernPath(c.req.path) ? modernError(e) : gatewayError(e)
  const res = c.json(body, e.status)
  if (e.code === 'method_not_allowed')
    res.headers.set('Allow', (e.details as { allow: string[] }).allow.join(', '))
  if (e.code === 'rate_limited') {
    const retry = (e.details as { retry_after?: number } | undefined)?.retry_after
    if (retry) res.headers.set('Retry-After', String(retry))
  }
  return res
}

function toAppError(err: unknown, c: Context<AppEnv>): AppError {
  const e = appErrorOf(err, c)
  const unexpected = !(err instanceof AppError || err instanceof HTTPException || err instanceof ConfigError)
  c.set('failure', {
    code: e.code,
    message: e.message,
    ...(err instanceof ConfigError ? { settings: err.issues } : {}),
    ...(unexpected ? { cause: String(err), stack: (err as Error)?.stack } : {}),
  })
  return e
}

function appErrorOf(err: unknown, c: Context<AppEnv>): AppError {
  if (err instanceof AppError) return err
  if (err instanceof HTTPException) {
    // Hono's own validators: malformed JSON, a body in a type the route does not take, and similar.
    if (err.status === 415) {
      const type = c.req.header('content-type')
      return new AppError(
        'unsupported_media_type',
        `${type ? `Content-Type ${type} is not accepted here` : 'A body needs a Content-Type'}: send application/json`,
        { content_type: type ?? null },
      )
    }
    return new AppError(
      err.status === 413 ? 'payload_too_large' : 'bad_request',
      err.message || 'Bad request',
    )
  }
  if (err instanceof ConfigError) return new AppError('internal_error', err.message, { settings: err.issues })
  return new AppError('internal_error', 'Internal error')
}
