import { createRoute, z } from '@hono/zod-openapi'
import type { Config } from '../config'
import { db } from '../db/client'
import { ok } from '../lib/envelope'
import type { AuthIdentity } from '../lib/identity'
import { router } from '../lib/router'
import { optionalAuth, requireUser } from '../middleware/auth'
import { bearerSecurity, jsonBody, modernResponses } from '../schemas/common'
import {
  ChangeRoleBody,
  CreatedSession,
  CreateSessionBody,
  JoinResult,
  JoinSessionBody,
  ListSessionsQuery,
  LiveParticipant,
  LiveSession,
  LiveSessionDetail,
  LiveSessionList,
  ParticipantParams,
  RecordingResult,
  SessionIdParam,
  UpdatedSession,
  UpdateSessionBody,
} from '../schemas/live'
import { emitEvent } from '../services/events'
import * as live from '../services/live-sessions'
import type { LiveEventType } from '../../objects/live-session-room'
import { publishToLiveSession } from '../services/realtime'
import type { Env } from '../env'

/** `/api/v1/live` — live sessions on LiveKit (seed 002 §2.3–§2.5). */
export const liveRoutes = router()

const tags = ['Live sessions']
const signedIn = { security: bearerSecurity, middleware: [requireUser()] }
const OWNER = 'Owner or admin only (403 otherwise).'
const LIVEKIT = 'LiveKit unreachable → 503, LiveKit error → 502 (both name LiveKit); nothing changes then.'

liveRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/sessions',
    tags,
    summary: 'Public sessions, newest first',
    description:
      'Public (no token). `status` filters; default scheduled and live. Private sessions never appear.',
    request: { query: ListSessionsQuery },
    responses: modernResponses(200, LiveSessionList, 'A page of sessions'),
  }),
  async (c) => ok(c, await live.listPublicSessions(db(c.env.DB), c.req.valid('query'))),
)

liveRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/sessions/{session_id}',
    tags,
    middleware: [optionalAuth()],
    summary: 'A session with its active participants',
    description:
      'Public for public sessions. A private session is visible only to its owner, admins and participants (bearer); anyone else gets 404.',
    request: { params: SessionIdParam },
    responses: modernResponses(200, LiveSessionDetail, 'The session', [404]),
  }),
  async (c) => {
    const d = db(c.env.DB)
    const row = await live.visibleSession(d, c.req.valid('param').session_id, c.var.identity)
    return ok(c, {
      ...(await live.viewSession(d, row)),
      participants: await live.listParticipants(d, row.id),
    })
  },
)

liveRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/sessions',
    tags,
    security: bearerSecurity,
    middleware: [requireUser({ roles: ['admin', 'mentor'] })],
    summary: 'Create a session (admin or mentor)',
    description:
      'Admins and mentors only (403 otherwise). Answers the host’s LiveKit token and an invite link; a private session’s link carries its invite token, which is stored hashed and shown only here (and when regenerated).',
    request: { body: jsonBody(CreateSessionBody) },
    responses: modernResponses(201, CreatedSession, 'Created', [401, 403]),
  }),
  async (c) =>
    ok(c, await live.createSession(db(c.env.DB), c.var.config, c.var.identity!, c.req.valid('json')), 201),
)

liveRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/sessions/{session_id}/join',
    tags,
    ...signedIn,
    summary: 'Join: a LiveKit token with the grants of the caller’s role',
    description:
      'Any signed-in user. Roles and grants: host (the owner) — publish, subscribe, data, roomAdmin; co_host — the same (roomAdmin included); speaker — publish, subscribe, data; viewer (default) — subscribe and data only. Private sessions need `invite_token` (not for the owner, admins or earlier participants). Kicked users get 403; ended or full sessions 409. Tokens live LIVE_TOKEN_TTL seconds: join again to reconnect later.',
    request: { params: SessionIdParam, body: { ...jsonBody(JoinSessionBody), required: false } },
    responses: modernResponses(200, JoinResult, 'Joined', [401, 403, 404, 409]),
  }),
  async (c) =>
    ok(
      c,
      await live.joinSession(
        db(c.env.DB),
        c.var.config,
        c.req.valid('param').session_id,
        c.var.identity!,
        c.req.valid('json') ?? {},
      ),
    ),
)

liveRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/sessions/{session_id}',
    tags,
    ...signedIn,
    summary: 'Update a session',
    description: `${OWNER} Ended sessions cannot change (409). Making a session private (or \`regenerate_invite\`) issues a new invite token, answered once in \`invite_link\`.`,
    request: { params: SessionIdParam, body: jsonBody(UpdateSessionBody) },
    responses: modernResponses(200, UpdatedSession, 'Updated', [401, 403, 404, 409]),
  }),
  async (c) => {
    const id = c.req.valid('param').session_id
    const updated = await live.updateSession(
      db(c.env.DB),
      c.var.config,
      id,
      c.var.identity!,
      c.req.valid('json'),
    )
    const { invite_link: _secret, ...view } = updated as typeof updated & { invite_link?: string }
    await announce(c.env, id, 'session', view)
    return ok(c, updated)
  },
)

