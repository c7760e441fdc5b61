import { z } from '@hono/zod-openapi'
import { USER_TYPES } from '../lib/livekit/tokens'
import { RoomName, RoomSettings } from './rooms'

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
