import { and, asc, count, desc, eq, gt, inArray, isNull, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { notifications } from '../db/schema'
import type { Env } from '../env'
import { forbidden, notFound } from '../lib/errors'
import { newId } from '../lib/ids'
import { isStaff, type AuthIdentity } from '../lib/identity'
import { iso } from '../lib/time'
import { emitNotification } from './realtime'
import { getUser } from './users'

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
    delivered: row.deliveredAt !== null,
    delivered_at: iso(row.deliveredAt),
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

/** The channels a `/notification` socket of `who` follows: its user's own, and the staff feed for staff. */
export function channelsOf(who: AuthIdentity | undefined, isPublic: boolean): string[] {
  const out: string[] = []
  if (who && who.role !== 'service') out.push(`user:${who.id}`)
  if (isPublic || (who && isStaff(who.role))) out.push(BROADCAST)
  return out
}

/** A channel's (or several channels') notifications, newest first, with the unread count. */
export async function listNotifications(
  db: Db,
  channel: string | string[],
  opts: { unreadOnly?: boolean; limit?: number } = {},
) {
  const inChannel =
    typeof channel === 'string' ? eq(notifications.channel, channel) : inArray(notifications.channel, channel)
  const where = opts.unreadOnly ? and(inChannel, isNull(notifications.readAt)) : inChannel
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
      .where(and(inChannel, isNull(notifications.readAt)))
      .get(),
  ])
  return { notifications: rows.map(notificationView), unread_count: unread?.n ?? 0 }
}

export async function getNotification(db: Db, id: string): Promise<NotificationRow> {
  const row = await db.select().from(notifications).where(eq(notifications.id, id)).get()
  if (!row) throw notFound('Notification')
  return row
}

/** Stores a notification (404 when it is for a user that does not exist) and tells its channel's sockets (`new`). */
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
  // A user's channel is for a user that exists: 404 rather than a notification nobody can read.
  const addressee = input.user_id ?? /^user:(.+)$/.exec(channel)?.[1]
  if (addressee) await getUser(db, addressee)
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
  await emitNotification(env, channel, 'new', view, { purpose: DELIVERED, ctx: { id: view.id } })
  return view
}

/** The ack purpose of `new`: a socket acknowledging it marks the notification delivered. */
export const DELIVERED = 'delivered'

/** How far back a (re)connecting socket is sent undelivered notifications, and how many at most. */
const RESEND_WINDOW_MS = 7 * 86_400_000
const RESEND_MAX = 50

/** Unread notifications of `channels` no socket has acknowledged yet (recent ones, oldest first). */
export async function undeliveredNotifications(db: Db, channels: string[]) {
  if (!channels.length) return []
  const rows = await db
    .select()
    .from(notifications)
    .where(
      and(
        inArray(notifications.channel, channels),
        isNull(notifications.deliveredAt),
        isNull(notifications.readAt),
        gt(notifications.createdAt, Date.now() - RESEND_WINDOW_MS),
      ),
    )
    .orderBy(asc(notifications.createdAt), asc(notifications.id))
    .limit(RESEND_MAX)
    .all()
  return rows.map(notificationView)
}

/** Marks a notification delivered (the first acknowledgement wins); answers whether this call did. */
export async function markDelivered(db: Db, id: string): Promise<boolean> {
  const done = await db
    .update(notifications)
    .set({ deliveredAt: Date.now() })
    .where(and(eq(notifications.id, id), isNull(notifications.deliveredAt)))
    .returning({ id: notifications.id })
    .get()
  return !!done
}

/** Marks one notification read (idempotent) and tells its channel (`update`). */
export async function markRead(env: Env, db: Db, row: NotificationRow) {
  if (row.readAt !== null) return notificationView(row)
  const updated = await db
    .update(notifications)
    // Read implies delivered.
    .set({ readAt: Date.now(), deliveredAt: sql`coalesce(${notifications.deliveredAt}, ${Date.now()})` })
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
