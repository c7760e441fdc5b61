import type { ErrorCode } from '../../worker/lib/errors'
import { encodeSio, SIO, type EngineFrame } from './codec'

/** What a client is told went wrong (an AppError's fields). */
export interface SioError {
  code: ErrorCode
  message: string
  details?: unknown
}

/**
 * The one way a Socket.IO client hears of a refused packet or a failed handler: an `error` event
 * `{code, message, details?}` on the packet's namespace and, when the packet asked for an ack
 * (`ackId`), the ack `[{error}]`, so that an `emitWithAck` learns its fate instead of timing out.
 */
export function errorEvent(nsp: string, e: SioError, ackId?: number): EngineFrame[] {
  const error = { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) }
  const frames = encodeSio({ type: SIO.EVENT, nsp, data: ['error', error] })
  if (ackId !== undefined) frames.push(...encodeSio({ type: SIO.ACK, nsp, id: ackId, data: [{ error }] }))
  return frames
}

/** A namespace refused the CONNECT: `connect_error` with `message` (and `data`, e.g. `{code}`). */
export function connectError(nsp: string, message: string, data?: Record<string, unknown>): EngineFrame[] {
  return encodeSio({ type: SIO.CONNECT_ERROR, nsp, data: { message, ...(data ? { data } : {}) } })
}
