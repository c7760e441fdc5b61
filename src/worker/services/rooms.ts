import { and, desc, eq, inArray, lt, ne } from 'drizzle-orm'
import { loadConfig, type Config } from '../config'
import { db, type Db } from '../db/client'
import { conferenceRooms, files, roomUsers } from '../db/schema'
import type { Env } from '../env'
import { conflict, notFound } from '../lib/errors'
import { randomString } from '../lib/ids'
import { isUnreachable, LiveKitRoomService } from '../lib/livekit'
import { iso } from '../lib/time'
import { chooseNode, markNode, roomNode } from './livekit-nodes'
import { emitToRoom } from './realtime'
import { log } from '../lib/log'

export type RoomRow = typeof conferenceRooms.$inferSelect
export type RoomStatus = RoomRow['status']

/** Seconds LiveKit keeps a room with nobody in it (it is re-created when someone joins again). */
export const EMPTY_TIMEOUT_SECONDS = 600

/** A conference room as both API families show it. */
export function roomView(r: RoomRow) {
  return {
    id: r.id,
    room: r.name,
    node: r.node,
    service: r.service,
    type: r.type,
    status: r.status,
    case_id: r.caseId,
    created_by: r.createdBy,
    auto_record: r.autoRecord,
    record_type: r.recordType,
    record_status: r.recordStatus,
    record_id: r.recordId,
    expired: r.expiresAt <= Date.now(),
    expires_at: iso(r.expiresAt),
    started_at: iso(r.startedAt),
    finished_at: iso(r.finishedAt),
    created_at: iso(r.createdAt),
  }
}
export type RoomView = ReturnType<typeof roomView>

/** The service a conference room belongs to; null when no such room (live sessions, unknown names). */
export async function serviceOfRoom(d: Db, name: string): Promise<number | null> {
  return (await findRoom(d, name))?.service ?? null
}

export async function findRoom(d: Db, name: string): Promise<RoomRow | undefined> {
  return d.select().from(conferenceRooms).where(eq(conferenceRooms.name, name)).get()
}

/** The room called `name`, or a 404 naming it. */
export async function getRoom(d: Db, name: string): Promise<RoomRow> {
  const row = await findRoom(d, name)
  if (!row) throw notFound(`Room ${name}`)
  return row
}

/** A room that may still be joined: exists, not closed, not past its expiry. */
export async function getOpenRoom(d: Db, name: string): Promise<RoomRow> {
  const row = await getRoom(d, name)
  assertJoinable(row)
  return row
}

export function assertJoinable(row: Pick<RoomRow, 'name' | 'status' | 'expiresAt'>) {
  if (row.status === 'closed') throw conflict(`Room ${row.name} is closed`)
  if (row.expiresAt <= Date.now()) throw conflict(`Room ${row.name} has expired`)
}

/** Room settings a creator may choose (seed 000 `createRoom`). */
export interface NewRoom {
  name?: string
  service?: number
  type?: string
  caseId?: string
  autoRecord?: boolean
  recordType?: string
  createdBy?: string
}

const ROOM_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

/**
 * Creates the room called `input.name` (a fresh random name when none is given). The new room is
 * recorded in D1 first — so of two racing creations one row wins, and the loser answers the
 * winner's room (409 when it is not open) — placed on the healthy node with the fewest open rooms,
 * and created there through RoomService. A node that does not answer is marked down and the next
 * one is tried. When no node answers, the room is kept on the preferred node without a LiveKit
 * room: tokens still work once the node is back (LiveKit creates a room when its first participant
 * joins). An error reply from LiveKit is a 502. The caller has looked for the room already
 * (`generateUser` in the same round trip as adding its participant), so there is no lookup here.
 */
export async function createRoom(d: Db, config: Config, input: NewRoom): Promise<RoomRow> {
  const node = (await chooseNode(d, config)) ?? roomNode(config, 'default')
  const name = input.name ?? randomString(10, ROOM_ALPHABET)
  const created = await d
    .insert(conferenceRooms)
    .values({
      name,
      node: node.name,
      service: input.service ?? 0,
      type: input.type ?? 'conference',
      caseId: input.caseId,
      autoRecord: input.autoRecord ?? false,
      recordType: input.recordType,
      createdBy: input.createdBy,
      expiresAt: Date.now() + config.ROOM_DAY_DEFAULT_TIMEOUT * 1000,
    })
    .onConflictDoNothing({ target: conferenceRooms.name })
    .returning()
    .get()
  if (!created) return getOpenRoom(d, name)
  return placeOnLiveKit(d, config, created)
}

