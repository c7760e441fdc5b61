import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm'
import { chatRoom, unwrap, type ApiMessage, type SendResult } from '../../objects/chat-room'
import type { Attachment } from '../../objects/room/commands'
import type { Db } from '../db/client'
import { likeContains } from '../lib/like'
import { messages } from '../db/schema'
import type { Env } from '../env'
import type { SendMessageRequest } from '../schemas/chats'
import type { AuthIdentity } from '../lib/identity'
import { iso } from '../lib/time'
import { requireMember } from './chats'

/**
 * Messages of one chat. Writes and history go to the chat's Durable Object (the authoritative,
 * ordered log) — the same path WebSocket frames take. Search reads the D1 index.
 */

export async function sendMessage(
  env: Env,
  db: Db,
  chatId: string,
  user: AuthIdentity,
  body: SendMessageRequest,
): Promise<SendResult> {
  await requireMember(db, chatId, user.id)
  return unwrap(await chatRoom(env, chatId).send(chatId, user, body))
}

export async function history(
  env: Env,
  db: Db,
  chatId: string,
  userId: string,
  q: { before?: number; after?: number; limit: number; q?: string },
): Promise<{ messages: ApiMessage[]; next_before: number | null }> {
  await requireMember(db, chatId, userId)
  if (q.q) return searchMessages(db, chatId, q.q, q.before, q.limit)
  const page = unwrap(await chatRoom(env, chatId).history(chatId, q))
  return { messages: page.messages, next_before: page.next_before }
}

export async function getMessage(env: Env, db: Db, chatId: string, userId: string, id: string) {
  await requireMember(db, chatId, userId)
  return unwrap(await chatRoom(env, chatId).message(chatId, id))
}

export async function editMessage(
  env: Env,
  db: Db,
  chatId: string,
  user: AuthIdentity,
  id: string,
  content: string,
) {
  await requireMember(db, chatId, user.id)
  const cmd = { type: 'edit_message' as const, room_id: chatId, message_id: id, content }
  return unwrap(await chatRoom(env, chatId).command(chatId, user, cmd)) as ApiMessage
}

export async function deleteMessage(env: Env, db: Db, chatId: string, user: AuthIdentity, id: string) {
  await requireMember(db, chatId, user.id)
  const cmd = { type: 'delete_message' as const, room_id: chatId, message_id: id }
  return unwrap(await chatRoom(env, chatId).command(chatId, user, cmd)) as ApiMessage
}

/** Moves the caller's read pointer to `seq` (default: the newest message); never backwards. */
export async function markRead(env: Env, db: Db, chatId: string, user: AuthIdentity, seq?: number) {
  await requireMember(db, chatId, user.id)
  const room = chatRoom(env, chatId)
  const target = seq ?? unwrap(await room.readState(chatId, user.id)).last_seq
  unwrap(await room.command(chatId, user, { type: 'mark_read', room_id: chatId, seq: target }))
  return unwrap(await room.readState(chatId, user.id))
}

/** Messages of a chat whose content contains `text` (case-insensitive), newest first, from the D1 index. */
export async function searchMessages(
  db: Db,
  chatId: string,
  text: string,
  before: number | undefined,
  limit: number,
): Promise<{ messages: ApiMessage[]; next_before: number | null }> {
  const pattern = likeContains(text)
  const rows = await db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.chatId, chatId),
        isNull(messages.deletedAt),
        sql`${messages.content} LIKE ${pattern} ESCAPE '\\'`,
        before === undefined ? undefined : lt(messages.seq, before),
      ),
    )
    .orderBy(desc(messages.seq))
    .limit(limit)
    .all()
  const last = rows.at(-1)
  return {
    messages: rows.map((m) => ({
      id: m.id,
      seq: m.seq,
      chat_id: m.chatId,
      sender: { id: m.senderId, name: m.senderName },
      content: m.content,
      type: m.type,
      files: m.files ? (JSON.parse(m.files) as Attachment[]) : [],
      reply_to: m.replyTo,
      client_id: m.clientId,
      created_at: iso(m.createdAt),
      edited_at: iso(m.editedAt),
      deleted: false,
      deleted_at: null,
    })),
    next_before: last && rows.length === limit ? last.seq : null,
  }
}
