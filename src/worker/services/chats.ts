import { and, eq, inArray, sql } from 'drizzle-orm'
import { chatRoom, unwrap } from '../../objects/chat-room'
import type { Db } from '../db/client'
import { chatMembers, chats, messages, users } from '../db/schema'
import type { Env } from '../env'
import type { AuthIdentity } from '../lib/identity'
import { badRequest, conflict, forbidden, notFound, validationError } from '../lib/errors'
import { joinCode, newId } from '../lib/ids'
import { iso } from '../lib/time'
import { memberRole, type ChatRole } from './chat-members'

type ChatRow = typeof chats.$inferSelect

/** The chat as the API returns it; `name` of a direct chat is the other member's name. */
export function chatView(
  row: ChatRow,
  extra: { role: ChatRole | null; member_count: number; name?: string | null },
) {
  return {
    id: row.id,
    // Direct chats are joined by opening them, never by code.
    code: row.type === 'direct' ? null : row.code,
    type: row.type,
    name: extra.name ?? row.name ?? null,
    description: row.description ?? null,
    avatar_url: row.avatarUrl ?? null,
    created_by: row.createdBy,
    created_at: iso(row.createdAt),
    last_seq: row.lastSeq,
    last_message_at: iso(row.lastMessageAt),
    role: extra.role,
    member_count: extra.member_count,
  }
}
export type ChatView = ReturnType<typeof chatView>

/** Loads a chat the caller belongs to: 404 when it does not exist, 403 when they are not a member. */
export async function requireMember(db: Db, chatId: string, userId: string) {
  const row = await db
    .select({ chat: chats, role: chatMembers.role })
    .from(chats)
    .leftJoin(chatMembers, and(eq(chatMembers.chatId, chats.id), eq(chatMembers.userId, userId)))
    .where(eq(chats.id, chatId))
    .get()
  if (!row) throw notFound('Chat')
  if (!row.role) throw forbidden('You are not a member of this chat')
  return { chat: row.chat, role: row.role }
}

/** One chat as its member sees it. */
export async function getChat(db: Db, chatId: string, userId: string): Promise<ChatView> {
  const { chat, role } = await requireMember(db, chatId, userId)
  return describe(db, chat, userId, role)
}

async function describe(db: Db, chat: ChatRow, userId: string, role: ChatRole | null): Promise<ChatView> {
  const members = await db
    .select({ id: chatMembers.userId, name: users.name })
    .from(chatMembers)
    .innerJoin(users, eq(users.id, chatMembers.userId))
    .where(eq(chatMembers.chatId, chat.id))
    .all()
  const other = chat.type === 'direct' ? members.find((m) => m.id !== userId)?.name : undefined
  return chatView(chat, { role, member_count: members.length, name: other })
}

async function insertWithCode(db: Db, values: Omit<typeof chats.$inferInsert, 'code'>): Promise<ChatRow> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await db
        .insert(chats)
        .values({ ...values, code: joinCode() })
        .returning()
        .get()
    } catch (err) {
      // A clash on the 6-character code is rare; try a fresh one. Anything else is real.
      if (attempt >= 4 || !String((err as Error)?.message ?? err).includes('chats.code')) throw err
    }
  }
}

async function assertUsersExist(db: Db, ids: string[]): Promise<void> {
  if (!ids.length) return
  const found = new Set(
    (await db.select({ id: users.id }).from(users).where(inArray(users.id, ids)).all()).map((r) => r.id),
  )
  const missing = ids.filter((id) => !found.has(id))
  if (missing.length)
    throw validationError(missing.map((id) => ({ path: ['member_ids'], message: `unknown user ${id}` })))
}

/** Creates a group chat owned by `ownerId`, with the given members. */
export async function createGroup(
  db: Db,
  ownerId: string,
  body: { name: string; description?: string; member_ids?: string[] },
): Promise<ChatView> {
  const others = [...new Set(body.member_ids ?? [])].filter((id) => id !== ownerId)
  await assertUsersExist(db, others)
  const chat = await insertWithCode(db, {
    id: newId(),
    type: 'group',
    name: body.name,
    description: body.description ?? null,
    createdBy: ownerId,
  })
  await insertMembers(db, chat.id, [
    { userId: ownerId, role: 'owner' },
    ...others.map((userId) => ({ userId, role: 'member' as const })),
  ])
  return describe(db, chat, ownerId, 'owner')
}