async function placeOnLiveKit(d: Db, config: Config, room: RoomRow): Promise<RoomRow> {
  const tried: string[] = []
  let node = roomNode(config, room.node)
  for (;;) {
    try {
      await new LiveKitRoomService(node).createRoom({
        name: room.name,
        emptyTimeout: EMPTY_TIMEOUT_SECONDS,
        metadata: JSON.stringify({ service: room.service, type: room.type, case_id: room.caseId }),
      })
      break
    } catch (err) {
      if (!isUnreachable(err)) {
        await d.delete(conferenceRooms).where(eq(conferenceRooms.id, room.id))
        throw err
      }
      await markNode(d, node.name, false, { error: (err as Error).message })
      tried.push(node.name)
      const next = await chooseNode(d, config, tried)
      if (!next) {
        log('warn', {
          msg: 'no LiveKit node reachable; room kept without LiveKit (chat, positions and links still work)',
          room: room.name,
          nodes: tried,
          error: (err as Error).message,
        })
        return room
      }
      node = next
    }
  }
  if (node.name === room.node) return room
  return (await d
    .update(conferenceRooms)
    .set({ node: node.name, updatedAt: Date.now() })
    .where(eq(conferenceRooms.id, room.id))
    .returning()
    .get())!
}

/** Rooms, newest first, optionally of one status. */
export async function listRooms(d: Db, options: { status?: RoomStatus; limit?: number } = {}) {
  const rows = await d
    .select()
    .from(conferenceRooms)
    .where(options.status ? eq(conferenceRooms.status, options.status) : undefined)
    .orderBy(desc(conferenceRooms.id))
    .limit(options.limit ?? 100)
  return rows.map(roomView)
}

/** A LiveKit RoomService for the node `room` lives on. */
export const roomService = (config: Config, room: RoomRow) =>
  new LiveKitRoomService(roomNode(config, room.node))

/** Seed 000 `checkRoomExpired`. */
export async function checkExpired(d: Db, name: string) {
  const r = await getRoom(d, name)
  return {
    room: r.name,
    status: r.status,
    expired: r.status === 'closed' || r.expiresAt <= Date.now(),
    expires_at: iso(r.expiresAt),
  }
}

/** Seed 000 `updateRoomType`: type, service, case and auto-recording settings. */
export async function updateRoomSettings(
  d: Db,
  name: string,
  patch: Omit<NewRoom, 'name' | 'createdBy'> & { expiresInSeconds?: number },
) {
  await getRoom(d, name)
  const { expiresInSeconds, ...rest } = patch
  const row = await d
    .update(conferenceRooms)
    .set({
      ...rest,
      ...(expiresInSeconds === undefined ? {} : { expiresAt: Date.now() + expiresInSeconds * 1000 }),
      updatedAt: Date.now(),
    })
    .where(eq(conferenceRooms.name, name))
    .returning()
    .get()
  return roomView(row!)
}

/**
 * Seed 000 `updateRoomStatus`: `open`, `started` or `finished` (LiveKit webhooks set these too);
 * `closed` closes the room like `closeRoom`. The room's sockets get `conference-status`.
 */
export async function updateRoomStatus(env: Env, d: Db, config: Config, name: string, status: RoomStatus) {
  if (status === 'closed') return closeRoom(env, d, config, name, 'closed')
  const r = await getRoom(d, name)
  if (r.status === 'closed') throw conflict(`Room ${name} is closed`)
  const at = Date.now()
  const row = await d
    .update(conferenceRooms)
    .set({
      status,
      ...(status === 'started' && !r.startedAt ? { startedAt: at } : {}),
      ...(status === 'finished' ? { finishedAt: at } : {}),
      updatedAt: at,
    })
    .where(and(eq(conferenceRooms.id, r.id), ne(conferenceRooms.status, 'closed')))
    .returning()
    .get()
  if (!row) throw conflict(`Room ${name} is closed`)
  await emitToRoom(env, name, 'conference-status', { room: name, status, at: iso(at) })
  return roomView(row)
}

