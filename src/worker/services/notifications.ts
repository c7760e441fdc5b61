import { and, count, desc, eq, isNull } from 'drizzle-orm'
import type { Db } from '../db/client'
import { notifications } from '../db/schema'
import type { Env } from '../env'
import { forbidden, notFound } from '../lib/errors'
import { newId } from '../lib/ids'
import { isStaff, type AuthIdentity } from '../lib/identity'
import { iso } from '../lib/time'
import { emitNotification } from './realtime'

export type NotificationRow = typeof notifications.$inferSelect

/** The staff dashboard feed: seed 000's notifications, followed by `/notification` sockets. */
export const BROADCAST = 'broadcast'

/** Users read their own channel; staff read any. */
export function requireChannelAccess(channel: string, who: AuthIdentity): void {
  if (isStaff(who.role) || channel === `user:${who.id}`) return
  throw forbidden('You may not read this notification channel')
}

export function notificationView(row: NotificationRow) {
  return {
    id: row.id,
    channel: row.channel,
    type: row.type,
    title: row.title,
    body: row.body ?? null,
    data: row.data ? parseData(row.data) : null,
    room: row.room ?? null,
    read: row.readAt !== null,
    read_at: iso(row.readAt),
    created_at: iso(row.createdAt),
  }
}

function parseData(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** A channel's notifications, newest first, with its unread count. */
export async function listNotifications(
  db: Db,
  channel: string,
  opts: { unreadOnly?: boolean; limit?: number } = {},
) {
  const where = opts.unreadOnly
    ? and(eq(notifications.channel, channel), isNull(notifications.readAt))
    : eq(notifications.channel, channel)
  const [rows, unread] = await Promise.all([
    db
      .select()
      .from(notifications)
      .where(where)
      .orderBy(desc(notifications.createdAt), desc(notifications.id))
      .limit(opts.limit ?? 100)
      .all(),
    db
      .select({ n: count() })
      .from(notifications)
      .where(and(eq(notifications.channel, channel), isNull(notifications.readAt)))
      .get(),
  ])
  return { notifications: rows.map(notificationView), unread_count: unread?.n ?? 0 }
}

export async function getNotification(db: Db, id: string): Promise<NotificationRow> {
  const row = await db.select().from(notifications).where(eq(notifications.id, id)).get()
  if (!row) throw notFound('Notification')
  return row
}

/** Stores a notification and tells its channel's sockets (`new`). */
export async function createNotification(
  env: Env,
  db: Db,
  input: {
    channel?: string
    user_id?: string
    type?: string
    title: string
    body?: string
    data?: unknown
    room?: string
  },
) {
  const channel = input.user_id ? `user:${input.user_id}` : (input.channel ?? BROADCAST)
  const row = await db
    .insert(notifications)
    .values({
      id: newId(),
      channel,
      userId: input.user_id ?? null,
      type: input.type ?? 'info',
      title: input.title,
      body: input.body ?? null,
      data: input.data === undefined ? null : JSON.stringify(input.data),
      room: input.room ?? null,
    })
    .returning()
    .get()
  const view = notificationView(row)
  await emitNotification(env, channel, 'new', view)
  return view
}

/** Marks one notification read (idempotent) and tells its channel (`update`). */
export async function markRead(env: Env, db: Db, row: NotificationRow) {
  if (row.readAt !== null) return notificationView(row)
  const updated = await db
    .update(notifications)
    .set({ readAt: Date.now() })
    .where(and(eq(notifications.id, row.id), isNull(notifications.readAt)))
    .returning()
    .get()
  const view = notificationView(updated ?? (await getNotification(db, row.id)))
  await emitNotification(env, row.channel, 'update', view)
  return view
}

/** The channel a listing asks for: staff may name any, others get their own. */
export function channelFor(who: AuthIdentity, asked: string | undefined): string {
  if (!asked) return who.role === 'service' ? BROADCAST : `user:${who.id}`
  requireChannelAccess(asked, who)
  return asked
}
