import { z } from '@hono/zod-openapi'

/** A room name: also the Socket.IO namespace `/{room}`, so no slashes or spaces. */
export const RoomName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, "_" or "-"')
  .openapi({ example: 'k3x9q2m7ab' })

export const RoomQuery = z.object({ room: RoomName })

export const RoomStatus = z.enum(['open', 'started', 'finished', 'closed'])

export const RecordType = z
  .enum(['RoomCompositeVideoAudio', 'RoomCompositeAudio', 'TrackComposite'])
  .openapi({ description: 'Seed 000 §5.2: what auto-recording records' })

/** Optional room settings accepted where a room may be created. */
export const RoomSettings = z.object({
  service: z.coerce.number().int().min(0).optional().openapi({ description: 'Service (domain) id' }),
  type: z
    .string()
    .trim()
    .min(1)
    .max(32)
    .optional()
    .openapi({ description: 'Room type, default `conference`' }),
  caseId: z.string().trim().min(1).max(64).optional(),
  autoRecord: z
    .boolean()
    .optional()
    .openapi({ description: 'Start recording when the first participant joins' }),
  recordType: RecordType.optional(),
})

export const RoomInfo = z
  .object({
    id: z.number().int(),
    room: z.string(),
    node: z.string().openapi({ description: 'LiveKit node the room lives on' }),
    service: z.number().int(),
    type: z.string(),
    status: RoomStatus,
    case_id: z.string().nullable(),
    created_by: z.string().nullable(),
    auto_record: z.boolean(),
    record_type: z.string().nullable(),
    record_status: z.number().int().openapi({ description: '1 while a recording runs' }),
    record_id: z.string().nullable(),
    expired: z.boolean(),
    expires_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('ConferenceRoom')

export const Identity = z.string().trim().min(1, 'is required').max(128)

export const ListRoomsQuery = z.object({
  status: RoomStatus.optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
})

export const VerifyTokenQuery = z.object({
  token: z.string().min(1).optional().openapi({ description: 'LiveKit token; or send it as the bearer' }),
})

export const RoomBody = z.object({ room: RoomName }).openapi('RoomRequest')

export const UpdateRoomUserBody = z
  .object({
    room: RoomName,
    identity: Identity,
    status: z.string().trim().min(1).max(32).optional(),
    name: z.string().trim().min(1).max(100).optional(),
    socketId: z.string().max(128).nullable().optional(),
    device: z.string().max(64).optional(),
  })
  .openapi('UpdateRoomUserRequest')

export const UpdateRoomTypeBody = RoomSettings.extend({
  room: RoomName,
  expiresIn: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 86400)
    .optional()
    .openapi({ description: 'New lifetime from now, seconds' }),
}).openapi('UpdateRoomTypeRequest')

export const UpdateRoomStatusBody = z
  .object({ room: RoomName, status: RoomStatus })
  .openapi('UpdateRoomStatusRequest')

export const RoomIdentityBody = z
  .object({ room: RoomName, identity: Identity })
  .openapi('RoomIdentityRequest')

export const CheckExpired = z
  .object({ room: z.string(), status: RoomStatus, expired: z.boolean(), expires_at: z.string() })
  .openapi('RoomExpiry')

export const ClosedRoom = RoomInfo.extend({
  livekit: z.enum(['deleted', 'absent']).openapi({ description: 'What happened to the LiveKit room' }),
}).openapi('ClosedRoom')

export const DeletedRoom = z
  .object({ room: z.string(), deleted: z.literal(true), livekit: z.enum(['deleted', 'absent']) })
  .openapi('DeletedRoom')

export const RoomPicture = z
  .object({ room: z.string(), key: z.string(), url: z.string() })
  .openapi('RoomPicture')

export const VerifiedToken = z
  .object({
    valid: z.literal(true),
    room: z.string(),
    identity: z.string(),
    name: z.string(),
    user_type: z.string().nullable(),
    node: z.string(),
    expires_at: z.string().nullable(),
  })
  .openapi('VerifiedLiveKitToken')
