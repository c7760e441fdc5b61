import { z } from '@hono/zod-openapi'
import { RoomName } from './rooms'

const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .optional()

/** `GET /record/request`: start (or queue) a recording, or stop one with `action=stop`. */
export const RecordRequestQuery = z.object({
  room: RoomName.optional().openapi({ description: 'Required to start; to stop, the room or `recordId`' }),
  action: z.enum(['start', 'stop']).default('start'),
  type: z
    .enum([
      'room_composite',
      'track_composite',
      'RoomCompositeVideoAudio',
      'RoomCompositeAudio',
      'TrackComposite',
    ])
    .default('room_composite')
    .openapi({ description: 'What to record; seed 000 record types are accepted too' }),
  audioOnly: bool,
  layout: z.string().max(64).optional(),
  audioTrackId: z.string().max(64).optional(),
  videoTrackId: z.string().max(64).optional(),
  recordId: z.string().max(64).optional(),
})

export const RecordListQuery = z.object({ room: RoomName.optional(), active: bool })

export const RecordRoomQuery = z.object({ room: RoomName.optional() })

export const FileHistoryQuery = z.object({
  room: RoomName.optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
})

export const Recording = z
  .object({
    id: z.string(),
    room: z.string(),
    egress_id: z.string().nullable(),
    kind: z.enum(['room_composite', 'track_composite']),
    status: z.enum(['queued', 'starting', 'active', 'ending', 'complete', 'failed', 'aborted']),
    options: z.record(z.string(), z.unknown()),
    r2_key: z.string().nullable().openapi({ description: 'R2 key under `recordings/`' }),
    url: z.string().nullable().openapi({ description: 'Static `/record/…` URL once complete' }),
    size: z.number().nullable(),
    duration_ms: z.number().nullable(),
    error: z.string().nullable(),
    requested_by: z.string().nullable(),
    started_at: z.string().nullable(),
    ended_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('Recording')

export const EgressList = z
  .object({ items: z.array(z.record(z.string(), z.unknown())) })
  .openapi('EgressList')

export const StopAllResult = z
  .object({ stopped: z.array(Recording), failed: z.array(z.object({ id: z.string(), error: z.string() })) })
  .openapi('StopAllRecordings')

export const RecordCheck = z
  .object({
    room: z.string().nullable(),
    recording: z.boolean(),
    current: Recording.nullable(),
    egress_limit: z.number().int(),
    active: z.number().int(),
    queued: z.number().int(),
    available: z.boolean(),
  })
  .openapi('RecordCheck')

export const WebhookResult = z
  .object({
    event: z.string(),
    room: z.string().nullable(),
    handled: z.boolean(),
    changed: z.boolean(),
    ignored: z.enum(['duplicate', 'stale']).optional().openapi({
      description:
        'Set when nothing was applied: `duplicate` (this event id was already received), `stale` (an event created later for the same room, participant or egress was already received)',
    }),
  })
  .openapi('WebhookResult')
