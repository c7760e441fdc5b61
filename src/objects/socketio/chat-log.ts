import { AppError } from '../../worker/lib/errors'
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

const ready = new WeakSet<SqlStorage>()
const encoder = new TextEncoder()

function ensure(sql: SqlStorage): void {
  if (ready.has(sql)) return
  sql.exec(`CREATE TABLE IF NOT EXISTS chat_log (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL, client_id TEXT UNIQUE, body TEXT NOT NULL, created_at INTEGER NOT NULL)`)
  ready.add(sql)
}

/**
 * Appends a chat message to the room's log with the next gap-free seq (SPEC §5.1). A `client_id`
 * seen before returns the stored message and `created: false`. The write commits before any
 * frame the caller then sends leaves the object (output gate), so acks follow the write.
 */
export function appendChat(
  sql: SqlStorage,
  room: string,
  sock: NsSocket,
  payload: unknown,
  maxBytes: number,
): { message: ChatMessage; created: boolean } {
  ensure(sql)
  const fields: Record<string, unknown> =
    typeof payload === 'string' ? { message: payload } : isObject(payload) ? { ...payload } : {}
  if (typeof payload !== 'string' && !isObject(payload))
    throw new AppError('validation_failed', 'chat-message: expected a string or an object with "message"')
  const text = fields.message ?? fields.text ?? fields.content
  if (text === undefined || text === null || text === '')
    throw new AppError('validation_failed', 'chat-message: "message" is required')
  const clientId = fields.client_id ?? fields.clientId
  if (clientId !== undefined && (typeof clientId !== 'string' || !clientId || clientId.length > 128))
    throw new AppError('validation_failed', 'chat-message: "client_id" must be a string of 1-128 characters')
  if (clientId) {
    const prior = sql
      .exec<{ body: string }>('SELECT body FROM chat_log WHERE client_id = ?', clientId)
      .toArray()[0]
    if (prior) return { message: JSON.parse(prior.body) as ChatMessage, created: false }
  }
  const last = sql.exec<{ seq: number | null }>('SELECT max(seq) AS seq FROM chat_log').one().seq ?? 0
  const now = Date.now()
  const message: ChatMessage = {
    ...fields,
    id: crypto.randomUUID(),
    seq: last + 1,
    room,
    message: text,
    sender: { identity: String(sock.data.id), name: String(sock.data.n ?? '') },
    ...(clientId ? { client_id: clientId as string } : {}),
    created_at: new Date(now).toISOString(),
  }
  const body = JSON.stringify(message)
  if (encoder.encode(body).byteLength > maxBytes)
    throw new AppError('payload_too_large', `chat-message: larger than ${maxBytes} bytes`)
  sql.exec(
    'INSERT INTO chat_log (seq, id, client_id, body, created_at) VALUES (?, ?, ?, ?, ?)',
    message.seq,
    message.id,
    (clientId as string | undefined) ?? null,
    body,
    now,
  )
  return { message, created: true }
}

/** Messages after `seq`, oldest first (at most `limit`). */
export function chatSince(sql: SqlStorage, seq: number, limit = 500): ChatMessage[] {
  ensure(sql)
  return sql
    .exec<{ body: string }>('SELECT body FROM chat_log WHERE seq > ? ORDER BY seq LIMIT ?', seq, limit)
    .toArray()
    .map((r) => JSON.parse(r.body) as ChatMessage)
}

/** Messages before `before` (or the newest), newest first. */
export function chatBefore(sql: SqlStorage, before: number | undefined, limit: number): ChatMessage[] {
  ensure(sql)
  return sql
    .exec<{ body: string }>(
      'SELECT body FROM chat_log WHERE seq < ? ORDER BY seq DESC LIMIT ?',
      before ?? Number.MAX_SAFE_INTEGER,
      limit,
    )
    .toArray()
    .map((r) => JSON.parse(r.body) as ChatMessage)
}

/** The newest seq in the log (0 when empty). */
export function lastChatSeq(sql: SqlStorage): number {
  ensure(sql)
  return sql.exec<{ seq: number | null }>('SELECT max(seq) AS seq FROM chat_log').one().seq ?? 0
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