async function insertMembers(db: Db, chatId: string, rows: { userId: string; role: ChatRole }[]) {
  // ≤ 100 bound parameters per D1 statement: 3 per row.
  for (let i = 0; i < rows.length; i += 30) {
    await db
      .insert(chatMembers)
      .values(rows.slice(i, i + 30).map((r) => ({ chatId, ...r })))
      .onConflictDoNothing()
  }
}

/** The one direct chat between two users, created on first use; `created` says which. */
export async function openDirect(
  db: Db,
  userId: string,
  otherId: string,
): Promise<{ chat: ChatView; created: boolean }> {
  if (otherId === userId) throw badRequest('A direct chat needs another user', { field: 'user_id' })
  const other = await db.select({ id: users.id }).from(users).where(eq(users.id, otherId)).get()
  if (!other) throw notFound('User')
  const directKey = [userId, otherId].sort().join(':')
  let chat = await db.select().from(chats).where(eq(chats.directKey, directKey)).get()
  let created = false
  if (!chat) {
    try {
      chat = await insertWithCode(db, { id: newId(), type: 'direct', directKey, createdBy: userId })
      created = true
    } catch (err) {
      // Both users opened it at once: the other request won the unique direct_key.
      chat = await db.select().from(chats).where(eq(chats.directKey, directKey)).get()
      if (!chat) throw err
    }
  }
  await insertMembers(db, chat.id, [
    { userId, role: 'member' },
    { userId: otherId, role: 'member' },
  ])
  return { chat: await describe(db, chat, userId, 'member'), created }
}

/** Joins a group chat by its 6-character code (idempotent). */
export async function joinByCode(db: Db, userId: string, code: string): Promise<ChatView> {
  const chat = await db.select().from(chats).where(eq(chats.code, code)).get()
  if (!chat) throw notFound('Chat with this code')
  return joinGroup(db, userId, chat)
}

/** Joins a group chat by its id (seed 003 `POST /rooms/{roomID}/join`): the rules of joining by code. */
export async function joinById(db: Db, userId: string, chatId: string): Promise<ChatView> {
  const chat = await db.select().from(chats).where(eq(chats.id, chatId)).get()
  if (!chat) throw notFound('Chat')
  return joinGroup(db, userId, chat)
}

/** The rules of joining: groups only (a direct chat is opened, never joined), idempotent, a member's role kept. */
async function joinGroup(db: Db, userId: string, chat: ChatRow): Promise<ChatView> {
  if (chat.type === 'direct') throw forbidden('Direct chats cannot be joined by code or id')
  await insertMembers(db, chat.id, [{ userId, role: 'member' }])
  return describe(db, chat, userId, (await memberRole(db, chat.id, userId)) ?? 'member')
}

/** Leaves a chat. An owner must hand ownership to someone else first, unless nobody else is left. */
export async function leaveChat(env: Env, db: Db, chatId: string, userId: string): Promise<void> {
  const { role } = await requireMember(db, chatId, userId)
  if (role === 'owner') {
    const others = await db
      .select({ n: sql<number>`count(*)` })
      .from(chatMembers)
      .where(and(eq(chatMembers.chatId, chatId), sql`${chatMembers.userId} != ${userId}`))
      .get()
    if ((others?.n ?? 0) > 0) throw conflict('The owner must transfer ownership before leaving')
  }
  await removeMemberRow(env, db, chatId, userId)
}

async function removeMemberRow(env: Env, db: Db, chatId: string, userId: string) {
  await db.delete(chatMembers).where(and(eq(chatMembers.chatId, chatId), eq(chatMembers.userId, userId)))
  unwrap(await chatRoom(env, chatId).memberRemoved(chatId, userId))
}

/**
 * Changes a group's name, description or avatar (owner or admin; seed 001 `PUT /api/groups/{id}`).
 * Omitted fields keep their value; null clears description or avatar. Everyone in the chat gets
 * `chat_updated` through its object.
 */
export async function updateChat(
  env: Env,
  db: Db,
  chatId: string,
  actor: AuthIdentity,
  patch: { name?: string; description?: string | null; avatar_url?: string | null },
): Promise<ChatView> {
  const { chat, role } = await requireMember(db, chatId, actor.id)
  if (chat.type === 'direct') throw badRequest('A direct chat has no name, description or avatar to change')
  if (!canManage(role)) throw forbidden('Only the owner or an admin may change the chat')
  const updated = await db
    .update(chats)
    .set({
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.description === undefined ? {} : { description: patch.description }),
      ...(patch.avatar_url === undefined ? {} : { avatarUrl: patch.avatar_url }),
      updatedAt: Date.now(),
    })
    .where(eq(chats.id, chatId))
    .returning()
    .get()
  if (!updated) throw notFound('Chat')
  const details = {
    name: updated.name,
    description: updated.description,
    avatar_url: updated.avatarUrl,
    updated_at: updated.updatedAt,
  }
  unwrap(await chatRoom(env, chatId).chatUpdated(chatId, actor, details))
  return describe(db, updated, actor.id, role)
}

