import { eq, or, sql } from 'drizzle-orm'
import { chatRoom } from '../../objects/chat-room'
import type { Db } from '../db/client'
import { likeContains } from '../lib/like'
import { chatMembers, users } from '../db/schema'
import type { Env } from '../env'
import type { AuthIdentity } from '../lib/identity'
import { notFound } from '../lib/errors'
import { iso } from '../lib/time'

export type UserRow = typeof users.$inferSelect

/** What anyone signed in may see of a user. */
export function publicUser(u: UserRow) {
  return {
    id: u.id,
    name: u.name,
    role: u.role,
    status: u.status,
    avatar_url: u.avatarUrl ?? null,
    bio: u.bio ?? null,
    last_seen: iso(u.lastSeen),
  }
}

/** What a user sees of themselves. */
export const profile = (u: UserRow) => ({ ...publicUser(u), email: u.email, created_at: iso(u.createdAt) })

export async function getUser(db: Db, id: string): Promise<UserRow> {
  const row = await db.select().from(users).where(eq(users.id, id)).get()
  if (!row) throw notFound('User')
  return row
}

export async function updateProfile(
  db: Db,
  id: string,
  patch: { name?: string; avatar_url?: string | null; bio?: string | null },
): Promise<UserRow> {
  const row = await db
    .update(users)
    .set({
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.avatar_url === undefined ? {} : { avatarUrl: patch.avatar_url }),
      ...(patch.bio === undefined ? {} : { bio: patch.bio }),
      updatedAt: Date.now(),
    })
    .where(eq(users.id, id))
    .returning()
    .get()
  if (!row) throw notFound('User')
  return row
}

export async function setStatus(db: Db, id: string, status: UserRow['status']): Promise<UserRow> {
  const now = Date.now()
  const row = await db
    .update(users)
    .set({ status, lastSeen: now, updatedAt: now })
    .where(eq(users.id, id))
    .returning()
    .get()
  if (!row) throw notFound('User')
  return row
}

/** The condition "name or email contains `q`" (case-insensitive, LIKE wildcards escaped). */
export function nameOrEmailContains(q: string) {
  const pattern = likeContains(q)
  return or(sql`${users.name} LIKE ${pattern} ESCAPE '\\'`, sql`${users.email} LIKE ${pattern} ESCAPE '\\'`)!
}

/** Users whose name or email contains `q` (case-insensitive), names first. */
export async function searchUsers(db: Db, q: string, limit: number): Promise<UserRow[]> {
  return db.select().from(users).where(nameOrEmailContains(q)).orderBy(users.name).limit(limit).all()
}

/** How many of a user's chats hear about a status change, and how many are told at once. */
const STATUS_CHATS_MAX = 500
const STATUS_FANOUT = 10

/**
 * Sends `user_status` with the user's new status to every chat they are a member of (up to
 * STATUS_CHATS_MAX), through each chat's object. Returns how many chats were told.
 */
export async function announceStatus(env: Env, db: Db, user: AuthIdentity, status: UserRow['status']) {
  const rows = await db
    .select({ chatId: chatMembers.chatId })
    .from(chatMembers)
    .where(eq(chatMembers.userId, user.id))
    .limit(STATUS_CHATS_MAX)
  for (let i = 0; i < rows.length; i += STATUS_FANOUT)
    await Promise.all(
      rows.slice(i, i + STATUS_FANOUT).map((r) => chatRoom(env, r.chatId).userStatus(r.chatId, user, status)),
    )
  return rows.length
}
