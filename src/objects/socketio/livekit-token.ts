import { decodeJwt } from 'jose'

/** The room a LiveKit token names, read WITHOUT verifying it: for routing only (CONNECT verifies). */
export function peekRoom(token: string): string | undefined {
  try {
    const room = (decodeJwt(token) as { video?: { room?: unknown } }).video?.room
    return typeof room === 'string' && room ? room : undefined
  } catch {
    return undefined
  }
}
