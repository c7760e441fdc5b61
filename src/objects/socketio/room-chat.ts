import { z } from 'zod'
import { AppError } from '../../worker/lib/errors'
import { isPlainObject } from '../../worker/lib/plain-object'
import { iso } from '../../worker/lib/time'
import { MAX_FILES_PER_MESSAGE, MessageType, type Attachment, type SendCommandInput } from '../room/commands'
import type { Replay } from '../room/core'
import type { RoomEvent, SendResult } from '../room/events'
import { filesOf, type StoredMessage } from '../room/log'
import { hasBinary } from './codec'

/**
 * The Socket.IO room namespace's chat (seed 000 `chat-message`): a payload becomes a room
 * command, and room events become `chat-message` events. Only the wire format lives here; the
 * room core stores, orders, de-duplicates and acknowledges.
 */

/** One persisted room chat message as every member receives it (plus whatever fields the sender added). */
export interface ChatMessage {
  id: string
  seq: number
  room: string
  message: string | number | boolean | object
  sender: { identity: string; name: string }
  /** text, image or file. */
  type: string
  /** The attached files (image and file messages only). */
  files?: Attachment[]
  client_id?: string
  created_at: string
}

const ClientId = z.string().min(1).max(128)
const FileIds = z.array(z.string().min(1).max(64)).min(1).max(MAX_FILES_PER_MESSAGE)

/**
 * A `chat-message` payload: a string, or an object with `message` (or `text`, `content`), an
 * optional `client_id` (or `clientId`), and for images and files `type` (`image` or `file`) with
 * `file_ids` (files uploaded with this room as `room`; `message` is then an optional caption);
 * every other field is kept and broadcast with it.
 */
const ChatPayload = z
  // One check of the payload's shape, not a union of string and record: that tried the string
  // first and then walked every key of the object, on every message (a tenth of the room's CPU).
  .custom<string | Record<string, unknown>>((v) => typeof v === 'string' || isPlainObject(v), {
    error: 'expected a string or an object with "message"',
  })
  .transform((payload, ctx) => {
    const fields = typeof payload === 'string' ? { message: payload } : payload
    const type = fields.type === undefined ? undefined : MessageType.safeParse(fields.type)
    if (type && !type.success) {
      ctx.addIssue({ code: 'custom', path: ['type'], message: '"type" must be text, image or file' })
      return z.NEVER
    }
    const fileIds = fields.file_ids === undefined ? undefined : FileIds.safeParse(fields.file_ids)
    if (fileIds && !fileIds.success) {
      ctx.addIssue({
        code: 'custom',
        path: ['file_ids'],
        message: `"file_ids" must be 1-${MAX_FILES_PER_MESSAGE} file ids`,
      })
      return z.NEVER
    }
    const text = fields.message ?? fields.text ?? fields.content
    if ((text === undefined || text === null || text === '') && !fileIds) {
      ctx.addIssue({ code: 'custom', path: ['message'], message: '"message" is required' })
      return z.NEVER
    }
    const clientId = fields.client_id ?? fields.clientId
    if (clientId !== undefined && !ClientId.safeParse(clientId).success) {
      ctx.addIssue({
        code: 'custom',
        path: ['client_id'],
        message: '"client_id" must be a string of 1-128 characters',
      })
      return z.NEVER
    }
    const { type: _type, file_ids: _ids, ...kept } = fields
    return {
      fields: kept,
      text: text ?? '',
      clientId: clientId as string | undefined,
      type: type?.data,
      fileIds: fileIds?.data,
    }
  })

/** The room command a `chat-message` payload asks for; throws an AppError naming the problem. */
export function chatCommand(payload: unknown): SendCommandInput {
  // Stored as JSON, which has no bytes: refuse them rather than store `{}` in their place.
  if (hasBinary(payload))
    throw new AppError('validation_failed', 'chat-message: binary attachments are not supported')
  const parsed = ChatPayload.safeParse(payload)
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => ({
      path: i.path.join('.') || '(payload)',
      message: i.message,
    }))
    throw new AppError('validation_failed', `chat-message: ${parsed.error.issues[0].message}`, { fields })
  }
  const { fields, text, clientId, type, fileIds } = parsed.data
  return {
    type: 'send',
    content: typeof text === 'string' ? text : JSON.stringify(text),
    ...(type !== undefined ? { message_type: type } : {}),
    ...(fileIds !== undefined ? { file_ids: fileIds } : {}),
    ...(clientId !== undefined ? { client_id: clientId } : {}),
    attrs: fields,
  }
}

/** The ack a `chat-message` gets once stored. */
export const chatAck = (r: SendResult) => [{ id: r.message.id, seq: r.message.seq, duplicate: r.duplicate }]

/**
 * A stored message as members receive it: the sender's fields, then the room's (id, seq, room,
 * message, sender, client_id, created_at). Rows stored before the core kept the whole message as
 * their fields, which renders the same.
 */
export function chatMessage(room: string, m: StoredMessage): ChatMessage {
  const attrs = m.body !== null ? (JSON.parse(m.body) as Record<string, unknown>) : {}
  const files = filesOf(m)
  return {
    ...attrs,
    id: m.id,
    seq: m.seq,
    room,
    message: (attrs.message ?? attrs.text ?? attrs.content ?? m.content) as ChatMessage['message'],
    sender: { identity: m.sender_id, name: m.sender_name },
    type: m.type,
    ...(files.length ? { files } : {}),
    ...(m.client_id ? { client_id: m.client_id } : {}),
    created_at: iso(m.created_at),
  }
}

/**
 * A `chat-message` event, JSON-encoded once for every recipient. The trailing seq is Socket.IO's
 * recovery offset: clients given a `pid` send it back on reconnect.
 */
export const chatEvent = (room: string, m: StoredMessage) =>
  `["chat-message",${JSON.stringify(chatMessage(room, m))},"${m.seq}"]`

/**
 * A room event as this namespace's event (JSON), or undefined where it has none: seed 000's room
 * namespace carries only `chat-message` (a conference room is never a group chat, so it has no
 * `room_updated` / `room_deleted`; presence is Socket.IO's own user-connection / user-disconnect).
 */
export function encodeEvent(room: string, e: RoomEvent): string | undefined {
  return e.type === 'message' ? chatEvent(room, e.message) : undefined
}

/** What a resume sends: the missed messages, then an `error` event naming where to page on if there were more. */
export function encodeReplay(room: string, replay: Replay): string[] {
  const out = replay.messages.map((m) => chatEvent(room, m))
  if (replay.nextSince !== undefined)
    out.push(
      JSON.stringify([
        'error',
        {
          code: 'conflict',
          message: `More than ${replay.messages.length} missed messages; page the rest with GET /chat/history?room=${room}`,
          next_since: replay.nextSince,
        },
      ]),
    )
  return out
}
