import { and, eq } from 'drizzle-orm'
import type { Config } from '../config'
import type { Db } from '../db/client'
import { roomUsers } from '../db/schema'
import { notFound } from '../lib/errors'
import { randomString } from '../lib/ids'
import { mintUserToken, type UserType } from '../lib/livekit'
import { iso } from '../lib/time'
import { ensureRoom, getOpenRoom, type NewRoom, type RoomRow } from './rooms'
import { roomNode } from './livekit-nodes'

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
  input: { userName: string; userType: UserType; linkId?: string; device?: string },
): Promise<JoinGrant> {
  const node = roomNode(config, room.node)
  const identity = `${input.userType}-${randomString(8, IDENTITY_ALPHABET)}`
  await d.insert(roomUsers).values({
    room: room.name,
    identity,
    name: input.userName,
    userType: input.userType,
    linkId: input.linkId,
    device: input.device,
  })
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

/** Seed 000 `generateUser`: the room (created when absent) and a new participant's token. */
export async function generateUser(
  d: Db,
  config: Config,
  input: { room?: string; userName: string; userType: UserType; createdBy?: string } & Omit<NewRoom, 'name'>,
): Promise<JoinGrant> {
  const { room: name, userName, userType, ...settings } = input
  const room = await ensureRoom(d, config, { name, ...settings })
  return addRoomUser(d, config, room, { userName, userType })
}

/** Seed 000 `generateUserJoinConference`: a new participant in an existing, open room. */
export async function joinRoom(
  d: Db,
  config: Config,
  input: { room: string; userName: string; userType: UserType; linkId?: string; device?: string },
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
