import { z } from '@hono/zod-openapi'
import { USER_TYPES } from '../lib/livekit/tokens'
import { LinkId } from './links'
import { Identity, RoomInfo, RoomName, RoomSettings } from './rooms'

export const UserType = z.enum(USER_TYPES).openapi({
  description:
    'Grants: admin/agent/staff publish camera, microphone and screen, subscribe, send data, set own metadata; ' +
    'caller/user publish camera and microphone, subscribe, send data; car/mobile as caller plus own metadata; ' +
    'viewer subscribes only; chat is hidden, no media, data only.',
})

export const UserName = z.string().trim().min(1, 'is required').max(100)

/** SPEC §4.2 golden path: `POST /user/generate`. */
export const GenerateUserBody = RoomSettings.extend({
  room: RoomName.optional().openapi({ description: 'Created when absent; a random name when omitted' }),
  userName: UserName,
  userType: UserType,
}).openapi('GenerateUserRequest')

export const JoinGrant = z
  .object({
    room: z.string(),
    identity: z.string(),
    token: z.string().openapi({ description: 'LiveKit access token for this room and identity' }),
    url: z.string().openapi({ description: 'LiveKit server URL (ws/wss) of the room’s node' }),
  })
  .openapi('JoinGrant')

export const RoomUserInfo = z
  .object({
    id: z.number().int(),
    room: z.string(),
    identity: z.string(),
    name: z.string(),
    user_type: z.string(),
    status: z.string(),
    socket_id: z.string().nullable(),
    link_id: z.string().nullable(),
    device: z.string().nullable(),
    joined_at: z.string().nullable(),
    left_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('RoomUser')

export const RoomDetail = RoomInfo.extend({ users: z.array(RoomUserInfo) }).openapi('RoomDetail')

export const AlreadyInRoomQuery = z.object({
  room: RoomName,
  identity: Identity.optional(),
  userName: UserName.optional(),
})

export const UsersInRoom = z
  .object({ room: z.string(), in_room: z.boolean(), users: z.array(RoomUserInfo) })
  .openapi('UsersInRoom')

/** A participant's Socket.IO id, as seed 000's frontends pass it (`socketId`). */
export const SocketId = z.string().trim().min(1).max(128)

/** Seed 000 `GetUserDetail(room, identity, socketId)`: a participant by identity or by Socket.IO id. */
export const UserDetailQuery = z
  .object({
    room: RoomName,
    identity: Identity.optional(),
    socketId: SocketId.optional().openapi({
      description: 'The participant whose Socket.IO id this is (without identity)',
    }),
  })
  .superRefine((q, ctx) => {
    if (!q.identity && !q.socketId)
      ctx.addIssue({ code: 'custom', path: ['identity'], message: 'is required (or socketId)' })
  })

/**
 * `POST /user/joingenerate`, JSON or form (seed 000 `JoinConferenceMiddleware` reads `linkID` with
 * `FormValue`). With `linkID` no bearer is needed and the room and user type come from the link;
 * without it a staff bearer and `room` + `userName` are required.
 */
export const JoinGenerateBody = z
  .object({
    linkID: LinkId.optional().openapi({
      description:
        'Join by link (the caller’s path): no bearer, room and userType from the link; 404 unknown, 410 disabled, expired or an already-joined one-time link',
    }),
    room: RoomName.optional().openapi({ description: 'Required without linkID; ignored with it' }),
    userName: UserName.optional().openapi({
      description: 'Required without linkID; with it, default the link’s userName, else its userType',
    }),
    userType: UserType.optional().openapi({
      description: 'Without linkID. Default: the caller’s role (admin, agent; service → staff)',
    }),
    socketId: SocketId.optional().openapi({
      description: 'The caller’s Socket.IO id, stored on the participant (seed 000)',
    }),
  })
  .openapi('JoinGenerateRequest')

export const ChatUserBody = z.object({ room: RoomName, userName: UserName }).openapi('ChatUserRequest')

/** A LiveKit object (participant, track, egress) as the SDK serialises it: camelCase JSON. */
export const LiveKitObject = z.record(z.string(), z.unknown()).openapi('LiveKitObject')

export const Participants = z
  .object({ room: z.string(), participants: z.array(LiveKitObject) })
  .openapi('LiveKitParticipants')

export const UpdateParticipantBody = z
  .object({
    room: RoomName,
    identity: Identity,
    name: z.string().trim().min(1).max(100).optional(),
    metadata: z.string().max(4096).optional(),
    permission: z
      .object({
        canPublish: z.boolean().optional(),
        canSubscribe: z.boolean().optional(),
        canPublishData: z.boolean().optional(),
        hidden: z.boolean().optional(),
      })
      .optional(),
  })
  .openapi('UpdateParticipantRequest')

export const UpdatedParticipant = z
  .object({ room: z.string(), identity: z.string(), participant: LiveKitObject })
  .openapi('UpdatedParticipant')

export const MuteTrackBody = z
  .object({ room: RoomName, identity: Identity, trackSid: z.string().min(1).max(64), muted: z.boolean() })
  .openapi('MuteTrackRequest')

export const MutedTrack = z
  .object({ room: z.string(), identity: z.string(), track: LiveKitObject })
  .openapi('MutedTrack')

export const RemovedParticipant = z
  .object({ room: z.string(), identity: z.string(), removed: z.literal(true) })
  .openapi('RemovedParticipant')

export const UserLogQuery = z.object({
  room: RoomName.optional(),
  identity: Identity.optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
})

export const UserLogEntry = z
  .object({
    id: z.number().int(),
    room: z.string().nullable(),
    identity: z.string().nullable(),
    action: z.string(),
    device: z.string().nullable(),
    detail: z.unknown(),
    created_at: z.string(),
  })
  .openapi('UserLogEntry')

export const HandleTrackBody = z
  .object({
    room: RoomName,
    identity: Identity,
    muted: z.boolean(),
    kind: z
      .enum(['audio', 'video'])
      .optional()
      .openapi({ description: 'Omit with no trackSid for every track' }),
    trackSid: z.string().min(1).max(64).optional(),
  })
  .openapi('HandleTrackRequest')

export const HandledTracks = z
  .object({ room: z.string(), identity: z.string(), muted: z.boolean(), tracks: z.array(z.string()) })
  .openapi('HandledTracks')
