import { filesOf, type StoredMessage } from '../room/log'
import type { Actor, RoomCommandInput } from '../room/commands'
import type { RoomDetails, RoomEvent, SendResult } from '../room/events'
import type { Replay } from '../room/core'
import { iso } from '../../worker/lib/time'
import { AppError, validationError, type ErrorCode } from '../../worker/lib/errors'
import {
  ClientFrame,
  CLIENT_FRAME_TYPES,
  type RoomCommand as ClientCommand,
} from '../../worker/schemas/chat-frames'

/**
 * The JSON WebSocket protocol (SPEC §5.2, seed 003): parses a text frame into a typed room
 * command, or throws an AppError whose code and message name the problem (malformed JSON,
 * unknown type, missing or invalid fields). Never throws anything else.
 */
export function parseFrame(raw: string | ArrayBuffer): ClientCommand {
  if (typeof raw !== 'string')
    throw new AppError('bad_request', 'Binary frames are not supported; send JSON text')
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    throw new AppError('bad_request', 'Malformed JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError('bad_request', 'A frame must be a JSON object with a "type"')
  }
  const type = (value as { type?: unknown }).type
  if (type === undefined) throw validationError([{ path: ['type'], message: 'is required' }])
  if (typeof type !== 'string' || !(CLIENT_FRAME_TYPES as string[]).includes(type)) {
    throw new AppError('bad_request', `Unknown frame type ${JSON.stringify(type)}`, {
      known: CLIENT_FRAME_TYPES,
    })
  }
  const parsed = ClientFrame.safeParse(value)
  if (!parsed.success) throw validationError(parsed.error.issues)
  return parsed.data
}

/** Fields a frame may carry that let a client match an error to what it sent. */
export function frameRefs(raw: string | ArrayBuffer): Record<string, unknown> {
  if (typeof raw !== 'string' || raw.length > 65_536) return {}
  try {
    const v = JSON.parse(raw) as Record<string, unknown>
    if (typeof v !== 'object' || v === null) return {}
    const out: Record<string, unknown> = {}
    if (typeof v.type === 'string') out.ref = v.type.slice(0, 64)
    if (typeof v.room_id === 'string' || typeof v.room_id === 'number') out.room_id = String(v.room_id)
    if (typeof v.client_id === 'string') out.client_id = v.client_id.slice(0, 64)
    return out
  } catch {
    return {}
  }
}

// ── Server → client frames, each encoded once per event (never per recipient) ─────────────

/** A client frame that acts on a chat (all but join_room and leave_room). */
export type ChatFrame = Exclude<ClientCommand, { type: 'join_room' | 'leave_room' }>

/** The room command a chat frame asks for (REST sends build the same ones). */
export function toCommand(frame: ChatFrame): RoomCommandInput {
  switch (frame.type) {
    case 'send_message':
      return {
        type: 'send',
        content: frame.content ?? '',
        ...(frame.message_type !== undefined ? { message_type: frame.message_type } : {}),
        ...(frame.file_ids !== undefined ? { file_ids: frame.file_ids } : {}),
        ...(frame.client_id !== undefined ? { client_id: frame.client_id } : {}),
        ...(frame.reply_to !== undefined ? { reply_to: frame.reply_to } : {}),
      }
    case 'edit_message':
      return { type: 'edit', message_id: frame.message_id, content: frame.content }
    case 'delete_message':
      return { type: 'delete', message_id: frame.message_id }
    case 'mark_read':
      return { type: 'read', seq: frame.seq }
    case 'typing_start':
      return { type: 'typing', typing: true }
    case 'typing_stop':
      return { type: 'typing', typing: false }
  }
}

/**
 * A room event as this protocol's frames (none where it has no such frame): presence is
 * announced for a user's first connection and their last one leaving; typing ended by the
 * user's own message is left for clients to infer from `new_message`.
 */
export function encodeEvent(room: string, e: RoomEvent): string[] {
  switch (e.type) {
    case 'message':
      return [newMessageFrame(room, e.message)]
    case 'edited':
      return [editedFrame(room, e.message)]
    case 'deleted':
      return [deletedFrame(room, e.message, e.by)]
    case 'read':
      return [readFrame(room, e.user, e.seq)]
    case 'typing':
      return e.implicit ? [] : [typingFrame(room, e.user, e.typing)]
    case 'presence':
      if (e.online && e.connections === 1)
        return [presenceFrame('user_joined', room, e.user), statusFrame(room, e.user, 'online')]
      if (!e.online && e.connections === 0)
        return [presenceFrame('user_left', room, e.user), statusFrame(room, e.user, 'offline')]
      return []
    case 'room_updated':
      return [chatUpdatedFrame(room, e.by, e.room)]
    case 'room_deleted':
      return [chatDeletedFrame(room, e.by)]
  }
}

