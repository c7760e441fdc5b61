import { z } from 'zod'
import { AppError } from '../../worker/lib/errors'
import { iso } from '../../worker/lib/time'
import type { SendCommand } from '../room/commands'
import type { Replay } from '../room/core'
import type { RoomEvent, SendResult } from '../room/events'
import type { StoredMessage } from '../room/log'
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
  client_id?: string
  created_at: string
}

const ClientId = z.string().min(1).max(128)

/**
 * A `chat-message` payload: a string, or an object with `message` (or `text`, `content`) and an
 * optional `client_id` (or `clientId`); every other field is kept and broadcast with it.
 */
const ChatPayload = z
  .union(
    [
      z.string().transform((message): Record<string, unknown> => ({ message })),
      z.record(z.string(), z.unknown()),
    ],
    {
      error: 'expected a string or an object with "message"',
    },
  )
  .transform((fields, ctx) => {
    const text = fields.message ?? fields.text ?? fields.content
    if (text === undefined || text === null || text === '') {
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
    return { fields, text, clientId: clientId as string | undefined }
  })

/** The room command a `chat-message` payload asks for; throws an AppError naming the problem. */
export function chatCommand(payload: unknown): SendCommand {
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
  const { fields, text, clientId } = parsed.data
  return {
    type: 'send',
    content: typeof text === 'string' ? text : JSON.stringify(text),
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
  return {
    ...attrs,
    id: m.id,
    seq: m.seq,
    room,
    message: (attrs.message ?? attrs.text ?? attrs.content ?? m.content) as ChatMessage['message'],
    sender: { identity: m.sender_id, name: m.sender_name },
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
