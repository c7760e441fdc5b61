import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env'
import { AppError } from '../lib/errors'

/** Paths that take file uploads: they are capped by FILE_SIZE_LIMIT instead of MAX_BODY_BYTES. */
export const UPLOAD_PATHS = /^\/(api\/v1\/files|upload\/(file|video))$/

/**
 * Rejects bodies over MAX_BODY_BYTES (uploads: FILE_SIZE_LIMIT) with a 413, before reading them
 * whole: a declared `Content-Length` is checked before any byte is read; a chunked body is counted
 * as it arrives, and once past the limit the rest of it is read to its end and dropped before the
 * answer.
 *
 * Why to its end: answering while a body is still arriving leaves the connection it came on
 * unusable once more than 64 KiB of it is unread (workerd's HTTP server drains that much, then
 * closes). In production the Worker is reached from Cloudflare's edge, which refuses bodies over
 * the plan's limit itself (413 above 100 MB on Free and Pro), so the read is bounded there. Under
 * `wrangler dev` every client's request reaches the Worker through wrangler's proxy over a
 * connection it reuses: cancelling the rest of a body broke that connection, and the next request
 * through it — any client's — failed with 503 "Your worker restarted mid-request"
 * (cloudflare/workerd#1741, cloudflare/workers-sdk#15709). `wrangler dev` itself reads every body a
 * Worker left unread to its end, without a bound (its `ensure-req-body-drained` middleware); this
 * does the same for the body it started reading.
 */
export function bodySize(): MiddlewareHandler<AppEnv> {
  return async function bodySize(c, next) {
    const body = c.req.raw.body
    if (!body) return next()
    const { FILE_SIZE_LIMIT, MAX_BODY_BYTES } = c.var.config
    const maxSize = UPLOAD_PATHS.test(c.req.path) ? FILE_SIZE_LIMIT : MAX_BODY_BYTES
    const tooLarge = () =>
      new AppError('payload_too_large', `Request body exceeds ${maxSize} bytes`, { limit: maxSize })
    const declared = c.req.header('content-length')
    if (declared !== undefined && !c.req.raw.headers.has('transfer-encoding')) {
      if (Number(declared) > maxSize) throw tooLarge()
      return next()
    }
    const reader = body.getReader()
    const chunks: Uint8Array[] = []
    let size = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxSize) {
        await drain(reader)
        throw tooLarge()
      }
      chunks.push(value)
    }
    const whole = new Uint8Array(size)
    let at = 0
    for (const chunk of chunks) {
      whole.set(chunk, at)
      at += chunk.byteLength
    }
    c.req.raw = new Request(c.req.raw, { body: whole })
    return next()
  }
}

/** Reads and drops the rest of a body (a client that goes away ends it too). */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    while (!(await reader.read()).done) {
      // dropped
    }
  } catch {
    // the client went away
  }
}
