import { createRoute } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env'
import { success } from '../lib/envelope'
import { AppError, forbidden, unauthorized } from '../lib/errors'
import { isStaff } from '../lib/identity'
import { verifyToken } from '../lib/jwt'
import { verifyLiveKitToken } from '../lib/livekit/tokens'
import { router } from '../lib/router'
import { bearerToken } from '../middleware/auth'
import { bearerSecurity, gatewayResponses } from '../schemas/common'
import {
  ChatHistory,
  ChatHistoryQuery,
  ChatNotification,
  ChatNotificationQuery,
} from '../schemas/conference-chat'
import { roomChatHistory, roomChatNotification } from '../services/conference-chat'

/** Seed 000 `/chat`: a conference room's chat log, as the room's Socket.IO namespace stored it. */
export const gatewayChatRoutes = router()

const tags = ['Gateway: chat']

/**
 * Staff bearer (admin/agent/service), or the room's own LiveKit token (bearer or query `token`,
 * what `/user/generate` answered) — participants read their room's history.
 */
function staffOrRoomMember(): MiddlewareHandler<AppEnv> {
  return async function staffOrRoomMember(c, next) {
    const token = bearerToken(c.req.header('authorization')) ?? c.req.query('token')
    if (!token) throw unauthorized()
    const room = c.req.query('room')
    const staff = await verifyToken(token, c.var.config.JWT_SECRET).catch(() => undefined)
    if (staff) {
      if (!isStaff(staff.role)) throw forbidden('Requires role: admin, agent or service')
    } else {
      const lk = await verifyLiveKitToken(c.var.config, token).catch((err: AppError) => {
        throw err instanceof AppError ? err : unauthorized()
      })
      if (room !== undefined && lk.room !== room) throw forbidden('The LiveKit token is for another room')
    }
    await next()
  }
}

gatewayChatRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/history',
    tags,
    summary: "A room's chat messages, oldest first, paged by seq",
    description:
      'Bearer: a staff/service token or the room’s LiveKit token (also accepted as query `token`).',
    security: bearerSecurity,
    middleware: [staffOrRoomMember()] as const,
    request: { query: ChatHistoryQuery },
    responses: gatewayResponses(ChatHistory, 'Chat history', [401, 403]),
  }),
  async (c) => {
    const q = c.req.valid('query')
    return success(c, await roomChatHistory(c.env, q.room, q.before, q.limit))
  },
)

gatewayChatRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/notification',
    tags,
    summary: 'Unread count since a seq and the newest message of a room',
    security: bearerSecurity,
    middleware: [staffOrRoomMember()] as const,
    request: { query: ChatNotificationQuery },
    responses: gatewayResponses(ChatNotification, 'Chat notification', [401, 403]),
  }),
  async (c) => {
    const q = c.req.valid('query')
    return success(c, await roomChatNotification(c.env, q.room, q.since))
  },
)
