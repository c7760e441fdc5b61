import { and, desc, eq, inArray } from 'drizzle-orm'
import type { Config } from '../config'
import type { Db } from '../db/client'
import { roomUsers, usageLogs } from '../db/schema'
import type { Env } from '../env'
import { badRequest, notFound } from '../lib/errors'
import { randomString } from '../lib/ids'
import { mintUserToken, type UserType } from '../lib/livekit'
import { iso } from '../lib/time'
import {
  assertJoinable,
  createRoom,
  getOpenRoom,
  getRoom,
  roomService,
  roomView,
  type NewRoom,
  type RoomRow,
} from './rooms'
import { emitToRoom } from './realtime'
import { roomNode } from './livekit-nodes'
import { JOIN_EXISTING } from './room-join'

export type RoomUserRow = typeof roomUsers.$inferSelect

/** A room user as both API families show it. */
export function roomUserView(u: RoomUserRow) {
  return {
    id: u.id,
    room: u.room,
    identity: u.identity,
    name: u.name,
    user_type: u.userType,
    status: u.status,
    socket_id: u.socketId,
    link_id: u.linkId,
    device: u.device,
    joined_at: iso(u.joinedAt),
    left_at: iso(u.leftAt),
    created_at: iso(u.createdAt),
  }
}

/** SPEC §4.2 golden path answer: where and how to join. */
export interface JoinGrant {
  room: string
  identity: string
  token: string
  url: string
}

