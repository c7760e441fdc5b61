import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { AppEnv } from '../env'
import { AppError } from '../lib/errors'

/** Paths that take file uploads: they are capped by FILE_SIZE_LIMIT instead of MAX_BODY_BYTES. */
export const UPLOAD_PATHS = /^\/(api\/v1\/files|upload\/(file|video))$/

/** Rejects bodies over MAX_BODY_BYTES (uploads: FILE_SIZE_LIMIT) with a 413, before reading them whole. */
export function bodySize(): MiddlewareHandler<AppEnv> {
  return async function bodySize(c, next) {
    const { FILE_SIZE_LIMIT, MAX_BODY_BYTES } = c.var.config
    const maxSize = UPLOAD_PATHS.test(c.req.path) ? FILE_SIZE_LIMIT : MAX_BODY_BYTES
    return bodyLimit({
      maxSize,
      onError: () => {
        throw new AppError('payload_too_large', `Request body exceeds ${maxSize} bytes`, { limit: maxSize })
      },
    })(c, next)
  }
}
