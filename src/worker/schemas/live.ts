import { z } from '@hono/zod-openapi'

/** Live-session roles (seed 002): one host (the owner), co-hosts, speakers, viewers. */
export const LiveRole = z.enum(['host', 'co_host', 'speaker', 'viewer'])
export type LiveRole = z.infer<typeof LiveRole>

export const LiveStatus = z.enum(['scheduled', 'live', 'ended'])

const title = z.string().trim().min(1, 'is required').max(200)
const description = z.string().trim().max(4000)
const maxParticipants = z.number().int().min(1, 'must be at least 1').max(10_000, 'must be at most 10000')
const scheduledAt = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' })

export const SessionIdParam = z.object({
  session_id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'session_id', in: 'path' } }),
})

export const ParticipantParams = SessionIdParam.extend({
  user_id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'user_id', in: 'path' } }),
})

export const CreateSessionBody = z
  .object({
    title,
    description: description.optional(),
    session_type: z.string().trim().min(1).max(32).default('live'),
    max_participants: maxParticipants.default(100),
    is_public: z.boolean().default(true),
    is_recorded: z.boolean().default(false),
    scheduled_at: scheduledAt.optional(),
  })
  .openapi('CreateLiveSessionRequest')

export const UpdateSessionBody = z
  .object({
    title: title.optional(),
    description: description.nullable().optional(),
    max_participants: maxParticipants.optional(),
    is_public: z.boolean().optional(),
    is_recorded: z.boolean().optional(),
    scheduled_at: scheduledAt.nullable().optional(),
    regenerate_invite: z
      .boolean()
      .optional()
      .openapi({ description: 'Private sessions: issue a new invite token; the old one stops working' }),
  })
  .refine((v) => Object.keys(v).length > 0, { message: 'at least one field is required' })
  .openapi('UpdateLiveSessionRequest')

export const JoinSessionBody = z
  .object({
    display_name: z.string().trim().min(1).max(100).optional(),
    invite_token: z.string().trim().min(1).max(200).optional(),
  })
  .openapi('JoinLiveSessionRequest')

export const ChangeRoleBody = z
  .object({
    role: z.enum(['co_host', 'speaker', 'viewer'], {
      message: 'must be co_host, speaker or viewer (the owner is always the host)',
    }),
  })
  .openapi('ChangeLiveRoleRequest')

export const ListSessionsQuery = z.object({
  status: LiveStatus.optional().openapi({ description: 'Default: scheduled and live' }),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
})

export const LiveParticipant = z
  .object({
    user_id: z.string(),
    display_name: z.string(),
    role: LiveRole,
    joined_at: z.string(),
    left_at: z.string().nullable(),
    kicked: z.boolean(),
  })
  .openapi('LiveParticipant')

export const LiveSession = z
  .object({
    session_id: z.string(),
    owner_id: z.string(),
    title: z.string(),
    description: z.string().nullable(),
    session_type: z.string(),
    status: LiveStatus,
    max_participants: z.number().int(),
    is_public: z.boolean(),
    is_recorded: z.boolean(),
    recording: z.boolean().openapi({ description: 'A recording is running' }),
    participant_count: z.number().int().openapi({ description: 'Joined, not left, not kicked' }),
    scheduled_at: z.string().nullable(),
    started_at: z.string().nullable(),
    ended_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('LiveSession')

export const LiveSessionDetail = LiveSession.extend({ participants: z.array(LiveParticipant) }).openapi(
  'LiveSessionDetail',
)

export const LiveSessionList = z
  .object({
    sessions: z.array(LiveSession),
    total: z.number().int(),
    page: z.number().int(),
    limit: z.number().int(),
  })
  .openapi('LiveSessionList')

export const CreatedSession = z
  .object({
    session_id: z.string(),
    invite_link: z.string(),
    host_token: z.string().openapi({ description: 'LiveKit access token with host grants' }),
    server_url: z.string(),
    session: LiveSession,
    created_at: z.string(),
  })
  .openapi('CreatedLiveSession')

export const UpdatedSession = LiveSession.extend({
  invite_link: z.string().optional().openapi({ description: 'Present when a new invite token was issued' }),
}).openapi('UpdatedLiveSession')

export const JoinResult = z
  .object({
    session_id: z.string(),
    access_token: z.string(),
    server_url: z.string(),
    role: LiveRole,
    can_publish: z.boolean(),
    can_subscribe: z.boolean(),
    can_publish_data: z.boolean(),
    room_admin: z.boolean(),
  })
  .openapi('JoinLiveSessionResult')

export const RecordingResult = z
  .object({
    session_id: z.string(),
    recording_id: z.string(),
    egress_id: z.string().nullable(),
    status: z.string(),
    r2_key: z.string().nullable(),
  })
  .openapi('LiveRecording')