/**
 * Closes a room: D1 first (a conditional UPDATE, so of two closers — a user and the expiry sweep —
 * only one announces it), then its LiveKit room is deleted, which disconnects every participant.
 * The room's sockets get `conference-status {status:"closed", reason}`. Closing again retries the
 * LiveKit deletion; a LiveKit room that is already gone is fine. An unreachable node is a 503
 * after the room is closed in D1.
 */
export async function closeRoom(env: Env, d: Db, config: Config, name: string, reason = 'closed') {
  const r = await getRoom(d, name)
  const at = Date.now()
  const closed = await d
    .update(conferenceRooms)
    .set({ status: 'closed', finishedAt: r.finishedAt ?? at, updatedAt: at })
    .where(and(eq(conferenceRooms.id, r.id), ne(conferenceRooms.status, 'closed')))
    .returning()
    .get()
  if (closed) {
    await d
      .update(roomUsers)
      .set({ status: 'left', leftAt: at, updatedAt: at })
      .where(and(eq(roomUsers.room, name), inArray(roomUsers.status, ['created', 'joined'])))
    await emitToRoom(env, name, 'conference-status', { room: name, status: 'closed', reason, at: iso(at) })
  }
  const livekit = await deleteLiveKitRoom(config, r)
  return { ...roomView(closed ?? (await getRoom(d, name))), livekit }
}

/** Deletes the room on its node; `absent` when LiveKit no longer had it. */
async function deleteLiveKitRoom(config: Config, r: RoomRow): Promise<'deleted' | 'absent'> {
  try {
    await roomService(config, r).deleteRoom(r.name)
    return 'deleted'
  } catch (err) {
    if ((err as { code?: string }).code === 'not_found') return 'absent'
    throw err
  }
}

/**
 * Seed 000 `deleteRoom`: removes the room from LiveKit and its row and participants from D1
 * (recordings stay, with their files). Sockets get `conference-status {status:"deleted"}`.
 */
export async function deleteRoom(env: Env, d: Db, config: Config, name: string) {
  const r = await getRoom(d, name)
  const livekit = await deleteLiveKitRoom(config, r)
  await d.batch([
    d.delete(roomUsers).where(eq(roomUsers.room, name)),
    d.delete(conferenceRooms).where(eq(conferenceRooms.id, r.id)),
  ])
  await emitToRoom(env, name, 'conference-status', { room: name, status: 'deleted', at: iso(Date.now()) })
  return { room: name, deleted: true, livekit }
}

/**
 * The room's picture: the key set on the room, else the latest image uploaded for it
 * (`files.room`). Served by the static `/images` path of the uploads.
 */
export async function roomPicture(d: Db, config: Config, name: string) {
  const r = await getRoom(d, name)
  let key = r.pictureKey
  if (!key) {
    const img = await d
      .select({ key: files.key, mime: files.mimeType })
      .from(files)
      .where(eq(files.room, name))
      .orderBy(desc(files.createdAt))
      .all()
    key = img.find((f) => f.mime.startsWith('image/'))?.key ?? null
  }
  if (!key) throw notFound(`Picture of room ${name}`)
  return { room: name, key, url: `${config.API_URL}/${key}` }
}

/**
 * Room-expiry sweep (every 30 minutes, seed 000 §8; only when AUTO_CLOSE_ROOM): closes every room
 * past its expiry. Safe to run twice at once — `closeRoom`'s conditional UPDATE lets one run
 * announce each room; a LiveKit failure on one room does not stop the others.
 */
export async function expireRooms(env: Env, d: Db, config: Config, now = Date.now()) {
  if (!config.AUTO_CLOSE_ROOM) return { closed: 0, failed: 0 }
  const due = await d
    .select({ name: conferenceRooms.name })
    .from(conferenceRooms)
    .where(and(ne(conferenceRooms.status, 'closed'), lt(conferenceRooms.expiresAt, now)))
    .limit(200)
  const results = await Promise.allSettled(due.map((r) => closeRoom(env, d, config, r.name, 'expired')))
  return {
    closed: results.filter((r) => r.status === 'fulfilled').length,
    failed: results.filter((r) => r.status === 'rejected').length,
  }
}

/** Cron job (every 30 minutes): the room-expiry sweep. */
export const roomExpiryJob = (env: Env) => expireRooms(env, db(env.DB), loadConfig(env))
