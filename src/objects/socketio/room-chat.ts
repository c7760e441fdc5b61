import { AppError } from '../../worker/lib/errors'
import { newId } from '../../worker/lib/ids'
import { utf8Exceeds } from '../../worker/lib/utf8'
import { ChatLog, type StoredMessage } from '../chat-log'
import { WriteBatch } from '../write-batch'
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

/** A room's chat log and the batch its sends are written in (one per object, on first use). */
interface RoomChat {
  log: ChatLog
  writes: WriteBatch
}
type Appended = { message: StoredChat; created: boolean }

const rooms = new WeakMap<DurableObjectState, RoomChat>()

function roomChat(ctx: DurableObjectState): RoomChat {
  let room = rooms.get(ctx)
  if (!room)
    rooms.set(ctx, (room = { log: new ChatLog(ctx.storage, { index: false }), writes: new WriteBatch() }))
  return room
}

/** The room's chat log in its object's storage (the shared ChatLog). */
export const roomLog = (ctx: DurableObjectState): ChatLog => roomChat(ctx).log

/**
 * Stores a drafted message and broadcasts it as a `chat-message` (`broadcast` gets the encoded
 * event); messages sent close together are written together (WriteBatch).
 */
export function sendChat(
  ctx: DurableObjectState,
  draft: ChatDraft,
  broadcast: (json: string) => void,
): Promise<Appended> {
  const { log, writes } = roomChat(ctx)
  return writes.run(() => {
    const out = appendChat(log, draft)
    if (out.created) broadcast(chatEvent(out.message))
    return out
  })
}

/** Resolves once the room's queued chat writes are done (undefined when there are none). */
export const chatWritesIdle = (ctx: DurableObjectState) => rooms.get(ctx)?.writes.idle

/**
 * A `chat-message` event from the stored JSON, encoded once for every recipient. The trailing seq
 * is Socket.IO's recovery offset: clients given a `pid` send it back on reconnect.
 */
export const chatEvent = (m: StoredChat) => `["chat-message",${m.json},"${m.seq}"]`

/** A validated chat message waiting for its seq. */
export interface ChatDraft {
  room: string
  fields: Record<string, unknown>
  text: unknown
  clientId: string | undefined
  identity: string
  name: string
  maxBytes: number
}

/**
 * Checks a `chat-message` payload (a string, or an object with `message`, `text` or `content`
 * and an optional `client_id`) and prepares it for the log. Throws an AppError naming the problem.
 */
export function draftChat(room: string, sock: NsSocket, payload: unknown, maxBytes: number): ChatDraft {
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
  return {
    room,
    fields,
    text,
    clientId: clientId as string | undefined,
    identity: String(sock.data.id),
    name: String(sock.data.n ?? ''),
    maxBytes,
  }
}

/**
 * Appends a drafted message with the next gap-free seq (SPEC §5.1). A `client_id` the sender
 * used before returns the stored message and `created: false`. The write commits before any
 * frame sent after it leaves the object (output gate), so broadcasts and acks follow it.
 */
export function appendChat(log: ChatLog, d: ChatDraft): { message: StoredChat; created: boolean } {
  const now = Date.now()
  const id = newId()
  const createdAt = new Date(now).toISOString()
  const { row, created } = log.append(
    {
      id,
      sender_id: d.identity,
      sender_name: d.name,
      sender_email: null,
      content: typeof d.text === 'string' ? d.text : JSON.stringify(d.text),
      type: 'text',
      reply_to: null,
      client_id: d.clientId ?? null,
      created_at: now,
    },
    (seq) => {
      const message: ChatMessage = {
        ...d.fields,
        id,
        seq,
        room: d.room,
        message: d.text as ChatMessage['message'],
        sender: { identity: d.identity, name: d.name },
        ...(d.clientId ? { client_id: d.clientId } : {}),
        created_at: createdAt,
      }
      const json = JSON.stringify(message)
      if (utf8Exceeds(json, d.maxBytes))
        throw new AppError('payload_too_large', `chat-message: larger than ${d.maxBytes} bytes`)
      return json
    },
  )
  return { message: { id: row.id, seq: row.seq, json: bodyOf(row, d.room) }, created }
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