/**
 * Deletes a group (owner only; seed 001 `DELETE /api/groups/{id}`). The chat's object first tells
 * everyone (`chat_deleted`), closes the chat's sockets and erases the log, then the chat, its
 * members and its D1 message index go. Files uploaded to the chat stay until they are deleted
 * themselves (their owner and staff may still read them). A retry after a failure finishes the job.
 */
export async function deleteChat(env: Env, db: Db, chatId: string, actor: AuthIdentity): Promise<void> {
  const { chat, role } = await requireMember(db, chatId, actor.id)
  if (chat.type === 'direct') throw badRequest('A direct chat cannot be deleted; leave it instead')
  if (role !== 'owner') throw forbidden('Only the owner may delete the chat')
  unwrap(await chatRoom(env, chatId).deleteChat(chatId, actor))
  await db.batch([
    db.delete(messages).where(eq(messages.chatId, chatId)),
    db.delete(chatMembers).where(eq(chatMembers.chatId, chatId)),
    db.delete(chats).where(eq(chats.id, chatId)),
  ])
}

/**
 * Who is connected to a chat now (from its object: sockets in it here and following it from
 * elsewhere) with their names, and its newest seq (seed 003 `GET /chat/rooms/{roomID}/status`).
 */
export async function roomStatus(env: Env, db: Db, chatId: string, userId: string) {
  await requireMember(db, chatId, userId)
  const live = unwrap(await chatRoom(env, chatId).status(chatId))
  const ids = live.users.map((u) => u.user_id)
  const names = new Map<string, string>()
  // ≤ 100 bound parameters per D1 statement.
  for (let i = 0; i < ids.length; i += 90) {
    const rows = await db
      .select({ id: users.id, name: users.name })
      .from(users)
      .where(inArray(users.id, ids.slice(i, i + 90)))
      .all()
    for (const r of rows) names.set(r.id, r.name)
  }
  return {
    room_id: chatId,
    last_seq: live.last_seq,
    connections: live.users.reduce((n, u) => n + u.connections, 0),
    users: live.users.map((u) => ({
      user_id: u.user_id,
      name: names.get(u.user_id) ?? '',
      connections: u.connections,
    })),
  }
}

/** Members of a chat, owner first. */
export async function listMembers(db: Db, chatId: string) {
  const rows = await db
    .select({
      user_id: chatMembers.userId,
      name: users.name,
      avatar_url: users.avatarUrl,
      status: users.status,
      role: chatMembers.role,
      joined_at: chatMembers.joinedAt,
      last_read_seq: chatMembers.lastReadSeq,
    })
    .from(chatMembers)
    .innerJoin(users, eq(users.id, chatMembers.userId))
    .where(eq(chatMembers.chatId, chatId))
    .orderBy(sql`CASE ${chatMembers.role} WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END`, users.name)
    .all()
  return rows.map((r) => ({ ...r, avatar_url: r.avatar_url ?? null, joined_at: iso(r.joined_at) }))
}

const canManage = (role: ChatRole) => role === 'owner' || role === 'admin'

/** Adds members to a group (owner or admin). */
export async function addMembers(db: Db, chatId: string, actorId: string, userIds: string[]) {
  const { chat, role } = await requireMember(db, chatId, actorId)
  if (chat.type === 'direct') throw badRequest('Direct chats have exactly two members')
  if (!canManage(role)) throw forbidden('Only the owner or an admin may add members')
  const ids = [...new Set(userIds)]
  await assertUsersExist(db, ids)
  await insertMembers(
    db,
    chatId,
    ids.map((userId) => ({ userId, role: 'member' as const })),
  )
  return listMembers(db, chatId)
}

/**
 * Removes a member. Owners remove anyone; admins remove plain members; removing yourself is
 * leaving. The removed user's sockets stop receiving the chat at once.
 */
