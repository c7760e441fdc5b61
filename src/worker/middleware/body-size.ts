import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env'
import { AppError } from '../lib/errors'

/** Paths that take file uploads: they are capped by FILE_SIZE_LIMIT instead of MAX_BODY_BYTES. */
export const UPLOAD_PATHS = /^\/(api\/v1\/files|upload\/(file|video))$/

/**
 * How much of a refused chunked body is still read (and dropped) before the 413 goes out. Under
 * `wrangler dev` a request reaches the Worker through wrangler's proxy, which streams the body
 * over a connection it reuses: answering while it is still sending left that connection broken
 * (workerd: "Can't read from request stream after response has been sent"), and the next request
 * through the proxy — any client's — failed on it, which the proxy reports as 503 "Your worker
 * restarted mid-request". Reading the rest first lets the proxy finish. Beyond this many bytes the
 * body is cancelled instead, so no client can make the Worker read without end.
 */
export const REFUSED_BODY_DRAIN_BYTES = 16 * 1024 * 1024

/**
 * Rejects bodies over MAX_BODY_BYTES (uploads: FILE_SIZE_LIMIT) with a 413, before reading them
 * whole: a declared `Content-Length` is checked before any byte is read; a chunked body is counted
 * as it arrives, and once past the limit its rest is drained (up to REFUSED_BODY_DRAIN_BYTES)
 * before the answer.
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
        await drain(reader, REFUSED_BODY_DRAIN_BYTES)
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

/** Reads and drops the rest of a body, at most `limit` bytes; past that it is cancelled. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, limit: number): Promise<void> {
  let read = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      read += value.byteLength
      if (read > limit) break
    }
  } catch {
    return // the client went away
  }
  await reader.cancel().catch(() => {})
}
