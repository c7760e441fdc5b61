import { and, desc, eq, lt, ne } from 'drizzle-orm'
import type { Config } from '../config'
import type { Db } from '../db/client'
import { conferenceRooms } from '../db/schema'
import { AppError, conflict, notFound } from '../lib/errors'
import { randomString } from '../lib/ids'
import { isUnreachable, LiveKitRoomService } from '../lib/livekit'
import { iso } from '../lib/time'
import { chooseNode, markNode, roomNode } from './livekit-nodes'

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

function assertJoinable(row: RoomRow) {
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
 * Returns the room called `input.name`, creating it when absent (a fresh random name when none is
 * given). A new room is recorded in D1 first — so of two racing creations one row wins — placed
 * on the healthy node with the fewest open rooms, and created there through RoomService. A node
 * that does not answer is marked down and the next one is tried. When no node answers, the room is
 * kept on the preferred node without a LiveKit room: tokens still work once the node is back
 * (LiveKit creates a room when its first participant joins). An error reply from LiveKit is a 502.
 */
export async function ensureRoom(d: Db, config: Config, input: NewRoom): Promise<RoomRow> {
  if (input.name) {
    const existing = await findRoom(d, input.name)
    if (existing) {
      assertJoinable(existing)
      return existing
    }
  }
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
        console.warn(
          JSON.stringify({
            level: 'warn',
            room: room.name,
            message: 'no LiveKit node reachable; room kept without LiveKit',
          }),
        )
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

/** Rooms past their expiry that are not closed yet. */
export function expiredRooms(d: Db, now = Date.now()) {
  return d
    .select()
    .from(conferenceRooms)
    .where(and(ne(conferenceRooms.status, 'closed'), lt(conferenceRooms.expiresAt, now)))
}

/** A LiveKit RoomService for the node `room` lives on. */
export const roomService = (config: Config, room: RoomRow) =>
  new LiveKitRoomService(roomNode(config, room.node))

/** Thrown when a LiveKit node is needed and cannot be used. */
export const noLiveKit = (room: string) =>
  new AppError('upstream_unavailable', `No LiveKit node is available for room ${room}`)