/** LiveKit clients connect over WebSocket: `http(s)://` node URLs become `ws(s)://`. */
export const clientUrl = (url: string) => url.replace(/^http(s?):\/\//i, 'ws$1://')

const IDENTITY_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

/**
 * Registers a participant in an open room and mints their LiveKit token: identity
 * `<userType>-<8 random>`, grants of `userType`, valid until the room expires (at least a minute).
 */
export async function addRoomUser(
  d: Db,
  config: Config,
  room: RoomRow,
  input: { userName: string; userType: UserType; linkId?: string; device?: string; socketId?: string },
): Promise<JoinGrant> {
  const identity = newIdentity(input.userType)
  await d.insert(roomUsers).values({
    room: room.name,
    identity,
    name: input.userName,
    userType: input.userType,
    linkId: input.linkId,
    device: input.device,
    socketId: input.socketId,
  })
  return grantFor(config, room, identity, input)
}

/** A fresh participant identity: `<userType>-<8 random>`. */
export const newIdentity = (userType: UserType) => `${userType}-${randomString(8, IDENTITY_ALPHABET)}`

/** The participant's LiveKit token (valid until the room expires, at least a minute) and where to use it. */
export async function grantFor(
  config: Config,
  room: Pick<RoomRow, 'name' | 'node' | 'expiresAt'>,
  identity: string,
  input: { userName: string; userType: UserType },
): Promise<JoinGrant> {
  const node = roomNode(config, room.node)
  const ttl = Math.max(60, Math.floor((room.expiresAt - Date.now()) / 1000))
  const token = await mintUserToken(node, {
    room: room.name,
    identity,
    name: input.userName,
    userType: input.userType,
    ttl,
    metadata: JSON.stringify({ userType: input.userType, room: room.name }),
  })
  return { room: room.name, identity, token, url: clientUrl(node.url) }
}

/**
 * generateUser's common case, a room that already exists, in one D1 batch (one round trip instead
 * of a read and then a write): the room's row, and the participant inserted only if the room is
 * open at that moment. Undefined when the room does not exist (or changed meanwhile): the caller
 * takes the general path.
 */
async function addToExistingRoom(
  d: Db,
  config: Config,
  name: string,
  input: { userName: string; userType: UserType },
): Promise<JoinGrant | undefined> {
  const identity = newIdentity(input.userType)
  const d1 = d.$client
  const [found, inserted] = await d1.batch([
    d1.prepare(JOIN_EXISTING.room).bind(name),
    d1.prepare(JOIN_EXISTING.participant).bind(identity, input.userName, input.userType, name, Date.now()),
  ])
  const row = found.results[0] as
    { name: string; node: string; status: string; expires_at: number } | undefined
  if (!row) return undefined
  const room = {
    name: row.name,
    node: row.node,
    status: row.status as RoomRow['status'],
    expiresAt: row.expires_at,
  }
  if (inserted.meta.changes !== 1) {
    assertJoinable(room)
    return undefined
  }
  return grantFor(config, room, identity, input)
}

/**
 * Seed 000 `generateUser`: the room (created when absent) and a new participant's token. D1 round
 * trips: one into an existing room (`addToExistingRoom`); four for a new one — that lookup, the
 * nodes' health and load (one batch), the room's row (before LiveKit is asked, so of two racing
 * creations one wins) and, once LiveKit has the room, the participant; three when no name is given
 * (nothing to look up).
 */
export async function generateUser(
  d: Db,
  config: Config,
  input: { room?: string; userName: string; userType: UserType; createdBy?: string } & Omit<NewRoom, 'name'>,
): Promise<JoinGrant> {
  const { room: name, userName, userType, ...settings } = input
  const existing = name ? await addToExistingRoom(d, config, name, { userName, userType }) : undefined
  if (existing) return existing
  const room = await createRoom(d, config, { name, ...settings })
  return addRoomUser(d, config, room, { userName, userType })
}

/**
 * Seed 000 `generateUserJoinConference(room, userName, socketId)`: a new participant in an
 * existing, open room (404 absent, 409 closed or expired).
 */
export async function joinRoom(
  d: Db,
  config: Config,
  input: { room: string; userName: string; userType: UserType; device?: string; socketId?: string },
): Promise<JoinGrant> {
  const { room: name, ...user } = input
  return addRoomUser(d, config, await getOpenRoom(d, name), user)
}

export async function findRoomUser(d: Db, room: string, identity: string) {
  return d
    .select()
    .from(roomUsers)
    .where(and(eq(roomUsers.room, room), eq(roomUsers.identity, identity)))
    .get()
}

/** The participant `identity` of `room`, or a 404 naming it. */
export async function getRoomUser(d: Db, room: string, identity: string): Promise<RoomUserRow> {
  const row = await findRoomUser(d, room, identity)
  if (!row) throw notFound(`User ${identity} in room ${room}`)
  return row
}

/** Seed 000 `GetUserDetail(room, "", socketId)`: the participant of `room` with that Socket.IO id, or 404. */
export async function getRoomUserBySocket(d: Db, room: string, socketId: string): Promise<RoomUserRow> {
  const row = await d
    .select()
    .from(roomUsers)
    .where(and(eq(roomUsers.room, room), eq(roomUsers.socketId, socketId)))
    .orderBy(desc(roomUsers.id))
    .get()
  if (!row) throw notFound(`User with socketId ${socketId} in room ${room}`)
  return row
}

/** Seed 000 `getUserAlreadyInRoom`: who of that name or identity is in the room now. */
export async function usersInRoom(d: Db, room: string, match: { identity?: string; userName?: string }) {
  await getRoom(d, room)
  const rows = await d
    .select()
    .from(roomUsers)
    .where(
      and(
        eq(roomUsers.room, room),
        eq(roomUsers.status, 'joined'),
        match.identity ? eq(roomUsers.identity, match.identity) : undefined,
        match.userName ? eq(roomUsers.name, match.userName) : undefined,
      ),
    )
  return { room, in_room: rows.length > 0, users: rows.map(roomUserView) }
}

/** Seed 000 `updateUser` / `updateSocketIOUser`: a participant's status, name, socket or device. */
export async function updateRoomUser(
  d: Db,
  room: string,
  identity: string,
  patch: { status?: string; name?: string; socketId?: string | null; device?: string },
) {
  const u = await getRoomUser(d, room, identity)
  const row = await d
    .update(roomUsers)
    .set({ ...patch, updatedAt: Date.now() })
    .where(eq(roomUsers.id, u.id))
    .returning()
    .get()
  return roomUserView(row!)
}

/** Seed 000 `listParticipants`: who LiveKit has in the room now (RoomService ListParticipants). */
export async function listParticipants(d: Db, config: Config, room: string) {
  const r = await getRoom(d, room)
  return { room, participants: await roomService(config, r).listParticipants(room) }
}

/**
 * Seed 000 `removeParticipant`: LiveKit disconnects them (RemoveParticipant); D1 marks them
 * `removed` and the room's sockets get `user-disconnect`.
 */
export async function removeParticipant(env: Env, d: Db, config: Config, room: string, identity: string) {
  const r = await getRoom(d, room)
  await roomService(config, r).removeParticipant(room, identity)
  const at = Date.now()
  await d
    .update(roomUsers)
    .set({ status: 'removed', leftAt: at, updatedAt: at })
    .where(and(eq(roomUsers.room, room), eq(roomUsers.identity, identity)))
  await emitToRoom(env, room, 'user-disconnect', { room, identity, reason: 'removed' })
  return { room, identity, removed: true }
}

/** Seed 000 `mutePublishedTrack`: (un)mutes one published track (RoomService MutePublishedTrack). */
export async function muteTrack(
  d: Db,
  config: Config,
  input: { room: string; identity: string; trackSid: string; muted: boolean },
) {
  const r = await getRoom(d, input.room)
  const track = await roomService(config, r).mutePublishedTrack(
    input.room,
    input.identity,
    input.trackSid,
    input.muted,
  )
  return { room: input.room, identity: input.identity, track }
}

/**
 * Seed 000 `HandleTrack`: (un)mutes a participant's tracks by kind (`audio`, `video` or both when
 * omitted) or one track by sid — looks the tracks up with ListParticipants, then mutes each.
 */
export async function handleTracks(
  d: Db,
  config: Config,
  input: { room: string; identity: string; muted: boolean; kind?: 'audio' | 'video'; trackSid?: string },
) {
  const r = await getRoom(d, input.room)
  const svc = roomService(config, r)
  const participant = (await svc.listParticipants(input.room)).find((p) => p.identity === input.identity)
  if (!participant) throw notFound(`Participant ${input.identity} in LiveKit room ${input.room}`)
  const tracks = (participant.tracks as { sid: string; type: string }[]).filter(
    (t) =>
      (!input.trackSid || t.sid === input.trackSid) && (!input.kind || t.type === input.kind.toUpperCase()),
  )
  if (input.trackSid && tracks.length === 0) throw notFound(`Track ${input.trackSid}`)
  for (const t of tracks) await svc.mutePublishedTrack(input.room, input.identity, t.sid, input.muted)
  return { room: input.room, identity: input.identity, muted: input.muted, tracks: tracks.map((t) => t.sid) }
}

/** Seed 000 `TestUnMuteAll` (the `/test` route): unmutes every muted published track of a room. */
export async function unmuteAll(d: Db, config: Config, room: string) {
  const svc = roomService(config, await getRoom(d, room))
  const unmuted: { identity: string; track_sid: string }[] = []
  for (const p of await svc.listParticipants(room))
    for (const t of p.tracks as { sid: string; muted?: boolean }[]) {
      if (!t.muted) continue
      const identity = String(p.identity)
      await svc.mutePublishedTrack(room, identity, t.sid, false)
      unmuted.push({ identity, track_sid: t.sid })
    }
  return { room, unmuted }
}

/** Seed 000 `updateParticipants`: name, metadata or permissions in LiveKit (UpdateParticipant); name in D1 too. */
export async function updateParticipant(
  d: Db,
  config: Config,
  input: {
    room: string
    identity: string
    name?: string
    metadata?: string
    permission?: { canPublish?: boolean; canSubscribe?: boolean; canPublishData?: boolean; hidden?: boolean }
  },
) {
  const { room, identity, ...update } = input
  if (update.name === undefined && update.metadata === undefined && update.permission === undefined)
    throw badRequest('Nothing to update: give name, metadata or permission')
  const r = await getRoom(d, room)
  const participant = await roomService(config, r).updateParticipant(room, identity, update)
  if (update.name !== undefined)
    await d
      .update(roomUsers)
      .set({ name: update.name, updatedAt: Date.now() })
      .where(and(eq(roomUsers.room, room), eq(roomUsers.identity, identity)))
  return { room, identity, participant }
}

/** Seed 000 `generateChatUser`: a hidden, chat-only participant of an open room. */
export async function generateChatUser(d: Db, config: Config, input: { room: string; userName: string }) {
  return addRoomUser(d, config, await getOpenRoom(d, input.room), {
    userName: input.userName,
    userType: 'chat',
  })
}

/** Appends an audit line for a room (webhook events, participant actions). */
export async function logUsage(
  d: Db,
  entry: { room?: string; identity?: string; action: string; device?: string; detail?: unknown },
) {
  await d.insert(usageLogs).values({
    room: entry.room,
    identity: entry.identity,
    action: entry.action,
    device: entry.device,
    detail: entry.detail === undefined ? null : JSON.stringify(entry.detail),
  })
}

/** Seed 000 `GET /user/log`: the audit trail of a room or participant, newest first. */
export async function usageLog(d: Db, filter: { room?: string; identity?: string; limit?: number }) {
  const rows = await d
    .select()
    .from(usageLogs)
    .where(
      and(
        filter.room ? eq(usageLogs.room, filter.room) : undefined,
        filter.identity ? eq(usageLogs.identity, filter.identity) : undefined,
      ),
    )
    .orderBy(desc(usageLogs.id))
    .limit(filter.limit ?? 100)
  return rows.map((r) => ({
    id: r.id,
    room: r.room,
    identity: r.identity,
    action: r.action,
    device: r.device,
    detail: parseDetail(r.detail),
    created_at: iso(r.createdAt),
  }))
}

/** Participants of a room (D1), optionally only those with one of `statuses`. */
export async function roomUsersOf(d: Db, room: string, statuses?: string[]) {
  const rows = await d
    .select()
    .from(roomUsers)
    .where(and(eq(roomUsers.room, room), statuses ? inArray(roomUsers.status, statuses) : undefined))
    .orderBy(roomUsers.id)
  return rows.map(roomUserView)
}

function parseDetail(text: string | null): unknown {
  if (text == null) return null
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

/** Seed 000 `getRoomDetail`: the room and its participants. */
export async function roomDetail(d: Db, room: string) {
  const r = await getRoom(d, room)
  return { ...roomView(r), users: await roomUsersOf(d, room) }
}
