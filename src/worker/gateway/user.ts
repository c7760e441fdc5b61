import { createRoute } from '@hono/zod-openapi'
import { db } from '../db/client'
import { success } from '../lib/envelope'
import { forbidden, unauthorized, validationError } from '../lib/errors'
import { isStaff } from '../lib/identity'
import { optionalAuth } from '../middleware/auth'
import { joinByLink } from '../services/link-join'
import { router } from '../lib/router'
import { staffOnly, staffOrRoomMember, ROOM_MEMBER_NOTE } from './access'
import { bearerSecurity, gatewayResponses, jsonBody, jsonOrFormBody } from '../schemas/common'
import { z } from '@hono/zod-openapi'
import {
  AlreadyInRoomQuery,
  ChatUserBody,
  GenerateUserBody,
  HandleTrackBody,
  HandledTracks,
  JoinGenerateBody,
  JoinGrant,
  MuteTrackBody,
  MutedTrack,
  Participants,
  RemovedParticipant,
  RoomUserInfo,
  UpdateParticipantBody,
  UpdatedParticipant,
  UserDetailQuery,
  UserLogEntry,
  UserLogQuery,
  UsersInRoom,
} from '../schemas/room-users'
import type { UserType } from '../lib/livekit'
import { RoomIdentityBody } from '../schemas/rooms'
import * as roomUsers from '../services/room-users'

/** Seed 000 `/user`: conference participants, their LiveKit tokens and LiveKit participant control. */
export const gatewayUserRoutes = router()

const tags = ['Gateway: user']

gatewayUserRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/generate',
    tags,
    summary: 'Create the room when absent and a participant with a LiveKit token (SPEC §4.2 golden path)',
    description:
      'Bearer: a service token (`GET /auth/create`) or a staff (admin/agent) access token. The room is ' +
      'placed on the healthy LiveKit node with the fewest open rooms and created there; when no node ' +
      'answers the room is still recorded and the token minted (LiveKit creates the room on first join). ' +
      'An error reply from LiveKit is a 502. `url` is the node’s URL as ws(s)://.',
    ...staffOnly,
    request: { body: jsonBody(GenerateUserBody) },
    responses: gatewayResponses(JoinGrant, 'Room, identity, LiveKit token and URL', [401, 403, 409, 502]),
  }),
  async (c) => {
    const body = c.req.valid('json')
    return success(
      c,
      await roomUsers.generateUser(db(c.env.DB), c.var.config, { ...body, createdBy: c.var.identity!.id }),
    )
  },
)

gatewayUserRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/getuseralreadyinroom',
    tags,
    summary: 'Who of that identity or name is in the room now (status `joined`)',
    description: ROOM_MEMBER_NOTE,
    ...staffOrRoomMember,
    request: { query: AlreadyInRoomQuery },
    responses: gatewayResponses(UsersInRoom, 'Matches', [401, 403, 404]),
  }),
  async (c) => {
    const { room, ...match } = c.req.valid('query')
    return success(c, await roomUsers.usersInRoom(db(c.env.DB), room, match))
  },
)

gatewayUserRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/getuserdetail',
    tags,
    summary: 'One participant of a room (D1), by identity or by Socket.IO id (`socketId`)',
    description: ROOM_MEMBER_NOTE,
    ...staffOrRoomMember,
    request: { query: UserDetailQuery },
    responses: gatewayResponses(RoomUserInfo, 'The participant', [401, 403, 404]),
  }),
  async (c) => {
    const { room, identity, socketId } = c.req.valid('query')
    const d = db(c.env.DB)
    const row = identity
      ? await roomUsers.getRoomUser(d, room, identity)
      : await roomUsers.getRoomUserBySocket(d, room, socketId!)
    return success(c, roomUsers.roomUserView(row))
  },
)

gatewayUserRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/listparticipants',
    tags,
    summary: 'Who LiveKit has in the room now (RoomService ListParticipants)',
    description: ROOM_MEMBER_NOTE + 'Needs the room’s LiveKit node: 503 unreachable, 502 error reply.',
    ...staffOrRoomMember,
    request: { query: z.object({ room: UserDetailQuery.shape.room }) },
    responses: gatewayResponses(Participants, 'Participants', [401, 403, 404, 502, 503]),
  }),
  async (c) =>
    success(c, await roomUsers.listParticipants(db(c.env.DB), c.var.config, c.req.valid('query').room)),
)

/** Staff joining by role: an admin joins as `admin`, an agent as `agent`, a service client picks or gets `staff`. */
const defaultUserType = (role: string): UserType => (role === 'admin' || role === 'agent' ? role : 'staff')

const isForm = (contentType: string | undefined) =>
  /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(contentType ?? '')

gatewayUserRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/joingenerate',
    tags,
    summary: 'Join a room: by link without a bearer (the caller’s path), or as staff',
    description:
      '**By link** (seed 000 `JoinConferenceMiddleware`): `{linkID, userName?, socketId?}` as JSON or a form, no bearer. ' +
      'The room is the link’s; the participant gets the identity (`<userType>-<8 random>`) and LiveKit grants of the link’s `userType` ' +
      '(an `hls` link joins as `viewer`) and is recorded with its link id. The link must exist (404) and be enabled and unexpired (410); ' +
      'a one-time link yields one participant — a second join, even a racing one, gets 410 “Link has already been used” ' +
      '(opening it with `/link/getdetail` first does not spend it). The room must exist (404) and be open (409). ' +
      'The answer’s `token` is also the `auth.token` of the room’s Socket.IO namespace `/{room}`. ' +
      '**As staff** (no `linkID`): a staff bearer (401 without, 403 for others) and `{room, userName, userType?, socketId?}`; ' +
      'the room must exist (404) and be open (409).',
    security: [...bearerSecurity, {}],
    middleware: [optionalAuth()] as const,
    request: { body: jsonOrFormBody(JoinGenerateBody) },
    responses: gatewayResponses(
      JoinGrant,
      'Room, identity, LiveKit token and URL',
      [401, 403, 404, 409, 410],
    ),
  }),
  async (c) => {
    const body = isForm(c.req.header('content-type')) ? c.req.valid('form') : c.req.valid('json')
    const d = db(c.env.DB)
    const { linkID, room, userName, userType, socketId } = body
    if (linkID) return success(c, await joinByLink(d, c.var.config, linkID, { userName, socketId }))
    const identity = c.var.identity
    if (!identity) throw unauthorized()
    if (!isStaff(identity.role)) throw forbidden('Requires role: admin or agent or service (or a linkID)')
    const missing = Object.entries({ room, userName }).filter(([, v]) => v === undefined)
    if (missing.length) throw validationError(missing.map(([k]) => ({ path: [k], message: 'is required' })))
    return success(
      c,
      await roomUsers.joinRoom(d, c.var.config, {
        room: room!,
        userName: userName!,
        userType: userType ?? defaultUserType(identity.role),
        socketId,
      }),
    )
  },
)

gatewayUserRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/generateChatUser',
    tags,
    summary: 'A chat-only participant: hidden in the call, no media, data only',
    description: 'Its token is accepted by the Socket.IO namespace `/{room}` like any participant token.',
    ...staffOnly,
    request: { body: jsonBody(ChatUserBody) },
    responses: gatewayResponses(JoinGrant, 'Room, identity, LiveKit token and URL', [401, 403, 404, 409]),
  }),
  async (c) => success(c, await roomUsers.generateChatUser(db(c.env.DB), c.var.config, c.req.valid('json'))),
)

gatewayUserRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/updateparticipants',
    tags,
    summary: 'Change a participant’s name, metadata or permissions in LiveKit (UpdateParticipant)',
    ...staffOnly,
    request: { body: jsonBody(UpdateParticipantBody) },
    responses: gatewayResponses(UpdatedParticipant, 'The participant', [401, 403, 404, 502, 503]),
  }),
  async (c) => success(c, await roomUsers.updateParticipant(db(c.env.DB), c.var.config, c.req.valid('json'))),
)

gatewayUserRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/mutepublishedtrack',
    tags,
    summary: 'Mute or unmute one published track (MutePublishedTrack)',
    ...staffOnly,
    request: { body: jsonBody(MuteTrackBody) },
    responses: gatewayResponses(MutedTrack, 'The track', [401, 403, 404, 502, 503]),
  }),
  async (c) => success(c, await roomUsers.muteTrack(db(c.env.DB), c.var.config, c.req.valid('json'))),
)

gatewayUserRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/removeParticipant',
    tags,
    summary: 'Disconnect a participant (RemoveParticipant); sockets get `user-disconnect`',
    ...staffOnly,
    request: { body: jsonBody(RoomIdentityBody) },
    responses: gatewayResponses(RemovedParticipant, 'Removed', [401, 403, 404, 502, 503]),
  }),
  async (c) => {
    const { room, identity } = c.req.valid('json')
    return success(c, await roomUsers.removeParticipant(c.env, db(c.env.DB), c.var.config, room, identity))
  },
)

gatewayUserRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/log',
    tags,
    summary: 'Audit trail of a room or participant, newest first',
    description: 'Webhook events (joins, leaves, tracks, recordings) and entries from POST /log.',
    ...staffOnly,
    request: { query: UserLogQuery },
    responses: gatewayResponses(z.array(UserLogEntry), 'Entries', [401, 403]),
  }),
  async (c) => success(c, await roomUsers.usageLog(db(c.env.DB), c.req.valid('query'))),
)

gatewayUserRoutes.openapi(
  createRoute({
    method: 'put',
    path: '/handle/track',
    tags,
    summary: 'Mute or unmute a participant’s tracks by kind (audio/video), one by sid, or all',
    ...staffOnly,
    request: { body: jsonBody(HandleTrackBody) },
    responses: gatewayResponses(HandledTracks, 'Tracks changed', [401, 403, 404, 502, 503]),
  }),
  async (c) => success(c, await roomUsers.handleTracks(db(c.env.DB), c.var.config, c.req.valid('json'))),
)