/**
 * A POST on one session by its owner or an admin that calls LiveKit: start, end, recording start/stop.
 * The session's sockets are told, and webhook endpoints too when `webhook` names an event.
 */
function ownerAction<T>(
  path: string,
  summary: string,
  description: string,
  result: z.ZodTypeAny,
  run: (env: Env, d: ReturnType<typeof db>, config: Config, id: string, who: AuthIdentity) => Promise<T>,
  /** The event the sockets get with the result; none when the service tells them itself. */
  event?: LiveEventType,
  webhook?: 'live.started' | 'live.ended',
) {
  liveRoutes.openapi(
    createRoute({
      method: 'post',
      path,
      tags,
      ...signedIn,
      summary,
      description: `${OWNER} ${description} ${LIVEKIT}`,
      request: { params: SessionIdParam },
      responses: modernResponses(200, result, summary, [401, 403, 404, 409, 502, 503]),
    }),
    async (c) => {
      const id = c.req.valid('param').session_id
      const result = await run(c.env, db(c.env.DB), c.var.config, id, c.var.identity!)
      if (event) await announce(c.env, id, event, result as Record<string, unknown>)
      if (webhook) await emitEvent(c.env, { type: webhook, data: result as z.infer<typeof LiveSession> })
      return ok(c, result)
    },
  )
}

/** Tells the session's sockets (objects/live-session-room.ts) about a change that took effect. */
const announce = (env: Env, id: string, type: LiveEventType, data: Record<string, unknown>) =>
  publishToLiveSession(env, id, type, data)

ownerAction(
  '/sessions/{session_id}/start',
  'Start: scheduled → live',
  'Creates the LiveKit room (max_participants). Not scheduled → 409.',
  LiveSession,
  live.startSession,
  'session',
  'live.started',
)
ownerAction(
  '/sessions/{session_id}/end',
  'End: → ended',
  'Stops a running recording and deletes the LiveKit room (disconnecting everyone). Already ended → 409.',
  LiveSession,
  live.endSession,
  'session_ended',
  'live.ended',
)

liveRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/sessions/{session_id}',
    tags,
    ...signedIn,
    summary: 'Delete a session and its participants',
    description: `${OWNER} A session not yet ended has its recording stopped and LiveKit room deleted first. ${LIVEKIT}`,
    request: { params: SessionIdParam },
    responses: modernResponses(200, z.object({}), 'Deleted', [401, 403, 404, 502, 503]),
  }),
  async (c) => {
    const id = c.req.valid('param').session_id
    await live.deleteSession(c.env, db(c.env.DB), c.var.config, id, c.var.identity!)
    await announce(c.env, id, 'session_ended', { session_id: id, deleted: true })
    return ok(c, {})
  },
)

liveRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/sessions/{session_id}/participants/{user_id}',
    tags,
    ...signedIn,
    summary: 'Change a participant’s role (co_host, speaker, viewer)',
    description: `Owner and admins: anyone but the host. Co-hosts: speakers and viewers only, to speaker or viewer (403 otherwise). While live, LiveKit permissions change at once (UpdateParticipant). ${LIVEKIT}`,
    request: { params: ParticipantParams, body: jsonBody(ChangeRoleBody) },
    responses: modernResponses(200, LiveParticipant, 'The participant', [401, 403, 404, 409, 502, 503]),
  }),
  async (c) => {
    const { session_id, user_id } = c.req.valid('param')
    const { role } = c.req.valid('json')
    const p = await live.changeRole(db(c.env.DB), c.var.config, session_id, user_id, c.var.identity!, role)
    await announce(c.env, session_id, 'role_changed', p)
    return ok(c, p)
  },
)

liveRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/sessions/{session_id}/participants/{user_id}/kick',
    tags,
    ...signedIn,
    summary: 'Kick a participant: removed from LiveKit, cannot rejoin',
    description: `Same rights as role changes. ${LIVEKIT}`,
    request: { params: ParticipantParams },
    responses: modernResponses(200, LiveParticipant, 'The kicked participant', [401, 403, 404, 502, 503]),
  }),
  async (c) => {
    const { session_id, user_id } = c.req.valid('param')
    const p = await live.kickParticipant(db(c.env.DB), c.var.config, session_id, user_id, c.var.identity!)
    await announce(c.env, session_id, 'kicked', p)
    return ok(c, p)
  },
)

ownerAction(
  '/sessions/{session_id}/recording/start',
  'Start recording (room composite to R2)',
  'Live sessions only; one recording at a time; at most EGRESS_LIMIT recordings system-wide, claimed atomically (409 when full — not queued as room recordings are); 409 when LIVEKIT_RECORDING_ENABLED is off. The same recording service as rooms: the sockets get `recording` events as the egress starts, ends or fails, and the session’s `recording` clears when the egress ends.',
  RecordingResult,
  live.startRecording,
)
ownerAction(
  '/sessions/{session_id}/recording/stop',
  'Stop recording',
  'The recording is `ending`; the egress webhook marks it complete with its R2 key and clears the session’s `recording`. Not recording (or already ending) → 409.',
  RecordingResult,
  live.stopRecording,
)
