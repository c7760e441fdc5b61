import { AppError } from '../../worker/lib/errors'
import { newId } from '../../worker/lib/ids'
import { utf8Exceeds } from '../../worker/lib/utf8'
import { ChatLog, type StoredMessage } from '../chat-log'
import { hasBinary } from './codec'
import type { NsSocket } from './namespace'

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

/** A stored message: its seq and id, and its JSON exactly as broadcast (encoded once). */
export interface StoredChat {
  id: string
  seq: number
  json: string
}

const logs = new WeakMap<DurableObjectState, ChatLog>()

/** The room's chat log in its object's storage (the shared ChatLog; one per object, on first use). */
export function roomLog(ctx: DurableObjectState): ChatLog {
  let log = logs.get(ctx)
  if (!log) logs.set(ctx, (log = new ChatLog(ctx.storage, { index: false })))
  return log
}

/**
 * Appends a chat message to the room's log with the next gap-free seq (SPEC §5.1). A `client_id`
 * the sender used before returns the stored message and `created: false`. The write commits
 * before any frame the caller then sends leaves the object (output gate), so acks follow it.
 */
export function appendChat(
  log: ChatLog,
  room: string,
  sock: NsSocket,
  payload: unknown,
  maxBytes: number,
): { message: StoredChat; created: boolean } {
  if (typeof payload !== 'string' && !isObject(payload))
    throw new AppError('validation_failed', 'chat-message: expected a string or an object with "message"')
  // Stored as JSON, which has no bytes: refuse them rather than store `{}` in their place.
  if (hasBinary(payload))
    throw new AppError('validation_failed', 'chat-message: binary attachments are not supported')
  const fields: Record<string, unknown> = typeof payload === 'string' ? { message: payload } : payload
  const text = fields.message ?? fields.text ?? fields.content
  if (text === undefined || text === null || text === '')
    throw new AppError('validation_failed', 'chat-message: "message" is required')
  const clientId = fields.client_id ?? fields.clientId
  if (clientId !== undefined && (typeof clientId !== 'string' || !clientId || clientId.length > 128))
    throw new AppError('validation_failed', 'chat-message: "client_id" must be a string of 1-128 characters')
  const now = Date.now()
  const id = newId()
  const identity = String(sock.data.id)
  const name = String(sock.data.n ?? '')
  const createdAt = new Date(now).toISOString()
  const { row, created } = log.append(
    {
      id,
      sender_id: identity,
      sender_name: name,
      sender_email: null,
      content: typeof text === 'string' ? text : JSON.stringify(text),
      type: 'text',
      reply_to: null,
      client_id: (clientId as string | undefined) ?? null,
      created_at: now,
    },
    (seq) => {
      const message: ChatMessage = {
        ...fields,
        id,
        seq,
        room,
        message: text,
        sender: { identity, name },
        ...(clientId ? { client_id: clientId as string } : {}),
        created_at: createdAt,
      }
      const json = JSON.stringify(message)
      if (utf8Exceeds(json, maxBytes))
        throw new AppError('payload_too_large', `chat-message: larger than ${maxBytes} bytes`)
      return json
    },
  )
  return { message: { id: row.id, seq: row.seq, json: bodyOf(row, room) }, created }
}

/** Messages after `seq`, oldest first (at most `limit`), as JSON. */
export function chatSince(log: ChatLog, room: string, seq: number, limit = 500): StoredChat[] {
  return log.after(seq, limit).map((m) => ({ id: m.id, seq: m.seq, json: bodyOf(m, room) }))
}

/** Messages before `before` (or the newest), newest first. */
export function chatBefore(
  log: ChatLog,
  room: string,
  before: number | undefined,
  limit: number,
): ChatMessage[] {
  return log.page(before, limit).map((m) => JSON.parse(bodyOf(m, room)) as ChatMessage)
}

/** The message's JSON: its body, or (a row without one) the same shape rebuilt from the columns. */
function bodyOf(m: StoredMessage, room: string): string {
  if (m.body !== null) return m.body
  const message: ChatMessage = {
    id: m.id,
    seq: m.seq,
    room,
    message: m.content,
    sender: { identity: m.sender_id, name: m.sender_name },
    ...(m.client_id ? { client_id: m.client_id } : {}),
    created_at: new Date(m.created_at).toISOString(),
  }
  return JSON.stringify(message)
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
