import { TwirpError } from 'livekit-server-sdk'
import { AppError } from '../errors'

/**
 * Turns whatever a LiveKit call threw into the one error type, naming LiveKit and the node:
 * no answer (network failure, timeout) → 503 `upstream_unavailable`; an error reply → 502
 * `upstream_error`, except LiveKit's `not_found` (404) and `invalid_argument` (400), which are the
 * caller's problem and keep their meaning.
 */
export function liveKitError(node: string, err: unknown): AppError {
  if (err instanceof AppError) return err
  if (err instanceof TwirpError) {
    const details = { node, livekit_status: err.status, livekit_code: err.code ?? null }
    if (err.status === 404 || err.code === 'not_found')
      return new AppError('not_found', `LiveKit: ${err.message}`, details)
    if (err.code === 'invalid_argument')
      return new AppError('bad_request', `LiveKit rejected the request: ${err.message}`, details)
    return new AppError('upstream_error', `LiveKit node "${node}" answered an error: ${err.message}`, details)
  }
  return new AppError('upstream_unavailable', `LiveKit node "${node}" is unreachable`, {
    node,
    reason: err instanceof Error ? err.message : String(err),
  })
}

/** True when `err` means the node did not answer at all (so it should be marked down). */
export const isUnreachable = (err: unknown) =>
  err instanceof AppError ? err.code === 'upstream_unavailable' : !(err instanceof TwirpError)

/** Runs one LiveKit call, mapping its failure with `liveKitError`. */
export async function callLiveKit<T>(node: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    throw liveKitError(node, err)
  }
}
