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
