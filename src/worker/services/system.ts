import { and, count, eq, gt, inArray, or, isNull } from 'drizzle-orm'
import type { Db } from '../db/client'
import { conferenceRooms, links, liveSessions, recordings, usageLogs, users } from '../db/schema'

/** Socket.IO namespaces that exist whatever rooms are open (seed 000 §4.2). */
export const FIXED_NAMESPACES = ['/mobile', '/notification', '/queue', '/newqueue'] as const

const OPEN_ROOM = inArray(conferenceRooms.status, ['open', 'started'])

/** Usage counts for `/status`: what is open or active right now, from D1. */
export async function usageCounts(db: Db, now = Date.now()) {
  const one = async (q: Promise<{ n: number }[]>) => (await q)[0]?.n ?? 0
  const [rooms, activeLinks, liveSessionsLive, activeRecordings, queuedRecordings, onlineUsers] =
    await Promise.all([
      one(db.select({ n: count() }).from(conferenceRooms).where(OPEN_ROOM).all()),
      one(
        db
          .select({ n: count() })
          .from(links)
          .where(
            and(
              eq(links.enabled, true),
              gt(links.expiresAt, now),
              or(eq(links.oneTime, false), isNull(links.usedAt)),
            ),
          )
          .all(),
      ),
      one(db.select({ n: count() }).from(liveSessions).where(eq(liveSessions.status, 'live')).all()),
      one(
        db
          .select({ n: count() })
          .from(recordings)
          .where(inArray(recordings.status, ['starting', 'active', 'ending']))
          .all(),
      ),
      one(db.select({ n: count() }).from(recordings).where(eq(recordings.status, 'queued')).all()),
      one(db.select({ n: count() }).from(users).where(eq(users.status, 'online')).all()),
    ])
  return {
    open_rooms: rooms,
    active_links: activeLinks,
    live_sessions: liveSessionsLive,
    active_recordings: activeRecordings,
    queued_recordings: queuedRecordings,
    online_users: onlineUsers,
  }
}

/** Every Socket.IO namespace a client may connect to now: `/<room>` of each open room, then the fixed ones. */
export async function namespaces(db: Db): Promise<string[]> {
  const rooms = await db
    .select({ name: conferenceRooms.name })
    .from(conferenceRooms)
    .where(OPEN_ROOM)
    .orderBy(conferenceRooms.name)
    .all()
  return [...rooms.map((r) => `/${r.name}`), ...FIXED_NAMESPACES]
}

/** Appends one usage log row (seed 000 `POST /log`). */
export async function appendUsageLog(
  db: Db,
  entry: { room?: string; identity?: string; action: string; device?: string; detail?: string },
) {
  return db
    .insert(usageLogs)
    .values({
      room: entry.room ?? null,
      identity: entry.identity ?? null,
      action: entry.action,
      device: entry.device ?? null,
      detail: entry.detail ?? null,
    })
    .returning()
    .get()
}
