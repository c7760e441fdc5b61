import { jwtVerify, type JWTPayload } from 'jose'
import { claimsToJwtPayload, TrackSource, type ClaimGrants, type VideoGrant } from 'livekit-server-sdk'
import type { Config, LiveKitNodeConfig } from '../../config'
import { AppError } from '../errors'
import { hmacKey } from '../hmac-keys'
import { signHs256 } from '../hs256'
import { nodeForToken } from './nodes'

/**
 * Conference participant kinds (seed 000). Staff run the call, callers and field units take part
 * with camera and microphone, viewers only watch, chat users only talk in the room's chat.
 */
export const USER_TYPES = [
  'admin',
  'agent',
  'staff',
  'caller',
  'user',
  'car',
  'mobile',
  'viewer',
  'chat',
] as const
export type UserType = (typeof USER_TYPES)[number]

const AV = [TrackSource.CAMERA, TrackSource.MICROPHONE]
const ALL_SOURCES = [...AV, TrackSource.SCREEN_SHARE, TrackSource.SCREEN_SHARE_AUDIO]

/** Room-independent grants per user type; `roomJoin` and `room` are added when minting. */
export const GRANTS_BY_USER_TYPE: Record<UserType, Omit<VideoGrant, 'room' | 'roomJoin'>> = {
  // Staff: everything a participant can do, screen sharing included, and may set their own metadata.
  admin: staffGrant(),
  agent: staffGrant(),
  staff: staffGrant(),
  // Members of the public reached by link: camera and microphone only.
  caller: publicGrant(false),
  user: publicGrant(false),
  // Ambulance crews: camera and microphone, and they update their own metadata (status).
  car: publicGrant(true),
  mobile: publicGrant(true),
  // Watch only: subscribe, never publish media or data.
  viewer: {
    canPublish: false,
    canPublishSources: [],
    canSubscribe: true,
    canPublishData: false,
    canUpdateOwnMetadata: false,
  },
  // Chat only (seed 000 `generateChatUser`): invisible in the call, no media, data messages only.
  chat: {
    canPublish: false,
    canPublishSources: [],
    canSubscribe: false,
    canPublishData: true,
    canUpdateOwnMetadata: false,
    hidden: true,
  },
}

function staffGrant(): Omit<VideoGrant, 'room' | 'roomJoin'> {
  return {
    canPublish: true,
    canPublishSources: ALL_SOURCES,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: true,
  }
}

function publicGrant(ownMetadata: boolean): Omit<VideoGrant, 'room' | 'roomJoin'> {
  return {
    canPublish: true,
    canPublishSources: AV,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: ownMetadata,
  }
}

/** What a participant token says about its holder. */
export interface ParticipantTokenInput {
  room: string
  identity: string
  name: string
  /** The join grant beyond `roomJoin` + `room`. */
  grant: Omit<VideoGrant, 'room' | 'roomJoin'>
  /** Seconds. */
  ttl: number
  metadata?: string
  attributes?: Record<string, string>
}

/**
 * Mints a LiveKit access token for `identity` in `room`, signed with the node's key and secret:
 * the token livekit-server-sdk's AccessToken builds (same claims: name, video grant, metadata,
 * attributes, sub, iss, nbf, exp), signed with the node's key imported once instead of per token.
 */
export async function mintParticipantToken(node: LiveKitNodeConfig, input: ParticipantTokenInput) {
  const claims: ClaimGrants = { video: { ...input.grant, roomJoin: true, room: input.room } }
  if (input.name) claims.name = input.name
  if (input.metadata) claims.metadata = input.metadata
  if (input.attributes) claims.attributes = input.attributes
  const now = Math.floor(Date.now() / 1000)
  return signHs256(
    { ...claimsToJwtPayload(claims), iss: node.apiKey, exp: now + input.ttl, nbf: now, sub: input.identity },
    node.apiSecret,
    'bare',
  )
}

/** Mints a conference participant token with the grants of `userType` (see GRANTS_BY_USER_TYPE). */
export function mintUserToken(
  node: LiveKitNodeConfig,
  input: Omit<ParticipantTokenInput, 'grant' | 'attributes'> & { userType: UserType },
) {
  const { userType, ...rest } = input
  return mintParticipantToken(node, {
    ...rest,
    grant: GRANTS_BY_USER_TYPE[userType],
    attributes: { userType },
  })
}

/** A verified participant token. */
export interface VerifiedLiveKitToken {
  identity: string
  name: string
  room: string
  node: string
  userType?: string
  grant: VideoGrant
  metadata?: string
  /** Expiry, epoch seconds. */
  exp?: number
}

/**
 * Verifies a LiveKit participant token minted by this system (or by anyone holding a configured
 * node's key): signature with the node whose API key is its `iss`, expiry, and a join grant for a
 * room. Anything else is a 401. Used by the Socket.IO `/{room}` namespace to accept
 * `/user/generate` tokens.
 */
export async function verifyLiveKitToken(config: Config, token: string): Promise<VerifiedLiveKitToken> {
  const node = nodeForToken(config, token)
  if (!node) throw new AppError('unauthorized', 'LiveKit token was not issued by a configured node')
  let claims: ClaimGrants & JWTPayload
  try {
    // What livekit-server-sdk's TokenVerifier checks (issuer, exp required, 10 s clock tolerance),
    // with the node's key imported once instead of per token.
    const { payload } = await jwtVerify<ClaimGrants>(token, await hmacKey(node.apiSecret), {
      issuer: node.apiKey,
      algorithms: ['HS256'],
      clockTolerance: 10,
      requiredClaims: ['exp'],
    })
    claims = payload
  } catch (err) {
    const expired = err instanceof Error && /exp/i.test(err.message) && /claim|expired/i.test(err.message)
    throw new AppError(expired ? 'token_expired' : 'unauthorized', 'Invalid LiveKit token')
  }
  const grant = (claims.video ?? {}) as VideoGrant
  if (!claims.sub || !grant.roomJoin || !grant.room)
    throw new AppError('unauthorized', 'LiveKit token carries no room join grant')
  return {
    identity: claims.sub,
    name: claims.name ?? claims.sub,
    room: grant.room,
    node: node.name,
    userType: claims.attributes?.userType,
    grant,
    metadata: claims.metadata,
    exp: claims.exp,
  }
}
