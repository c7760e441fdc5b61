import { createRoute } from '@hono/zod-openapi'
import { z } from '@hono/zod-openapi'
import { db } from '../db/client'
import { success } from '../lib/envelope'
import { unauthorized } from '../lib/errors'
import { verifyLiveKitToken } from '../lib/livekit'
import { iso } from '../lib/time'
import { router } from '../lib/router'
import { staffOnly, staffOrRoomMember, ROOM_MEMBER_NOTE } from './access'
import { bearerToken } from '../middleware/auth'
import { gatewayResponses, jsonBody } from '../schemas/common'
import { RoomDetail, RoomUserInfo } from '../schemas/room-users'
import {
  CheckExpired,
  ClosedRoom,
  DeletedRoom,
  ListRoomsQuery,
  RoomBody,
  RoomIdentityBody,
  RoomInfo,
  RoomPicture,
  RoomQuery,
  UpdateRoomStatusBody,
  UpdateRoomTypeBody,
  UpdateRoomUserBody,
  VerifiedToken,
  VerifyTokenQuery,
} from '../schemas/rooms'
import * as roomUsers from '../services/room-users'
import * as rooms from '../services/rooms'

/**
 * Seed 000 `/room`: conference rooms. Reads about one room accept staff or that room's
 * participants (their LiveKit token as bearer); changes need staff (admin, agent or service).
 */
export const gatewayRoomRoutes = router()

const tags = ['Gateway: room']

gatewayRoomRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/detail',
    tags,
    summary: 'A room and its participants',
    description: ROOM_MEMBER_NOTE,
    ...staffOrRoomMember,
    request: { query: RoomQuery },
    responses: gatewayResponses(RoomDetail, 'The room', [401, 403, 404]),
  }),
  async (c) => success(c, await roomUsers.roomDetail(db(c.env.DB), c.req.valid('query').room)),
)

gatewayRoomRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/listrooms',
    tags,
    summary: 'Rooms, newest first, optionally of one status',
    ...staffOnly,
    request: { query: ListRoomsQuery },
    responses: gatewayResponses(z.array(RoomInfo), 'Rooms', [401, 403]),
  }),
  async (c) => success(c, await rooms.listRooms(db(c.env.DB), c.req.valid('query'))),
)

gatewayRoomRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/checkexpired',
    tags,
    summary: 'Whether a room has expired or been closed',
    description: ROOM_MEMBER_NOTE,
    ...staffOrRoomMember,
    request: { query: RoomQuery },
    responses: gatewayResponses(CheckExpired, 'Expiry', [401, 403, 404]),
  }),
  async (c) => success(c, await rooms.checkExpired(db(c.env.DB), c.req.valid('query').room)),
)

gatewayRoomRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/verifytoken',
    tags,
    summary: 'Verify a LiveKit participant token (query `token` or bearer)',
    description:
      'Checks the signature with the node whose API key issued it, expiry and the room join grant; ' +
      'answers who and where it admits. Invalid → 401.',
    request: { query: VerifyTokenQuery },
    responses: gatewayResponses(VerifiedToken, 'The token is valid', [401]),
  }),
  async (c) => {
    const token = c.req.valid('query').token ?? bearerToken(c.req.header('authorization'))
    if (!token) throw unauthorized('Give the LiveKit token as `token` or as the bearer')
    const v = await verifyLiveKitToken(c.var.config, token)
    return success(c, {
      valid: true as const,
      room: v.room,
      identity: v.identity,
      name: v.name,
      user_type: v.userType ?? null,
      node: v.node,
      expires_at: v.exp ? iso(v.exp * 1000) : null,
    })
  },
)

gatewayRoomRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/picture',
    tags,
    summary: 'The room’s picture: its set key, else the latest image uploaded for the room',
    description: ROOM_MEMBER_NOTE + 'The URL is served by the static `/images` path.',
    ...staffOrRoomMember,
    request: { query: RoomQuery },
    responses: gatewayResponses(RoomPicture, 'Picture location', [401, 403, 404]),
  }),
  async (c) => success(c, await rooms.roomPicture(db(c.env.DB), c.var.config, c.req.valid('query').room)),
)

gatewayRoomRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/updateuser',
    tags,
    summary: 'Update a participant’s status, name, socket id or device (D1)',
    ...staffOnly,
    request: { body: jsonBody(UpdateRoomUserBody) },
    responses: gatewayResponses(RoomUserInfo, 'The participant', [401, 403, 404]),
  }),
  async (c) => {
    const { room, identity, ...patch } = c.req.valid('json')
    return success(c, await roomUsers.updateRoomUser(db(c.env.DB), room, identity, patch))
  },
)

gatewayRoomRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/deleteroom',
    tags,
    summary: 'Delete a room: from LiveKit, and its row and participants from D1 (recordings stay)',
    ...staffOnly,
    request: { body: jsonBody(RoomBody) },
    responses: gatewayResponses(DeletedRoom, 'Deleted', [401, 403, 404, 502, 503]),
  }),
  async (c) =>
    success(c, await rooms.deleteRoom(c.env, db(c.env.DB), c.var.config, c.req.valid('json').room)),
)

gatewayRoomRoutes.openapi(
  createRoute({
    method: 'put',
    path: '/updatetype',
    tags,
    summary: 'Change a room’s type, service, case, auto-recording or lifetime',
    ...staffOnly,
    request: { body: jsonBody(UpdateRoomTypeBody) },
    responses: gatewayResponses(RoomInfo, 'The room', [401, 403, 404]),
  }),
  async (c) => {
    const { room, expiresIn, ...patch } = c.req.valid('json')
    return success(
      c,
      await rooms.updateRoomSettings(db(c.env.DB), room, { ...patch, expiresInSeconds: expiresIn }),
    )
  },
)

gatewayRoomRoutes.openapi(
  createRoute({
    method: 'put',
    path: '/updatestatus',
    tags,
    summary: 'Set a room’s status; `closed` closes it like PUT /room/close',
    description: 'The room’s sockets get `conference-status`. A closed room cannot be reopened (409).',
    ...staffOnly,
    request: { body: jsonBody(UpdateRoomStatusBody) },
    responses: gatewayResponses(RoomInfo, 'The room', [401, 403, 404, 409]),
  }),
  async (c) => {
    const { room, status } = c.req.valid('json')
    return success(c, await rooms.updateRoomStatus(c.env, db(c.env.DB), c.var.config, room, status))
  },
)

gatewayRoomRoutes.openapi(
  createRoute({
    method: 'put',
    path: '/close',
    tags,
    summary: 'Close a room: D1 closed, LiveKit room deleted (everyone disconnected), sockets told',
    description:
      'Idempotent: closing again retries the LiveKit deletion. When the node is unreachable the room ' +
      'is closed in D1 and the answer is 503 naming LiveKit.',
    ...staffOnly,
    request: { body: jsonBody(RoomBody) },
    responses: gatewayResponses(ClosedRoom, 'Closed', [401, 403, 404, 502, 503]),
  }),
  async (c) => success(c, await rooms.closeRoom(c.env, db(c.env.DB), c.var.config, c.req.valid('json').room)),
)

gatewayRoomRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/verifyuser',
    tags,
    summary: 'Check that a participant belongs to a room',
    ...staffOnly,
    request: { body: jsonBody(RoomIdentityBody) },
    responses: gatewayResponses(RoomUserInfo, 'The participant', [401, 403, 404]),
  }),
  async (c) => {
    const { room, identity } = c.req.valid('json')
    return success(c, roomUsers.roomUserView(await roomUsers.getRoomUser(db(c.env.DB), room, identity)))
  },
)