/** What a resume sends: the missed messages, and an error naming where to page on if there were more. */
export function encodeReplay(room: string, replay: Replay): string[] {
  const out = replay.messages.map((m) => newMessageFrame(room, m))
  if (replay.nextSince !== undefined)
    out.push(
      errorFrame(
        'conflict',
        `More than ${replay.messages.length} missed messages; page the rest with GET /api/v1/chats/${room}/messages`,
        { room_id: room, next_since: replay.nextSince },
      ),
    )
  return out
}

/** An error frame; `content` repeats the message (seed 003's clients read errors from there). */
export function errorFrame(code: ErrorCode, message: string, extra?: Record<string, unknown>): string {
  return JSON.stringify({ type: 'error', code, message, content: message, ...extra })
}

/** `message_ack` for a send's result. */
export const sendAck = (room: string, r: SendResult) =>
  ackFrame(
    room,
    {
      id: r.message.id,
      seq: r.message.seq,
      client_id: r.message.client_id,
      created_at: iso(r.message.created_at),
    },
    r.duplicate,
  )

const messageData = (m: StoredMessage) => ({
  message_id: m.id,
  seq: m.seq,
  content: m.content,
  message_type: m.type,
  files: filesOf(m),
  user_uuid: m.sender_id,
  user_fullname: m.sender_name,
  user_email: m.sender_email ?? '',
  created_at: iso(m.created_at),
  reply_to: m.reply_to,
  client_id: m.client_id,
  edited_at: iso(m.edited_at),
  deleted: m.deleted_at !== null,
})

/** `new_message`: seed 003's shape plus `seq` (and `message_type`, `files`, `client_id`, `reply_to`). */
export const newMessageFrame = (room: string, m: StoredMessage) =>
  JSON.stringify({
    type: 'new_message',
    room_id: room,
    seq: m.seq,
    user_uuid: m.sender_id,
    content: m.content,
    message_type: m.type,
    files: filesOf(m),
    timestamp: iso(m.created_at),
    message_id: m.id,
    client_id: m.client_id,
    reply_to: m.reply_to,
    data: messageData(m),
  })

/** `message_ack`: sent to the sender once the message is stored (`duplicate` for a repeated client_id). */
export const ackFrame = (
  room: string,
  m: { id: string; seq: number; client_id: string | null; created_at: string },
  duplicate: boolean,
) =>
  JSON.stringify({
    type: 'message_ack',
    room_id: room,
    client_id: m.client_id,
    message_id: m.id,
    seq: m.seq,
    created_at: m.created_at,
    duplicate,
  })

export const editedFrame = (room: string, m: StoredMessage) =>
  JSON.stringify({
    type: 'message_edited',
    room_id: room,
    message_id: m.id,
    seq: m.seq,
    user_uuid: m.sender_id,
    content: m.content,
    edited_at: iso(m.edited_at),
    data: messageData(m),
  })

export const deletedFrame = (room: string, m: StoredMessage, by: Actor) =>
  JSON.stringify({
    type: 'message_deleted',
    room_id: room,
    message_id: m.id,
    seq: m.seq,
    user_uuid: by.id,
    deleted_at: iso(m.deleted_at),
  })

export const presenceFrame = (type: 'user_joined' | 'user_left', room: string, user: Actor) =>
  JSON.stringify({
    type,
    room_id: room,
    user_uuid: user.id,
    data: { user_uuid: user.id, user_fullname: user.name },
  })

/** A member's status: presence (`online`/`offline`) or what they set with `PUT /api/v1/users/status`. */
export type MemberStatus = 'online' | 'offline' | 'away' | 'dnd'

export const statusFrame = (room: string, user: Actor, status: MemberStatus) =>
  JSON.stringify({
    type: 'user_status',
    room_id: room,
    user_uuid: user.id,
    status,
    data: { user_id: user.id, status },
  })

export const typingFrame = (room: string, user: Actor, typing: boolean) =>
  JSON.stringify({ type: 'typing', room_id: room, user_uuid: user.id, user_fullname: user.name, typing })

/** `chat_updated`: the chat's name, description or avatar changed (`user_uuid`: who changed it). */
export const chatUpdatedFrame = (room: string, by: Actor, d: RoomDetails) =>
  JSON.stringify({
    type: 'chat_updated',
    room_id: room,
    user_uuid: by.id,
    data: {
      id: room,
      name: d.name,
      description: d.description,
      avatar_url: d.avatar_url,
      updated_at: iso(d.updated_at),
    },
  })

/** `chat_deleted`: the chat is gone (`user_uuid`: who deleted it); its sockets close next. */
export const chatDeletedFrame = (room: string, by: Actor) =>
  JSON.stringify({ type: 'chat_deleted', room_id: room, user_uuid: by.id })

export const readFrame = (room: string, user: Actor, seq: number) =>
  JSON.stringify({ type: 'read', room_id: room, user_uuid: user.id, seq })
