import { OpenAPIHono } from '@hono/zod-openapi'
import './zod-messages'
import type { AppEnv } from '../env'
import { validationError } from './errors'

/**
 * A router whose zod validation failures become one `validation_failed` 400 naming every failing
 * field (rendered in the caller's envelope by `onError`). Every route file starts from this.
 */
export function router() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error.issues)
    },
  })
}
