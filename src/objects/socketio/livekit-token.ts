import { decodeJwt, errors, jwtVerify } from 'jose'
import { liveKitNodes, type Config } from '../../worker/config'
import { AppError } from '../../worker/lib/errors'

/** What a verified LiveKit access token says about its holder. */
export interface LiveKitClaims {
  identity: string
  name: string
  room: string
  /** `userType` from the token's metadata or attributes, when present. */
  userType?: string
}

/** The room a LiveKit token names, read WITHOUT verifying it: for routing only. */
export function peekRoom(token: string): string | undefined {
  try {
    const room = (decodeJwt(token) as { video?: { room?: unknown } }).video?.room
    return typeof room === 'string' && room ? room : undefined
  } catch {
    return undefined
  }
}

const encoder = new TextEncoder()

/**
 * Verifies a LiveKit access token (HS256, `iss` = a configured node's API key, signed with its
 * secret) that grants `roomJoin` for `room`. Throws `unauthorized` naming what is wrong.
 */
export async function verifyLiveKitToken(
  token: unknown,
  room: string,
  config: Config,
): Promise<LiveKitClaims> {
  if (typeof token !== 'string' || !token) throw new AppError('unauthorized', 'auth.token is required')
  let iss: unknown
  try {
    iss = decodeJwt(token).iss
  } catch {
    throw new AppError('unauthorized', 'auth.token is not a JWT')
  }
  const node = liveKitNodes(config).find((n) => n.apiKey === iss)
  if (!node) throw new AppError('unauthorized', 'auth.token was not issued by a known LiveKit node')
  let payload: Record<string, unknown>
  try {
    payload = (await jwtVerify(token, encoder.encode(node.apiSecret), { algorithms: ['HS256'] })).payload
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new AppError('token_expired', 'auth.token has expired')
    throw new AppError('unauthorized', 'auth.token signature is invalid')
  }
  const video = (payload.video ?? {}) as { room?: unknown; roomJoin?: unknown }
  if (video.room !== room) throw new AppError('forbidden', `auth.token is for another room, not "${room}"`)
  if (video.roomJoin !== true) throw new AppError('forbidden', 'auth.token does not grant roomJoin')
  const identity = typeof payload.sub === 'string' ? payload.sub : ''
  if (!identity) throw new AppError('unauthorized', 'auth.token has no identity')
  return {
    identity,
    name: typeof payload.name === 'string' ? payload.name : identity,
    room,
    ...userTypeOf(payload),
  }
}

function userTypeOf(payload: Record<string, unknown>): { userType?: string } {
  const attrs = payload.attributes as Record<string, unknown> | undefined
  if (typeof attrs?.userType === 'string') return { userType: attrs.userType }
  if (typeof payload.metadata === 'string') {
    try {
      const md = JSON.parse(payload.metadata) as { userType?: unknown }
      if (typeof md.userType === 'string') return { userType: md.userType }
    } catch {
      /* metadata need not be JSON */
    }
  }
  return {}
}
