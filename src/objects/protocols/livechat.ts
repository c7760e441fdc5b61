import { AppError, badRequest, validationError, type ErrorCode } from '../../worker/lib/errors'
import { LiveChatFrame, type LiveChatUserType } from '../../worker/schemas/livechat'
import type { RoomCommandInput } from '../room/commands'
import type { Replay } from '../room/core'
import type { RoomEvent, SendResult } from '../room/events'
import type { StoredMessage } from '../room/log'

/** Seed 004's connection status, exactly. */
export interface ConnectionStatus {
  users: Record<string, { user_id: string; user_type: LiveChatUserType; joined_at: string }>
  customer_connected: boolean
  agent_connected: boolean
  total_customer: number
  total_agent: number
}

/** A live-chat message as clients receive it. */
export interface LiveChatMessage {
  id: string
  seq: number
  session_id: string
  user_id: string
  user_type: LiveChatUserType
  name: string
  message: string
  client_id: string | null
  created_at: string
}

/** What encoding needs to know about the session. */
export interface LiveChatContext {
  sessionId(): string
  userType(userId: string): LiveChatUserType
  /** The connection status now (after the change being announced). */
  status(): ConnectionStatus
}

/**
 * The live-chat WebSocket protocol (seed 004): parses a text frame into a room command, or
 * throws an AppError naming the problem.
 */
export function parseFrame(raw: string | ArrayBuffer): RoomCommandInput {
  if (typeof raw !== 'string') throw badRequest('Binary frames are not supported')
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    throw new AppError('bad_request', 'Malformed JSON')
  }
  const parsed = LiveChatFrame.safeParse(value)
  if (!parsed.success) throw validationError(parsed.error.issues)
  const frame = parsed.data
  switch (frame.type) {
    case 'send_message':
      return {
        type: 'send',
        content: frame.data.message,
        ...(frame.data.client_id !== undefined ? { client_id: frame.data.client_id } : {}),
      }
    case 'typing':
      return { type: 'typing', typing: frame.data.is_typing }
    case 'typing_start':
      return { type: 'typing', typing: true }
    case 'typing_stop':
      return { type: 'typing', typing: false }
  }
}

/** A stored message as clients see it. */
export function messageView(c: LiveChatContext, m: StoredMessage): LiveChatMessage {
  return {
    id: m.id,
    seq: m.seq,
    session_id: c.sessionId(),
    user_id: m.sender_id,
    user_type: c.userType(m.sender_id),
    name: m.sender_name,
    message: m.content,
    client_id: m.client_id,
    created_at: new Date(m.created_at).toISOString(),
  }
}

const messageFrame = (c: LiveChatContext, m: StoredMessage) =>
  JSON.stringify({ type: 'new_message', data: messageView(c, m) })

/**
 * A room event as this protocol's frames: messages, typing (also when the user's own message
 * ended it), and every connection arriving or leaving with the connection status.
 */
export function encodeEvent(c: LiveChatContext, e: RoomEvent): string[] {
  switch (e.type) {
    case 'message':
      return [messageFrame(c, e.message)]
    case 'typing':
      return [
        JSON.stringify({
          type: 'typing',
          data: { user_id: e.user.id, user_type: c.userType(e.user.id), is_typing: e.typing },
        }),
      ]
    case 'presence':
      return [
        JSON.stringify({
          type: e.online ? 'user_connected' : 'user_disconnected',
          data: { user_id: e.user.id, user_type: c.userType(e.user.id), status: c.status() },
        }),
      ]
    // Live chat has no edits, deletes or read pointers, and a session is never a group chat
    // (no room_updated / room_deleted: closing a session is its own frame, session_closed).
    default:
      return []
  }
}

/** What a resume sends: the missed messages, and an error naming where to page on if there were more. */
export function encodeReplay(c: LiveChatContext, replay: Replay): string[] {
  const out = replay.messages.map((m) => messageFrame(c, m))
  if (replay.nextSince !== undefined)
    out.push(
      errorFrame(
        'conflict',
        `More than ${replay.messages.length} missed messages; page the rest with history`,
        {
          next_since: replay.nextSince,
        },
      ),
    )
  return out
}

/** `message_ack` for a send's result, after the write. */
export const sendAck = (r: SendResult) =>
  JSON.stringify({
    type: 'message_ack',
    data: { client_id: r.message.client_id, id: r.message.id, seq: r.message.seq, duplicate: r.duplicate },
  })

export const closedFrame = (reason: string) => JSON.stringify({ type: 'session_closed', data: { reason } })

export function errorFrame(code: ErrorCode, message: string, extra?: Record<string, unknown>): string {
  return JSON.stringify({ type: 'error', code, message, ...extra })
}
