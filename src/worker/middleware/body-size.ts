import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { AppEnv } from '../env'
import { AppError } from '../lib/errors'

/** Rejects bodies over MAX_BODY_BYTES (uploads over FILE_SIZE_LIMIT) with a 413 before reading them all. */
export function bodySize(options: { uploads?: boolean } = {}): MiddlewareHandler<AppEnv> {
  return async function bodySize(c, next) {
    const maxSize = options.uploads ? c.var.config.FILE_SIZE_LIMIT : c.var.config.MAX_BODY_BYTES
    return bodyLimit({
      maxSize,
      onError: () => {
        throw new AppError('payload_too_large', `Request body exceeds ${maxSize} bytes`, { limit: maxSize })
      },
    })(c, next)
  }
}
