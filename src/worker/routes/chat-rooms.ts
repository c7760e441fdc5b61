import { createRoute } from '@hono/zod-openapi'
import { db } from '../db/client'
import { clientIp } from '../lib/client-ip'
import { ok } from '../lib/envelope'
import { router } from '../lib/router'
import { requireUser } from '../middleware/auth'
import { Chat, RoomIdParam, RoomStatus } from '../schemas/chats'
import { bearerSecurity, modernResponses } from '../schemas/common'
import * as chats from '../services/chats'
import { chargeJoinCodeGuess } from '../services/rate-limit'

/**
 * Seed 003's own paths over the chats of `/api/v1/chats` (a seed 003 "room" is a chat):
 * `POST /api/v1/rooms/{roomID}/join` and `GET /api/v1/chat/rooms/{roomID}/status`. Mounted at `/api/v1`.
 */
export const chatRoomRoutes = router()

// Per route: this router is mounted at /api/v1, where a `use('*')` would reach every route.
const common = { tags: ['Chats'], security: bearerSecurity, middleware: [requireUser()] }

chatRoomRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/rooms/{roomID}/join',
    summary: 'Join a group chat by its id (seed 003)',
    description:
      'The rules of `POST /api/v1/chats/join` (by code): group chats only (a direct chat answers 403), joining twice changes nothing, and every attempt counts against the same JOIN_CODE_LIMIT_* limits (429 with Retry-After).',
    request: { params: RoomIdParam },
    responses: modernResponses(200, Chat, 'The chat', [401, 403, 404, 429]),
  }),
  async (c) => {
    const me = c.var.identity!.id
    await chargeJoinCodeGuess(c.env, c.var.config, clientIp(c), me)
    return ok(c, await chats.joinById(db(c.env.DB), me, c.req.valid('param').roomID))
  },
)

chatRoomRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/chat/rooms/{roomID}/status',
    summary: 'Who is connected to a chat now, and its newest seq (seed 003)',
    description:
      'Members only. Counts the sockets in the chat: those opened with its `room_id` and those following it with `join_room` from another socket.',
    request: { params: RoomIdParam },
    responses: modernResponses(200, RoomStatus, 'The chat’s realtime status', [401, 403, 404]),
  }),
  async (c) =>
    ok(c, await chats.roomStatus(c.env, db(c.env.DB), c.req.valid('param').roomID, c.var.identity!.id)),
)