export async function removeMember(env: Env, db: Db, chatId: string, actorId: string, targetId: string) {
  if (actorId === targetId) return leaveChat(env, db, chatId, actorId)
  const { chat, role } = await requireMember(db, chatId, actorId)
  if (chat.type === 'direct') throw badRequest('Direct chats have exactly two members')
  const target = await memberRole(db, chatId, targetId)
  if (!target) throw notFound('Member')
  if (!canManage(role)) throw forbidden('Only the owner or an admin may remove members')
  if (target === 'owner' || (target === 'admin' && role !== 'owner'))
    throw forbidden('Only the owner may remove an admin, and nobody may remove the owner')
  await removeMemberRow(env, db, chatId, targetId)
}

/** Changes a member's role (owner only). Making someone `owner` transfers ownership; the old owner becomes admin. */
export async function changeRole(db: Db, chatId: string, actorId: string, targetId: string, role: ChatRole) {
  const { chat, role: actorRole } = await requireMember(db, chatId, actorId)
  if (chat.type === 'direct') throw badRequest('Direct chats have no roles to change')
  if (actorRole !== 'owner') throw forbidden('Only the owner may change roles')
  if (targetId === actorId) throw badRequest('Transfer ownership by making another member owner')
  if (!(await memberRole(db, chatId, targetId))) throw notFound('Member')
  const setRole = (userId: string, r: ChatRole) =>
    db
      .update(chatMembers)
      .set({ role: r })
      .where(and(eq(chatMembers.chatId, chatId), eq(chatMembers.userId, userId)))
  if (role === 'owner') await db.batch([setRole(targetId, 'owner'), setRole(actorId, 'admin')])
  else await setRole(targetId, role)
  return listMembers(db, chatId)
}

interface ListRow {
  id: string
  code: string
  type: 'group' | 'direct'
  name: string | null
  description: string | null
  avatar_url: string | null
  created_by: string
  created_at: number
  last_seq: number
  last_message_at: number | null
  role: ChatRole
  last_read_seq: number
  member_count: number
  unread_count: number
  lm_id: string | null
  lm_seq: number | null
  lm_sender_id: string | null
  lm_sender_name: string | null
  lm_content: string | null
  lm_created_at: number | null
  lm_deleted_at: number | null
}

/** The caller's chats, most recently active first, with the last message and unread count (D1 index). */
export async function listMyChats(db: Db, userId: string) {
  const { results } = await db.$client
    .prepare(
      `SELECT c.id, c.code, c.type, c.description, c.avatar_url, c.created_by, c.created_at, c.last_seq, c.last_message_at,
        CASE WHEN c.type = 'direct' THEN (SELECT u.name FROM chat_members o JOIN users u ON u.id = o.user_id
          WHERE o.chat_id = c.id AND o.user_id != m.user_id LIMIT 1) ELSE c.name END AS name,
        m.role, m.last_read_seq,
        (SELECT count(*) FROM chat_members x WHERE x.chat_id = c.id) AS member_count,
        (SELECT count(*) FROM messages g WHERE g.chat_id = c.id AND g.seq > m.last_read_seq
          AND g.sender_id != m.user_id AND g.deleted_at IS NULL) AS unread_count,
        lm.id AS lm_id, lm.seq AS lm_seq, lm.sender_id AS lm_sender_id, lm.sender_name AS lm_sender_name,
        lm.content AS lm_content, lm.created_at AS lm_created_at, lm.deleted_at AS lm_deleted_at
      FROM chat_members m JOIN chats c ON c.id = m.chat_id
      LEFT JOIN messages lm ON lm.chat_id = c.id AND lm.seq = c.last_seq
      WHERE m.user_id = ?
      ORDER BY coalesce(c.last_message_at, c.created_at) DESC`,
    )
    .bind(userId)
    .all<ListRow>()
  return results.map((r) => ({
    id: r.id,
    code: r.code,
    type: r.type,
    name: r.name,
    description: r.description,
    avatar_url: r.avatar_url,
    created_by: r.created_by,
    created_at: iso(r.created_at),
    last_seq: r.last_seq,
    last_message_at: iso(r.last_message_at),
    role: r.role,
    member_count: r.member_count,
    last_read_seq: r.last_read_seq,
    unread_count: r.unread_count,
    last_message: r.lm_id
      ? {
          id: r.lm_id,
          seq: r.lm_seq!,
          sender: { id: r.lm_sender_id!, name: r.lm_sender_name! },
          content: r.lm_content!,
          created_at: iso(r.lm_created_at!),
          deleted: r.lm_deleted_at !== null,
        }
      : null,
  }))
}
