import { z } from '@hono/zod-openapi'
import { LiveParticipant, LiveRole, LiveSession, RecordingResult } from './live'

/**
 * Frames of a live session's event socket (`/api/v1/live/sessions/{session_id}/ws`), as
 * objects/live-session-room.ts sends them (`{type, data}`). Documentation for `/asyncapi.json`.
 */

const Viewer = z.object({ user_id: z.string(), name: z.string(), role: z.string() })

/** The one frame a client sends. */
export const LivePingFrame = z.object({ type: z.literal('ping') }).describe('Answered with pong')

export const LiveWelcomeFrame = z
  .object({
    type: z.literal('welcome'),
    data: z.object({ role: LiveRole, viewers: z.number().int(), users: z.array(Viewer) }),
  })
  .describe('To you, on connect')

export const LivePresenceFrame = z
  .object({
    type: z.literal('presence'),
    data: Viewer.extend({ joined: z.boolean(), viewers: z.number().int() }),
  })
  .describe('A user’s first socket opened or last socket closed')

export const LiveSessionFrame = z
  .object({ type: z.literal('session'), data: LiveSession })
  .describe('Start or PATCH (never with the invite link)')

export const LiveRoleChangedFrame = z
  .object({ type: z.literal('role_changed'), data: LiveParticipant })
  .describe('A participant’s role changed')

export const LiveKickedFrame = z
  .object({ type: z.literal('kicked'), data: LiveParticipant })
  .describe('A participant was kicked; that user’s sockets then close with 4003')

export const LiveRecordingFrame = z
  .object({ type: z.literal('recording'), data: RecordingResult })
  .describe('Recording started or stopped')

export const LiveSessionEndedFrame = z
  .object({
    type: z.literal('session_ended'),
    data: z.union([LiveSession, z.object({ session_id: z.string(), deleted: z.literal(true) })]),
  })
  .describe('End or delete; every socket then closes (1000) and new ones get 409')

export const LivePongFrame = z
  .object({ type: z.literal('pong'), data: z.object({ viewers: z.number().int() }) })
  .describe('The answer to ping')

export const LiveErrorFrame = z
  .object({ type: z.literal('error'), code: z.string(), message: z.string() })
  .describe('A frame that is not JSON or not ping; the socket stays open')

/** Every server → client frame of the live-session socket. */
export const LiveServerFrame = z.discriminatedUnion('type', [
  LiveWelcomeFrame,
  LivePresenceFrame,
  LiveSessionFrame,
  LiveRoleChangedFrame,
  LiveKickedFrame,
  LiveRecordingFrame,
  LiveSessionEndedFrame,
  LivePongFrame,
  LiveErrorFrame,
])
