import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** The small set of error codes every API family and every protocol shares. */
export type ErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'token_expired'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'unsupported_media_type'
  | 'upstream_unavailable'
  | 'upstream_error'
  | 'internal_error'

const statusOf: Record<ErrorCode, ContentfulStatusCode> = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  token_expired: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  upstream_unavailable: 503,
  upstream_error: 502,
  internal_error: 500,
}

/** A field that failed validation: `path` is dotted (`user.email`), `message` says why. */
export interface FieldIssue {
  path: string
  message: string
}

/** The one error type. Routes throw it; `onError` renders it in the caller's envelope. */
export class AppError extends Error {
  readonly status: ContentfulStatusCode
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    status?: ContentfulStatusCode,
  ) {
    super(message)
    this.name = 'AppError'
    this.status = status ?? statusOf[code]
  }
}

export const badRequest = (message: string, details?: unknown) =>
  new AppError('bad_request', message, details)
export const unauthorized = (message = 'Authentication required') => new AppError('unauthorized', message)
export const forbidden = (message = 'You do not have access to this resource') =>
  new AppError('forbidden', message)
export const notFound = (what: string) => new AppError('not_found', `${what} not found`)
export const conflict = (message: string) => new AppError('conflict', message)
export const rateLimited = (retryAfter: number) =>
  new AppError('rate_limited', `Too many attempts; retry in ${retryAfter}s`, { retry_after: retryAfter })

/** Turns zod issues into the `details.fields` list clients see with a 400. */
export function validationError(issues: readonly { path: readonly PropertyKey[]; message: string }[]) {
  const fields: FieldIssue[] = issues.map((i) => ({
    path: i.path.map(String).join('.') || '(body)',
    message: i.message,
  }))
  const names = [...new Set(fields.map((f) => f.path))].join(', ')
  return new AppError('validation_failed', `Invalid request: ${names}`, { fields })
}
